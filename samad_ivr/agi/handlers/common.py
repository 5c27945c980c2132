"""What every route needs: its dependencies and the call report read from the channel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from samad_ivr.agi.protocol import AgiEnvironment
from samad_ivr.calls.finaliser import RecordingFinaliser
from samad_ivr.calls.intake import CallIntake
from samad_ivr.calls.report import (
    CallReport,
    build_report,
    channel_expression,
    split_channel_values,
)
from samad_ivr.calls.routing import RoutingService
from samad_ivr.calls.spool import Spool
from samad_ivr.settings import CallSettings


class Channel(Protocol):
    """The part of AgiChannel the handlers use; tests pass an in-memory fake."""

    @property
    def env(self) -> AgiEnvironment: ...

    async def get_full_variable(self, expression: str) -> str | None: ...

    async def set_variable(self, name: str, value: str) -> None: ...

    async def set_variables(self, values: Mapping[str, str]) -> None: ...


@dataclass(frozen=True, slots=True)
class RouteDeps:
    routing: RoutingService
    intake: CallIntake
    spool: Spool
    finaliser: RecordingFinaliser
    calls: CallSettings
    sounds_dir: Path  # where Asterisk finds fa/ prompts; officials' prompts live below it
    clock: Callable[[], datetime]
    # Asks the queue member sync for a round now (a call is about to join the queue).
    kick_queue: Callable[[], None] | None = None


async def read_report(channel: Channel) -> CallReport:
    """One round trip reads every variable the dialplan left on the channel."""
    joined = await channel.get_full_variable(channel_expression())
    return build_report(
        uniqueid=channel.env.uniqueid,
        caller_raw=channel.env.callerid,
        caller_name_raw=channel.env.calleridname,
        values=split_channel_values(joined),
        source="fastagi",
    )
