"""AMI client: one panoramisk Manager (see `samad_ivr.ami.manager`) behind a small
typed interface for actions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from samad_ivr.ami.manager import AmiError, close_manager, list_action, open_manager, send_action
from samad_ivr.settings import AmiSettings

__all__ = ["AmiClient", "AmiError", "AmiResponse"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AmiResponse:
    success: bool
    message: str
    headers: Mapping[str, str]


class AmiClient:
    """One authenticated AMI connection that reconnects by itself."""

    def __init__(self, settings: AmiSettings, *, action_timeout: float = 10.0) -> None:
        self._settings = settings
        self._action_timeout = action_timeout
        self._logged_in = asyncio.Event()
        self._manager: Any = None

    async def connect(self, timeout: float = 10.0) -> None:
        """Connect and log in; raises AmiError when that does not happen within timeout."""
        self._logged_in.clear()
        self._manager = open_manager(
            self._settings,
            events="on",
            on_login=self._on_login,
            on_disconnect=self._on_disconnect,
            log=log,
        )
        try:
            await asyncio.wait_for(self._logged_in.wait(), timeout)
        except TimeoutError as exc:
            self.close()
            raise AmiError(
                f"no AMI login at {self._settings.host}:{self._settings.port} within {timeout}s"
            ) from exc

    def _on_login(self) -> None:
        log.info("AMI logged in at %s:%s", self._settings.host, self._settings.port)
        self._logged_in.set()

    def _on_disconnect(self, exc: BaseException | None) -> None:
        log.warning("AMI connection lost (%s); panoramisk reconnects", exc)
        self._logged_in.clear()

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    async def action(
        self, fields: Mapping[str, str | list[str]], *, timeout: float | None = None
    ) -> AmiResponse:
        """Send one action and wait for its (last) response."""
        messages = await send_action(self._live_manager(), fields, timeout or self._action_timeout)
        # Event lists (and async Originate's OriginateResponse) end with the verdict.
        headers = messages[-1]
        return AmiResponse(
            success=headers.get("Response", "").lower() == "success",
            message=headers.get("Message", ""),
            headers=headers,
        )

    async def action_list(
        self, fields: Mapping[str, str | list[str]], *, timeout: float | None = None
    ) -> list[dict[str, str]]:
        """Send an action answered by an event list (CoreShowChannels, QueueStatus...)
        and return every message of it, the response first (AmiError if refused)."""
        return await list_action(self._live_manager(), fields, timeout or self._action_timeout)

    def _live_manager(self) -> Any:
        if self._manager is None or not self._logged_in.is_set():
            raise AmiError("AMI is not connected")
        return self._manager

    async def reload_module(self, module: str) -> None:
        """Ask Asterisk to reload one module's configuration (needs `config` write)."""
        response = await self.action({"Action": "Reload", "Module": module})
        if not response.success:
            raise AmiError(f"Reload {module} refused: {response.message}")

    async def originate(
        self,
        *,
        channel: str,
        context: str,
        exten: str,
        caller_id: str,
        variables: Mapping[str, str] | None = None,
        timeout_ms: int = 30000,
    ) -> AmiResponse:
        """Originate a call; returns once the channel answered (OriginateResponse).

        panoramisk waits for the OriginateResponse event of an async Originate, so the
        wait is bounded by the ring timeout plus a margin, not the action timeout."""
        fields: dict[str, str | list[str]] = {
            "Action": "Originate",
            "Channel": channel,
            "Context": context,
            "Exten": exten,
            "Priority": "1",
            "CallerID": caller_id,
            "Timeout": str(timeout_ms),
            "Async": "true",
        }
        if variables:
            fields["Variable"] = [f"{name}={value}" for name, value in variables.items()]
        response = await self.action(fields, timeout=timeout_ms / 1000 + 5)
        if not response.success:
            raise AmiError(f"Originate refused: {response.message}")
        return response

    def close(self) -> None:
        if self._manager is not None:
            close_manager(self._manager)
            self._manager = None
        self._logged_in.clear()
