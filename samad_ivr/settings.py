"""Configuration, read once from ``SAMAD_*`` environment variables into frozen objects.

Tests build settings from a plain dict; nothing else in the package reads the environment.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from samad_ivr.calls.callback_settings import CallbackSettings, callback_settings
from samad_ivr.domain.deadlines import DeadlineMode, DeadlinePolicy
from samad_ivr.domain.satisfaction import CallPolicy, Channel, SatisfactionPolicy
from samad_ivr.domain.status_line import StatusLimits
from samad_ivr.domain.status_web import StatusWebLimits
from samad_ivr.ops.config import OpsSettings, OpsSettingsError

if TYPE_CHECKING:
    from samad_ivr.sms.config import SmsSettings
    from samad_ivr.softphone.settings import SoftphoneSettings
    from samad_ivr.transcription.config import TranscriptionSettings
    from samad_ivr.web.config import WebSettings


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that never shows up in a repr, a log line or a traceback."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str, name: str) -> HostPort:
        host, sep, port = text.rpartition(":")
        # Port 0 asks the OS for a free port (tests).
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise SettingsError(f"{name} must look like HOST:PORT, got {text!r}")
        return cls(host.strip("[]"), int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class AmiSettings:
    host: str
    port: int
    username: str
    secret: Secret


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Timers of the call flow; the dialplan reads them from channel variables we set."""

    desk_ring_seconds: int
    deputy_ring_seconds: int
    queue_max_wait_seconds: int
    message_max_seconds: int
    agi_command_timeout: float
    # How often the queue's members are checked against the desks on duty.
    queue_sync_seconds: float = 5.0
    # How often a waiting caller hears their position and wait (Persian, our composer).
    queue_announce_seconds: int = 45


@dataclass(frozen=True, slots=True)
class LifecycleSettings:
    """What happens after the call: the agencies' deadline and their answers' files."""

    deadline: DeadlinePolicy
    attachments_dir: Path  # outside the web root; files are named by their sha256
    attachment_max_bytes: int  # per file
    attachments_max_bytes: int  # all files of one answer together
    attachments_max_files: int


@dataclass(frozen=True, slots=True)
class SatisfactionSettings:
    """«Was the answer convincing?»: when and how the citizen is asked."""

    policy: SatisfactionPolicy
    # The Originate channel of a callback: {national} (09121234567) or {e164} (+98912...).
    dial: str
    caller_id: str  # what the citizen's phone shows
    max_calls: int  # callbacks ringing at once, per instance


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: Secret
    agi_bind: HostPort
    # Who may open FastAGI sessions (Asterisk's addresses); FastAGI has no credentials.
    agi_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    web_bind: HostPort
    ami: AmiSettings
    calls: CallSettings
    center_code: str
    timezone: str
    recordings_dir: Path
    spool_dir: Path
    sounds_dir: Path
    sms: SmsSettings
    web: WebSettings
    softphone: SoftphoneSettings
    notice_days_before: int
    lifecycle: LifecycleSettings
    status_limits: StatusLimits  # status by phone: codes per call / caller hour / center
    satisfaction: SatisfactionSettings
    transcription: TranscriptionSettings  # SAMAD_VOSK_MODEL unset: no transcription worker
    # SAMAD_ENV: "production" applies the start-up checks even on loopback binds.
    environment: str = "development"
    # SAMAD_LISTEN_ENDPOINTS: the only phones a live listen-in may ring (the listeners'
    # own); `*` stands for letters, digits and _.+- only.  Empty: listen-in rings nobody.
    listen_endpoints: tuple[str, ...] = ()
    # The call path's own pool and timeouts, /metrics access, health thresholds.
    ops: OpsSettings = field(default_factory=OpsSettings)
    # /status on the web: tries per client address per hour, wrong pairs per code per day.
    status_web: StatusWebLimits = field(default_factory=StatusWebLimits)
    # SAMAD_SERVICE_LEVEL_SECONDS: "answered within T" on the dashboard and in the API.
    service_level_seconds: int = 60
    # SAMAD_QUEUES_FILE: the queues.conf include of the centers' queues the service writes
    # (samad_ivr/ami/queue_config.py); unset, a new center's lines are shown to add by hand.
    queues_file: Path | None = None
    # SAMAD_CALLBACK_*: callbacks instead of endless waiting (samad_ivr/calls/callback_settings.py).
    callbacks: CallbackSettings = field(default_factory=CallbackSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str, default: str) -> str:
            return env.get(f"SAMAD_{name}", default).strip() or default

        def integer(name: str, default: int, low: int, high: int) -> int:
            text = get(name, str(default))
            if not text.isdigit() or not low <= int(text) <= high:
                raise SettingsError(
                    f"SAMAD_{name} must be an integer in {low}..{high}, got {text!r}"
                )
            return int(text)

        state = Path(get("STATE_DIR", "/var/lib/samad-ivr"))
        return cls(
            database_url=Secret(get("DATABASE_URL", "postgresql://samad@127.0.0.1:5433/samad")),
            agi_bind=HostPort.parse(get("AGI_BIND", "127.0.0.1:4573"), "SAMAD_AGI_BIND"),
            agi_allow=_networks(get("AGI_ALLOW", "127.0.0.0/8,::1/128"), "SAMAD_AGI_ALLOW"),
            web_bind=HostPort.parse(get("WEB_BIND", "127.0.0.1:8080"), "SAMAD_WEB_BIND"),
            ami=AmiSettings(
                host=get("AMI_HOST", "127.0.0.1"),
                port=integer("AMI_PORT", 5038, 1, 65535),
                username=get("AMI_USER", "samad"),
                secret=Secret(get("AMI_SECRET", "samad-dev-secret")),
            ),
            calls=CallSettings(
                desk_ring_seconds=integer("DESK_RING_SECONDS", 20, 1, 300),
                deputy_ring_seconds=integer("DEPUTY_RING_SECONDS", 20, 1, 300),
                queue_max_wait_seconds=integer("QUEUE_MAX_WAIT_SECONDS", 300, 1, 3600),
                message_max_seconds=integer("MESSAGE_MAX_SECONDS", 180, 5, 1800),
                agi_command_timeout=float(integer("AGI_COMMAND_TIMEOUT", 30, 1, 3600)),
                queue_sync_seconds=float(integer("QUEUE_SYNC_SECONDS", 5, 1, 300)),
                queue_announce_seconds=integer("QUEUE_ANNOUNCE_SECONDS", 45, 10, 600),
            ),
            center_code=get("CENTER", "hamedan"),
            timezone=get("TIMEZONE", "Asia/Tehran"),
            recordings_dir=Path(get("RECORDINGS_DIR", str(state / "recordings"))),
            spool_dir=Path(get("SPOOL_DIR", str(state / "spool"))),
            sounds_dir=Path(get("SOUNDS_DIR", str(state / "sounds"))),
            sms=_sms_settings(env),
            web=_web_settings(env),
            softphone=_softphone_settings(env),
            notice_days_before=integer("NOTICE_DAYS_BEFORE", 3, 0, 60),
            lifecycle=LifecycleSettings(
                deadline=_deadline_policy(get, integer),
                attachments_dir=Path(get("ATTACHMENTS_DIR", str(state / "attachments"))),
                attachment_max_bytes=integer(
                    "ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024, 1024, 100 * 1024 * 1024
                ),
                attachments_max_bytes=integer(
                    "ATTACHMENTS_MAX_BYTES", 20 * 1024 * 1024, 1024, 500 * 1024 * 1024
                ),
                attachments_max_files=integer("ATTACHMENTS_MAX_FILES", 5, 1, 50),
            ),
            status_limits=StatusLimits(
                per_call=integer("STATUS_CODES_PER_CALL", 3, 1, 10),
                per_caller_hour=integer("STATUS_CODES_PER_CALLER_HOUR", 10, 1, 1000),
                center_not_found_hour=integer("STATUS_NOT_FOUND_PER_CENTER_HOUR", 30, 1, 100000),
            ),
            satisfaction=_satisfaction_settings(get, integer),
            transcription=_transcription_settings(env),
            environment=get("ENV", "development"),
            listen_endpoints=_listen_endpoints(get("LISTEN_ENDPOINTS", "")),
            ops=_ops_settings(env),
            status_web=StatusWebLimits(
                per_address_hour=integer("STATUS_WEB_PER_ADDRESS_HOUR", 30, 1, 100000),
                failures_per_code_day=integer("STATUS_WEB_FAILURES_PER_CODE_DAY", 10, 1, 1000),
            ),
            service_level_seconds=integer("SERVICE_LEVEL_SECONDS", 60, 1, 3600),
            queues_file=Path(q) if (q := env.get("SAMAD_QUEUES_FILE", "").strip()) else None,
            callbacks=callback_settings(get, integer),
        )


def _networks(
    text: str, name: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A comma-separated list of addresses or networks (``10.0.0.5, 10.1.0.0/16``)."""
    try:
        networks = tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in text.split(",")
            if part.strip()
        )
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None
    if not networks:
        raise SettingsError(f"{name} names no address")
    return networks


def _ops_settings(env: Mapping[str, str]) -> OpsSettings:
    try:
        return OpsSettings.from_env(env)
    except OpsSettingsError as exc:
        raise SettingsError(str(exc)) from None


def _deadline_policy(
    get: Callable[[str, str], str], integer: Callable[[str, int, int, int], int]
) -> DeadlinePolicy:
    mode = get("DEADLINE_MODE", "calendar")
    if mode not in {m.value for m in DeadlineMode}:
        raise SettingsError(f"SAMAD_DEADLINE_MODE must be calendar or working, got {mode!r}")
    try:
        return DeadlinePolicy(
            days=integer("DEADLINE_DAYS", 10, 1, 365),
            mode=DeadlineMode(mode),
            reminder_day=integer("DEADLINE_REMINDER_DAY", 7, 1, 364),
            long_stop_days=integer("DEADLINE_LONG_STOP_DAYS", 20, 2, 730),
        )
    except ValueError as exc:
        raise SettingsError(f"deadline settings: {exc}") from exc


def _satisfaction_settings(
    get: Callable[[str, str], str], integer: Callable[[str, int, int, int], int]
) -> SatisfactionSettings:
    names = {n.strip() for n in get("SATISFACTION_CHANNELS", "sms,call").split(",")}
    names.discard("")
    if names == {"none"}:
        names = set()
    if not names <= {c.value for c in Channel}:
        raise SettingsError(f"SAMAD_SATISFACTION_CHANNELS: sms, call or none, got {names}")
    window = get("SATISFACTION_CALL_WINDOW", "10:00-18:00")
    try:
        start, end = (time.fromisoformat(t.strip()) for t in window.split("-"))
        call = CallPolicy(
            window_start=start,
            window_end=end,
            retries=integer("SATISFACTION_CALL_RETRIES", 3, 0, 10),
            retry_gap=timedelta(minutes=integer("SATISFACTION_CALL_RETRY_MINUTES", 240, 1, 10080)),
            retry_span=timedelta(days=integer("SATISFACTION_CALL_RETRY_DAYS", 2, 0, 30)),
            ring_seconds=integer("SATISFACTION_RING_SECONDS", 30, 5, 120),
        )
        policy = SatisfactionPolicy(
            channels=frozenset(Channel(n) for n in names),
            ask_after=timedelta(minutes=integer("SATISFACTION_ASK_AFTER_MINUTES", 1440, 0, 43200)),
            reply_within=timedelta(days=integer("SATISFACTION_REPLY_DAYS", 7, 1, 90)),
            call=call,
        )
    except ValueError as exc:
        raise SettingsError(f"satisfaction settings ({window!r}): {exc}") from exc
    dial = get("SATISFACTION_DIAL", "PJSIP/{national}@samad-trunk")
    if "{national}" not in dial and "{e164}" not in dial:
        raise SettingsError("SAMAD_SATISFACTION_DIAL must contain {national} or {e164}")
    return SatisfactionSettings(
        policy=policy,
        dial=dial,
        caller_id=get("SATISFACTION_CALLER_ID", "Samad <111>"),
        max_calls=integer("SATISFACTION_MAX_CALLS", 4, 1, 100),
    )


def _listen_endpoints(text: str) -> tuple[str, ...]:
    from samad_ivr.national.listen import valid_allow_entry

    entries = tuple(e.strip() for e in text.split(",") if e.strip())
    for entry in entries:
        if not valid_allow_entry(entry):
            raise SettingsError(f"SAMAD_LISTEN_ENDPOINTS: not an endpoint: {entry!r}")
    return entries


# The groups below are imported late: their modules build on Secret/SettingsError above.
def _sms_settings(env: Mapping[str, str]) -> SmsSettings:
    from samad_ivr.sms.config import SmsSettings

    return SmsSettings.from_env(env)


def _web_settings(env: Mapping[str, str]) -> WebSettings:
    from samad_ivr.web.config import WebSettings

    return WebSettings.from_env(env)


def _softphone_settings(env: Mapping[str, str]) -> SoftphoneSettings:
    from samad_ivr.softphone.settings import SoftphoneSettings

    return SoftphoneSettings.from_env(env)


def _transcription_settings(env: Mapping[str, str]) -> TranscriptionSettings:
    from samad_ivr.transcription.config import TranscriptionSettings

    return TranscriptionSettings.from_env(env)
