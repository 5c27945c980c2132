"""Logging set-up: every line of a call carries its Asterisk unique id."""

from __future__ import annotations

import logging
import sys

from samad_ivr.agi.logcontext import CallIdFilter


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CallIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(call_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler logs every job run at INFO; ours say what matters.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
