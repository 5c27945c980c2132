"""Several desks answering one fair queue, on real Asterisk (issue 13).

Two officials are on duty at once (overlapping slots): `short` talks about 10 s per
caller, `long` about 30 s.  Four callers arrive: A and B together, C three seconds
later, D three seconds after C.  Asterisk's queue_log says who was connected to whom and
when; the service's rows say who each call was registered with; Asterisk's log says what
the whisper legs played and whom they whispered to.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from samad_ivr.ami.client import AmiClient
from samad_ivr.storage.roster import RosterRepository

from .conftest import INSTANCE_ENV, AsteriskInstance, wait_for
from .test_call_flows import finished_call, place

SHORT, LONG = "Local/short@samad-test-queue-desk", "Local/long@samad-test-queue-desk"
CALLERS = {"A": "09181230001", "B": "09181230002", "C": "09181230003", "D": "09181230004"}


def log_dir(asterisk: AsteriskInstance) -> Path:
    # recordings_dir is <root>/var/spool/samad-asterisk/<instance>/samad/recordings.
    var = asterisk.recordings_dir.parents[4]
    return var / "log" / "samad-asterisk" / INSTANCE_ENV["SAMAD_ASTERISK_INSTANCE"]


def queue_log(asterisk: AsteriskInstance, uniqueids: set[str]) -> list[list[str]]:
    """queue_log lines (epoch|uniqueid|queue|member|event|data...) of these calls."""
    path = log_dir(asterisk) / "queue_log"
    lines = [line.split("|") for line in path.read_text(errors="replace").splitlines()]
    return [f for f in lines if len(f) >= 5 and f[1] in uniqueids]


async def seed_two_desks(db: asyncpg.Pool) -> tuple[int, int]:
    roster = RosterRepository(db)
    center = await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    await roster.set_weekend(center, frozenset())
    agency = await roster.ensure_agency(center, "استانداری همدان")
    short = await roster.add_official(center, "میز یک", "معاون استاندار", agency, SHORT)
    long = await roster.add_official(center, "میز دو", "مدیرکل", agency, LONG)
    now = datetime.now(UTC)
    # Overlapping slots of two officials: two desks at once.
    await roster.add_slot(center, short, now - timedelta(minutes=5), now + timedelta(hours=1))
    await roster.add_slot(center, long, now - timedelta(minutes=2), now + timedelta(hours=2))
    return short, long


async def test_two_desks_answer_two_callers_at_once_and_the_queue_keeps_arrival_order(
    asterisk: AsteriskInstance, ami: AmiClient, db_pool: asyncpg.Pool, start_service: object
) -> None:
    short, long = await seed_two_desks(db_pool)
    await start_service(  # type: ignore[operator]
        SAMAD_QUEUE_MAX_WAIT_SECONDS="180",
        SAMAD_QUEUE_SYNC_SECONDS="1",
        SAMAD_QUEUE_ANNOUNCE_SECONDS="10",
    )

    async def both_members() -> bool:
        shown = asterisk.rx("queue show samad-desk")
        return SHORT in shown and LONG in shown

    await wait_for(both_members, 30, "both desks on duty to be queue members")

    await asyncio.gather(*(place(ami, CALLERS[k], "speak", SAMAD_TEST_REPEATS="1") for k in "AB"))
    await asyncio.sleep(3)
    await place(ami, CALLERS["C"], "speak", SAMAD_TEST_REPEATS="1")
    await asyncio.sleep(3)
    await place(ami, CALLERS["D"], "speak", SAMAD_TEST_REPEATS="1")

    calls = {k: await finished_call(db_pool, number) for k, number in CALLERS.items()}
    assert {k: c["disposition"] for k, c in calls.items()} == dict.fromkeys(CALLERS, "answered")
    uid = {k: c["uniqueid"] for k, c in calls.items()}
    events = queue_log(asterisk, set(uid.values()))
    entered = {f[1]: float(f[0]) for f in events if f[4] == "ENTERQUEUE"}
    connect = {f[1]: (float(f[0]), f[3]) for f in events if f[4] == "CONNECT"}
    ended = {f[1]: float(f[0]) for f in events if f[4] in ("COMPLETECALLER", "COMPLETEAGENT")}
    assert set(connect) == set(uid.values()), events

    # Two conversations at the same time, with different officials.
    a, b = connect[uid["A"]], connect[uid["B"]]
    assert {a[1], b[1]} == {str(short), str(long)}
    assert max(a[0], b[0]) < min(ended[uid["A"]], ended[uid["B"]])
    # C waited while both desks talked and was answered when one freed up ...
    assert connect[uid["C"]][0] >= min(ended[uid["A"]], ended[uid["B"]]) - 1
    # ... and D, who arrived later, never went ahead of C.
    assert entered[uid["C"]] < entered[uid["D"]]
    assert connect[uid["C"]][0] <= connect[uid["D"]][0]

    for k, call in calls.items():
        # registered with the official whose desk took the call (MEMBERNAME)
        assert call["official_id"] == int(connect[uid[k]][1]), k
        request = await db_pool.fetchrow("SELECT * FROM requests WHERE call_id = $1", call["id"])
        assert request is not None
        assert request["official_id"] == call["official_id"]
        recording = await db_pool.fetchrow(
            "SELECT path FROM recordings WHERE call_id = $1 AND kind = 'call'", call["id"]
        )
        assert recording is not None, f"{k}'s conversation is not recorded"

    # D waited about 10 s or more: it heard its place on entry and again a period later,
    # whispered into its own channel by legs that played our Persian prompts.
    text = (log_dir(asterisk) / "messages.log").read_text(errors="replace")
    opened = re.search(r'NoOp\("([^"]+)", "Samad call ' + re.escape(uid["D"]) + r'"\)', text)
    assert opened is not None
    spied = re.findall(r"(?<!Done )Spying on channel " + re.escape(opened[1]) + "$", text, re.M)
    assert len(spied) >= 2, f"D heard {len(spied)} position announcements"
    whispered = re.findall(r"<Local/whisper@samad-queue-whisper-[^>]+;1> Playing '([^']+)\.", text)
    assert "queue-callswaiting" in whispered or "queue-youarenext" in whispered
    assert "queue-holdtime" in whispered
