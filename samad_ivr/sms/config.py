"""SMS configuration, read once from ``SAMAD_SMS_*`` variables (tests pass a dict)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from samad_ivr.settings import Secret, SettingsError

ProviderName = Literal["log", "kannel", "kavenegar"]
PROVIDERS: tuple[ProviderName, ...] = ("log", "kannel", "kavenegar")

# Iranian operators already treat "لغو" and "11" as unsubscribe words.
DEFAULT_OPTOUT_WORDS = ("لغو", "11", "stop")
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class KannelSettings:
    sendsms_url: str
    username: str
    password: Secret
    smsc_id: str | None


@dataclass(frozen=True, slots=True)
class KavenegarSettings:
    base_url: str
    api_key: Secret | None


@dataclass(frozen=True, slots=True)
class SmsSettings:
    provider: ProviderName
    sender: str | None
    kannel: KannelSettings
    kavenegar: KavenegarSettings
    # Path segment of the unauthenticated callback URLs; None disables the callbacks.
    callback_token: Secret | None
    daily_cap: int  # per number and kind (citizen's own, notices, sign-up codes)
    nonessential_daily_max: int  # notices + sign-up codes over all numbers, per 24 h
    give_up_seconds: int
    retry_base_seconds: float
    retry_max_seconds: float
    lease_seconds: float
    idle_seconds: float
    batch_size: int
    send_timeout_seconds: float
    poll_first_seconds: float
    poll_max_seconds: float
    poll_give_up_seconds: int
    optout_words: tuple[str, ...]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmsSettings:
        def get(name: str, default: str) -> str:
            return env.get(f"SAMAD_SMS_{name}", default).strip() or default

        def integer(name: str, default: int, low: int, high: int) -> int:
            text = get(name, str(default))
            if not text.isdigit() or not low <= int(text) <= high:
                raise SettingsError(
                    f"SAMAD_SMS_{name} must be an integer in {low}..{high}, got {text!r}"
                )
            return int(text)

        provider = get("PROVIDER", "log")
        if provider not in PROVIDERS:
            raise SettingsError(f"SAMAD_SMS_PROVIDER must be one of {PROVIDERS}, got {provider!r}")
        token_text = get("CALLBACK_TOKEN", "")
        if token_text and (len(token_text) < MIN_TOKEN_LENGTH or not token_text.isascii()):
            raise SettingsError(
                f"SAMAD_SMS_CALLBACK_TOKEN must be at least {MIN_TOKEN_LENGTH} ASCII characters"
            )
        token = Secret(token_text) if token_text else None
        if provider == "kannel" and token is None:
            raise SettingsError("SAMAD_SMS_PROVIDER=kannel needs SAMAD_SMS_CALLBACK_TOKEN (DLRs)")
        api_key_text = get("KAVENEGAR_API_KEY", "")
        if provider == "kavenegar" and not api_key_text:
            raise SettingsError("SAMAD_SMS_PROVIDER=kavenegar needs SAMAD_SMS_KAVENEGAR_API_KEY")
        words = tuple(
            w.strip().casefold()
            for w in get("OPTOUT_WORDS", ",".join(DEFAULT_OPTOUT_WORDS)).split(",")
        )
        lease = float(integer("LEASE_SECONDS", 120, 5, 3600))
        timeout = float(integer("SEND_TIMEOUT_SECONDS", 15, 1, 120))
        if lease < 2 * timeout + 10:
            # A batch is sent concurrently within one timeout; the lease must outlast it.
            raise SettingsError("SAMAD_SMS_LEASE_SECONDS must be >= 2 x SEND_TIMEOUT_SECONDS + 10")
        smsc = get("KANNEL_SMSC", "")
        sender = get("SENDER", "")
        return cls(
            provider=provider,
            sender=sender or None,
            kannel=KannelSettings(
                sendsms_url=get("KANNEL_URL", "http://127.0.0.1:13013/cgi-bin/sendsms"),
                username=get("KANNEL_USER", "samad"),
                password=Secret(get("KANNEL_PASSWORD", "samad-dev-sms")),
                smsc_id=smsc or None,
            ),
            kavenegar=KavenegarSettings(
                base_url=get("KAVENEGAR_URL", "https://api.kavenegar.com").rstrip("/"),
                api_key=Secret(api_key_text) if api_key_text else None,
            ),
            callback_token=token,
            daily_cap=integer("DAILY_CAP", 5, 1, 1000),
            nonessential_daily_max=integer("NONESSENTIAL_DAILY_MAX", 5000, 1, 10_000_000),
            give_up_seconds=integer("GIVE_UP_MINUTES", 24 * 60, 1, 30 * 24 * 60) * 60,
            retry_base_seconds=float(integer("RETRY_BASE_SECONDS", 30, 1, 3600)),
            retry_max_seconds=float(integer("RETRY_MAX_SECONDS", 3600, 1, 86400)),
            lease_seconds=lease,
            idle_seconds=float(integer("IDLE_SECONDS", 2, 1, 300)),
            batch_size=integer("BATCH_SIZE", 20, 1, 500),
            send_timeout_seconds=timeout,
            poll_first_seconds=float(integer("POLL_FIRST_SECONDS", 120, 10, 3600)),
            poll_max_seconds=float(integer("POLL_MAX_SECONDS", 4 * 3600, 60, 86400)),
            poll_give_up_seconds=integer("POLL_GIVE_UP_HOURS", 48, 1, 240) * 3600,
            optout_words=tuple(w for w in words if w),
        )
