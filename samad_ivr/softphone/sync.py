"""Keeps Asterisk's PJSIP config of the browser desks in step with the officials table.

Run at start-up and then every `SYNC_SECONDS` by the scheduler: an admin who sets an
official's desk to ``PJSIP/samad-web-…`` sees that softphone able to register within a
minute, and a rotated credential replaces the old one as fast.  The file is only
rewritten (atomically) when its text changes, and Asterisk is asked to reload res_pjsip
after each rewrite; a reload that could not be sent (AMI down,
or the AMI user lacks the `config` write permission) is retried on the next round.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Protocol

from samad_ivr.softphone.desks import browser_desk, render_desks
from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.desk_credentials import DeskCredentialRepository

log = logging.getLogger(__name__)

SYNC_SECONDS = 30


class Reloader(Protocol):
    async def reload_module(self, module: str) -> None:
        """Ask Asterisk to reload `module`'s configuration; raise on failure."""


def write_atomically(path: Path, text: str, mode: int = 0o640) -> bool:
    """Replace `path` by `text` unless it already holds it; True when it was written.
    The default mode 0640 suits the desks' file, which holds SIP credentials."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return True


class DeskConfigSync:
    def __init__(
        self,
        settings: SoftphoneSettings,
        desks: DeskRepository,
        reloader: Reloader,
        credentials: DeskCredentialRepository,
    ) -> None:
        if settings.desks_file is None:
            raise ValueError("DeskConfigSync needs SAMAD_PJSIP_DESKS_FILE")
        self._settings = settings
        self._path = settings.desks_file
        self._desks = desks
        self._reloader = reloader
        self._credentials = credentials
        self._reload_pending = False

    async def sync(self) -> bool:
        """One round; True when Asterisk now has a config it had not before."""
        endpoints = await self._desks.all_desk_endpoints()
        names = [n for e in endpoints if (n := browser_desk(e, self._settings.prefix))]
        text = render_desks((await self._credentials.ensure(names)).values())
        if await asyncio.to_thread(write_atomically, self._path, text):
            log.info("softphone: wrote %d browser desk(s) to %s", len(names), self._path)
            self._reload_pending = True
        if not self._reload_pending:
            return False
        try:
            await self._reloader.reload_module("res_pjsip.so")
        except Exception as exc:  # any failure: the file stays, the reload is retried
            log.warning("softphone: Asterisk did not reload res_pjsip (%s); will retry", exc)
            return False
        self._reload_pending = False
        return True
