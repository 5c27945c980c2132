"""`samad-ivr center add`: create a province's center without SQL.

    samad-ivr center add --code CODE --name NAME [--timezone Asia/Tehran]
                         [--duty 09:00-11:00] [--weekend 4[,3]] [--queue QUEUE]

`--weekend` takes date.weekday() numbers (Monday = 0, Friday = 4; default 4), `--queue`
defaults to samad-CODE.  The center gets the source document's topics and Iran's
holidays of this and the next Jalali year.  Its Asterisk queue is written to
SAMAD_QUEUES_FILE and app_queue reloaded over AMI; otherwise the lines to add are printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import asyncpg

from samad_ivr.admin.jalali import InputError
from samad_ivr.admin.new_center import parse_new_center, weekday_name
from samad_ivr.ami.client import AmiClient, AmiError
from samad_ivr.ami.queue_config import QueueConfigResult, apply_queue_config
from samad_ivr.settings import Settings
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.centers import CenterExists, CenterRepository
from samad_ivr.storage.db import StorageUnavailable, create_pool

# The audit's actor for a change made at the server's terminal.
CLI_ACTOR = Actor(None, "samad-ivr center add")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="samad-ivr center add", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--code", required=True, help="e.g. kermanshah")
    parser.add_argument("--name", required=True, help="the center's Persian name")
    parser.add_argument("--timezone", default="Asia/Tehran")
    parser.add_argument("--duty", default="09:00-11:00", help="the duty window, HH:MM-HH:MM")
    parser.add_argument("--weekend", default="4", help="weekday numbers, Monday = 0")
    parser.add_argument("--queue", default="", help="Asterisk queue (default samad-CODE)")
    return parser


async def _queue_config(settings: Settings, queues: list[str]) -> QueueConfigResult:
    if settings.queues_file is None:
        return await apply_queue_config(queues, None, None)
    client = AmiClient(settings.ami)
    try:
        await client.connect(timeout=5)
    except (AmiError, OSError, TimeoutError):
        client.close()
        return await apply_queue_config(queues, settings.queues_file, None)
    try:
        return await apply_queue_config(queues, settings.queues_file, client)
    finally:
        client.close()


def report_queue(result: QueueConfigResult, queue: str) -> str:
    reload = "asterisk -rx 'module reload app_queue.so'"
    if result.problem is None:
        return f"Asterisk queue {queue!r} configured (app_queue reloaded)"
    if result.written:
        return f"Asterisk queue {queue!r} written, but {result.problem}: run `{reload}`"
    return (
        f"Asterisk queue {queue!r} is NOT configured yet ({result.problem}).\n"
        "Put these lines in queues.conf (after #include of queues_samad.conf), "
        f"then run `{reload}`:\n" + result.text
    )


async def center_add(settings: Settings, argv: Sequence[str]) -> int:
    """0 on success, 2 for bad input or a taken code/queue, 1 when the database fails."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:
        return 2 if exc.code else 0
    start, _, end = args.duty.partition("-")
    fields = {
        "code": args.code, "name": args.name, "timezone": args.timezone,
        "duty_start": start, "duty_end": end, "queue_name": args.queue,
    }  # fmt: skip
    weekend = [w for w in args.weekend.split(",") if w.strip()]
    try:
        new = parse_new_center(fields, weekend)
    except InputError as exc:
        print(f"samad-ivr center add: {exc}", file=sys.stderr)
        return 2
    try:
        pool = await create_pool(settings.database_url.value, min_size=1, max_size=1)
    except (StorageUnavailable, asyncpg.PostgresError, OSError) as exc:  # e.g. no such database
        print(f"samad-ivr center add: {exc}", file=sys.stderr)
        return 1
    try:
        centers = CenterRepository(pool)
        center_id = await centers.create(new, CLI_ACTOR)
        queues = await centers.queue_names()
    except CenterExists as exc:
        print(f"samad-ivr center add: {exc.message_fa}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"samad-ivr center add: {exc}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    days = "، ".join(weekday_name(d) for d in sorted(new.weekend_days)) or "none"
    print(
        f"created center {new.code} (id {center_id}, {new.timezone}, duty "
        f"{new.duty_start:%H:%M}-{new.duty_end:%H:%M}, weekend {days}); topics and "
        f"holidays seeded"
    )
    print(report_queue(await _queue_config(settings, queues), new.queue_name))
    return 0
