"""Settings of the transcription worker (``SAMAD_VOSK_MODEL`` and friends)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from samad_ivr.settings import SettingsError


@dataclass(frozen=True, slots=True)
class TranscriptionSettings:
    model_dir: Path | None  # None: no worker runs, and the admin page says so
    workers: int  # processes, each with its own copy of the model in memory
    nice: int  # added to the worker processes' niceness so calls always come first
    lease_seconds: float  # a claimed job is another worker's again after this long
    retry_base_seconds: float
    retry_max_seconds: float
    max_attempts: int  # then the job is 'failed' with its reason
    idle_seconds: float  # pause when the queue is empty

    @property
    def enabled(self) -> bool:
        return self.model_dir is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TranscriptionSettings:
        def integer(name: str, default: int, low: int, high: int) -> int:
            text = env.get(f"SAMAD_{name}", "").strip() or str(default)
            if not text.isdigit() or not low <= int(text) <= high:
                raise SettingsError(
                    f"SAMAD_{name} must be an integer in {low}..{high}, got {text!r}"
                )
            return int(text)

        model = env.get("SAMAD_VOSK_MODEL", "").strip()
        return cls(
            model_dir=Path(model) if model else None,
            workers=integer("TRANSCRIBE_WORKERS", 1, 1, 64),
            nice=integer("TRANSCRIBE_NICE", 10, 0, 19),
            lease_seconds=float(integer("TRANSCRIBE_LEASE_SECONDS", 1800, 30, 86400)),
            retry_base_seconds=float(integer("TRANSCRIBE_RETRY_SECONDS", 60, 1, 86400)),
            retry_max_seconds=3600.0,
            max_attempts=integer("TRANSCRIBE_MAX_ATTEMPTS", 4, 1, 20),
            idle_seconds=float(integer("TRANSCRIBE_IDLE_SECONDS", 5, 1, 3600)),
        )
