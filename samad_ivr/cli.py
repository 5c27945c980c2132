"""Bodies of the short-lived commands (`migrate`, `call`)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import sys
from pathlib import Path

from samad_ivr.ami.client import AmiClient, AmiError
from samad_ivr.audio.prompts import PromptError, convert
from samad_ivr.domain.phone import normalise_caller_id
from samad_ivr.settings import Settings
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.migrations import apply_migrations, migrations_dir

_DIALLED = re.compile(r"[0-9*#+]{1,20}")


async def migrate(settings: Settings) -> int:
    pool = await create_pool(settings.database_url.value, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            applied = await apply_migrations(conn, migrations_dir())
    finally:
        await pool.close()
    print("applied: " + (", ".join(applied) if applied else "nothing, schema is current"))
    return 0


async def place_call(settings: Settings, caller: str, audio: str | None, dialled: str) -> int:
    number = normalise_caller_id(caller)
    if number.e164 is None or not _DIALLED.fullmatch(dialled):
        print(f"samad-ivr call: not a phone number: {caller!r} / {dialled!r}", file=sys.stderr)
        return 2
    variables: dict[str, str] = {}
    if audio is not None:
        try:
            variables["SAMAD_CALLER_AUDIO"] = await _install_caller_audio(settings, Path(audio))
        except (OSError, PromptError) as exc:
            print(f"samad-ivr call: cannot use {audio}: {exc}", file=sys.stderr)
            return 2
    client = AmiClient(settings.ami)
    try:
        await client.connect()
        # The caller ID goes to Asterisk as digits only: never a raw string from argv.
        digits = caller.strip().translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
        digits = re.sub(r"[^0-9+]", "", digits)
        await client.originate(
            channel=f"Local/{dialled}@samad-inbound",
            context="samad-demo-caller",
            exten="s",
            caller_id=f"<{digits}>",
            variables=variables,
        )
    except AmiError as exc:
        print(f"samad-ivr call: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print(f"calling {dialled} from {number.masked}; watch the service log for the call")
    return 0


async def _install_caller_audio(settings: Settings, source: Path) -> str:
    """Convert the caller's audio into Asterisk's formats beside the prompts."""
    data = await asyncio.to_thread(source.read_bytes)
    name = "demo-caller/" + hashlib.sha256(data).hexdigest()[:16]
    await asyncio.to_thread(convert, source, settings.sounds_dir / name)
    return name
