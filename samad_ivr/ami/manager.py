"""The one place a panoramisk `Manager` is built, asked and closed.

panoramisk is untyped and has sharp edges; both our AMI connections (the action client
and the live event stream) go through these functions so the edges stay here:
- an action sent before its protocol is up raises AttributeError;
- an event-list action with `as_list=True` whose response is an error never completes
  (QueueStatus is refused while Asterisk is still loading app_queue);
- actions pending when the connection drops are sent again after the next login; for an
  Originate that may already have run, that would be a second call;
- a reconnect scheduled after a lost connection survives `close()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from panoramisk import Manager

from samad_ivr.settings import AmiSettings

__all__ = ["AmiError", "close_manager", "list_action", "open_manager", "send_action"]

Fields = Mapping[str, str | list[str]]

# Never sent again after a reconnect: a lost Originate times out instead of ringing twice.
_FORGETTABLE_ACTIONS = ("ping", "login", "originate")


class AmiError(Exception):
    """AMI is unreachable, refused our login, or answered an action with an error."""


class _Manager(Manager):  # type: ignore[misc]  # panoramisk is untyped
    """A Manager that can be closed for good: panoramisk schedules its reconnects as
    bound methods, so only the method itself can refuse them."""

    closed_for_good = False

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        if self.closed_for_good:
            return None
        return super().connect(*args, **kwargs)


def open_manager(
    settings: AmiSettings,
    *,
    events: str,
    on_login: Callable[[], None],
    on_disconnect: Callable[[BaseException | None], None],
    log: logging.Logger,
) -> Any:
    """A connecting Manager that logs in with `events` and reconnects by itself.

    `on_login` runs after every successful login, `on_disconnect` after every lost
    connection (from the event loop, never inside the caller's stack)."""
    manager = _Manager(
        host=settings.host,
        port=settings.port,
        username=settings.username,
        secret=settings.secret.value,
        events=events,
        reconnect_timeout=2,
        ping_delay=10,
        loop=asyncio.get_running_loop(),
        on_login=lambda _manager: on_login(),
        on_disconnect=lambda _manager, exc: on_disconnect(exc),
        forgetable_actions=_FORGETTABLE_ACTIONS,
        log=log,
    )
    manager.connect()
    return manager


def _plain(message: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in dict(message).items()}


async def send_action(manager: Any, fields: Fields, timeout: float) -> list[dict[str, str]]:
    """Send one action; its messages in order (a list ends with its Complete event).

    A single error response is returned, not raised: callers judge `Response`."""
    name = fields.get("Action")
    # panoramisk takes "Added interface to queue" for the start of a list and waits for a
    # second message that Asterisk 22 never sends: QueueAdd would always time out (after
    # adding the member), one member per queue sync round.  Its response is all there is.
    as_list = False if str(name).lower() == "queueadd" else None
    try:
        reply = await asyncio.wait_for(manager.send_action(dict(fields), as_list=as_list), timeout)
    except TimeoutError as exc:
        raise AmiError(f"AMI action {name} timed out") from exc
    except AttributeError as exc:  # panoramisk before its protocol is up
        raise AmiError(f"AMI action {name} sent before the connection was up") from exc
    messages = reply if isinstance(reply, list) else [reply]
    if not messages or messages[0] is None:
        raise AmiError(f"AMI action {name} got no response")
    return [_plain(m) for m in messages]


async def list_action(manager: Any, fields: Fields, timeout: float) -> list[dict[str, str]]:
    """An action answered by an event list (CoreShowChannels, QueueStatus...): every
    message of it, the response first; AmiError when Asterisk refused it."""
    # panoramisk tells a list from its "EventList: start" response, and then also
    # completes on an error response, which as_list=True would wait for forever.
    messages = await send_action(manager, fields, timeout)
    if messages[0].get("Response", "").lower() not in ("success", "follows"):
        detail = messages[0].get("Message", "") or messages[0].get("Response", "")
        raise AmiError(f"AMI action {fields.get('Action')} refused: {detail}")
    return messages


def close_manager(manager: Any) -> None:
    """Close for good: no reconnect, no callbacks, also when one is already scheduled."""
    manager.closed_for_good = True
    manager.on_disconnect = lambda *_args: None
    manager.close()
