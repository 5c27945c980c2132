"""Settings of the web consoles' security: signing secret, cookies, sessions, throttling.

`WebSettings.from_env(env)` takes a plain mapping (tests pass a dict).  The secret signs
CSRF tokens; when `SAMAD_WEB_SECRET` is unset a random one is generated, which is fine
for one process but invalidates every open form on restart, so `setup_security` warns.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from samad_ivr.settings import Secret, SettingsError
from samad_ivr.web.app import DEPS

MIN_SECRET_LENGTH = 32
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class WebSettings:
    secret: Secret
    secret_generated: bool
    secure_cookies: bool
    session_hours: int
    login_max_failures: int
    login_window_minutes: int
    # A username over its failure limit is still tried from its usual addresses, this late.
    login_slowdown_ms: int
    # Behind a reverse proxy every request comes from the proxy's address; only then may
    # the last X-Forwarded-For hop (appended by our proxy) name the client for throttling.
    trust_forwarded_for: bool

    @classmethod
    def generated(cls) -> WebSettings:
        """Defaults with a fresh random secret (tests, and a node without configuration)."""
        return cls.from_env({})

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebSettings:
        def get(name: str, default: str) -> str:
            return env.get(f"SAMAD_{name}", default).strip() or default

        def flag(name: str, default: bool) -> bool:
            text = get(name, "1" if default else "0").lower()
            if text not in _TRUE | _FALSE:
                raise SettingsError(f"SAMAD_{name} must be 0 or 1, got {text!r}")
            return text in _TRUE

        def integer(name: str, default: int, low: int, high: int) -> int:
            text = get(name, str(default))
            if not text.isdigit() or not low <= int(text) <= high:
                raise SettingsError(
                    f"SAMAD_{name} must be an integer in {low}..{high}, got {text!r}"
                )
            return int(text)

        secret_text = env.get("SAMAD_WEB_SECRET", "").strip()
        if secret_text and len(secret_text) < MIN_SECRET_LENGTH:
            # Never echo the value itself.
            raise SettingsError(
                f"SAMAD_WEB_SECRET must be at least {MIN_SECRET_LENGTH} characters long"
            )
        return cls(
            secret=Secret(secret_text or secrets.token_urlsafe(48)),
            secret_generated=not secret_text,
            secure_cookies=flag("WEB_SECURE_COOKIES", False),
            session_hours=integer("WEB_SESSION_HOURS", 12, 1, 24 * 30),
            login_max_failures=integer("WEB_LOGIN_MAX_FAILURES", 5, 1, 1000),
            login_window_minutes=integer("WEB_LOGIN_WINDOW_MINUTES", 15, 1, 24 * 60),
            login_slowdown_ms=integer("WEB_LOGIN_SLOWDOWN_MS", 2000, 0, 30000),
            trust_forwarded_for=flag("WEB_TRUST_X_FORWARDED_FOR", False),
        )


WEB_SETTINGS = web.AppKey("web_settings", WebSettings)


def web_settings(app: web.Application) -> WebSettings:
    """The app's `WebSettings`: `app[WEB_SETTINGS]`, else `settings.web`, else generated.

    Call it while setting the app up: the choice is stored in the app so every request
    sees the same secret.
    """
    found = app.get(WEB_SETTINGS)
    if found is not None:
        return found
    deps = app.get(DEPS)
    nested = getattr(deps.settings, "web", None) if deps is not None else None
    chosen = nested if isinstance(nested, WebSettings) else WebSettings.generated()
    app[WEB_SETTINGS] = chosen
    return chosen
