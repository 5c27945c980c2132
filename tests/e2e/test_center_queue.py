"""A new center's queue on real Asterisk 22: `samad-ivr center add` writes the queues
include and reloads app_queue over AMI; the queue then exists with [samad-desk]'s
options (its leastrecent strategy)."""

from __future__ import annotations

from typing import Any

import pytest

from samad_ivr.ami.client import AmiClient
from samad_ivr.centers_cli import center_add
from samad_ivr.storage.db import Pool

from .conftest import AsteriskInstance, e2e_settings


async def queue_params(ami: AmiClient, queue: str) -> dict[str, str] | None:
    messages = await ami.action_list({"Action": "QueueStatus", "Queue": queue})
    return next((m for m in messages if m.get("Event") == "QueueParams"), None)


async def test_center_add_makes_its_queue_exist_in_asterisk_with_the_shipped_options(
    asterisk: AsteriskInstance, ami: AmiClient, database_url: str, db_pool: Pool,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    queues_file = asterisk.pjsip_desks_file.parent / "queues_centers.conf"
    settings = e2e_settings(asterisk, database_url, SAMAD_QUEUES_FILE=str(queues_file))
    assert await queue_params(ami, "samad-zanjan") is None
    argv = ["--code", "zanjan", "--name", "مرکز سامد زنجان"]
    assert await center_add(settings, argv) == 0
    out = capsys.readouterr().out
    assert "'samad-zanjan' configured (app_queue reloaded)" in out, out
    assert "[samad-zanjan](samad-desk)" in queues_file.read_text()
    params: dict[str, Any] | None = await queue_params(ami, "samad-zanjan")
    assert params is not None
    assert params["Strategy"] == "leastrecent"
