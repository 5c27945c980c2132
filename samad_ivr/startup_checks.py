"""Refuse to start with development secrets where anyone but this machine can reach us.

The defaults (AMI secret, Kannel password, a generated web secret, cookies without
``Secure``) make `make run` work with no configuration.  They are public knowledge, so as
soon as a listener binds beyond loopback, or ``SAMAD_ENV=production`` says this is the
real thing, each one left in place is named and the service does not start.
"""

from __future__ import annotations

import ipaddress

from samad_ivr.settings import HostPort, Settings, SettingsError

DEV_AMI_SECRET = "samad-dev-secret"
DEV_KANNEL_PASSWORD = "samad-dev-sms"


class UnsafeStartup(SettingsError):
    """The settings would expose development secrets; the message names each problem."""


def _loopback(bind: HostPort) -> bool:
    if bind.host == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind.host).is_loopback
    except ValueError:  # a host name: we cannot know what it resolves to later
        return False


def _why_checked(settings: Settings) -> str | None:
    if settings.environment == "production":
        return "SAMAD_ENV=production"
    for name, bind in (
        ("SAMAD_WEB_BIND", settings.web_bind),
        ("SAMAD_AGI_BIND", settings.agi_bind),
    ):
        if not _loopback(bind):
            return f"{name}={bind} is not a loopback address"
    return None


def startup_problems(settings: Settings) -> list[str]:
    """One line per development default that must not run here (empty when safe)."""
    why = _why_checked(settings)
    if why is None:
        return []
    found = []
    if settings.ami.secret.value == DEV_AMI_SECRET:
        found.append("SAMAD_AMI_SECRET is the development default; set the AMI user's own secret")
    sms = settings.sms
    if sms.provider == "kannel" and sms.kannel.password.value == DEV_KANNEL_PASSWORD:
        found.append("SAMAD_SMS_KANNEL_PASSWORD is the development default")
    if settings.web.secret_generated:
        found.append("SAMAD_WEB_SECRET is not set (at least 32 random characters)")
    if not settings.web.secure_cookies:
        found.append("SAMAD_WEB_SECURE_COOKIES is off: session cookies would travel without TLS")
    return [f"{problem} ({why})" for problem in found]


def check_startup(settings: Settings) -> None:
    """Raise `UnsafeStartup` naming every problem; called before anything listens."""
    found = startup_problems(settings)
    if found:
        raise UnsafeStartup(
            "refusing to start with development settings:\n  - " + "\n  - ".join(found)
        )
