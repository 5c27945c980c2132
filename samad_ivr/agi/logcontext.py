"""The current call's AGI uniqueid on every log line of that call.

Each FastAGI session runs in its own task, and tasks copy the context they start in, so
setting ``call_id`` inside a session never leaks into another call.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

NO_CALL = "-"

call_id: ContextVar[str] = ContextVar("call_id", default=NO_CALL)


class CallIdFilter(logging.Filter):
    """Adds ``record.call_id`` so formats can use ``%(call_id)s``.

    Attach it to handlers, not loggers: a logger's filters do not see records that
    propagate up from child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.call_id = call_id.get()
        return True
