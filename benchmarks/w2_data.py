"""W2's data: five years of the whole country's calls, with their requests and recordings.

31 provinces, calls evenly over the five years up to the build (10,000,000 of them is
~177 a day per province, a little above the source's 140–160), newest with the highest
ids as in production.  Per 20 calls: 14 answered at the desk, 3 messages, 2 abandoned, 1
unanswered.  About 40% of the answered and message calls carry a request (3.4M at 10M
calls); each request's status follows its age (older than 40 days: nearly all closed;
the last 10 days: mostly waiting for the agency) and carries the deadline columns of
0009 as `RequestLifecycle.assign` would have written them (10 calendar days; Friday, the
weekend, moves a deadline to Saturday; the data has no holidays).  Every answered call
has a recording, every message its message recording.  Callers: 2,000,000 numbers
spread over the years, plus one frequent caller (09120001234) with a call every 100,000.

Everything is `INSERT ... SELECT` over `generate_series`, in chunks of a million with
progress lines; pseudo-random choices are multiplicative hashes of the id, so a rebuild
writes the same rows.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import asyncpg

from benchmarks import l1_bulk

log = logging.getLogger(__name__)

VERSION = "w2-data-v1"
CENTERS = 31
AGENCIES = 20
OFFICIALS = 5
YEARS = 5
CHUNK = 1_000_000
WORKERS = 2  # this box's cores: a build that runs alone uses both
FREQUENT_CALLER = "+989120001234"
TOPICS = (
    "employment", "preschool_teachers", "housing", "bank_loans", "industry", "agriculture",
    "family", "other",
)  # fmt: skip

# $1..$2 the ids; $3 the first center id; $4 the first official id; $5 the newest call's
# start; $6 the number of calls; $7 seconds between two calls.
CALLS = f"""
INSERT INTO calls (id, uniqueid, center_id, caller_raw, caller_e164, started_at, answered_at,
                   ended_at, disposition, route, official_id, queue_wait_seconds, created_at)
SELECT i, extract(epoch FROM t)::bigint || '.' || i, $3 + i % {CENTERS}, '0' || caller,
       '+98' || caller, t,
       CASE WHEN d < 14 THEN t + interval '25 seconds' END,
       t + (40 + (i * 13) % 600) * interval '1 second',
       (ARRAY['answered', 'message', 'abandoned', 'no_answer'])[b],
       (ARRAY['desk', 'closed', 'queue', 'deputy'])[b],
       CASE WHEN b = 1 THEN $4 + (i % {CENTERS}) * {OFFICIALS} + (i / {CENTERS}) % {OFFICIALS} END,
       CASE WHEN b IN (1, 3) THEN (i * 7) % 90 END, t
FROM (SELECT i, $5::timestamptz - ($6 - i) * $7 * interval '1 second' AS t, i % 20 AS d,
             CASE WHEN i % 20 < 14 THEN 1 WHEN i % 20 < 17 THEN 2 WHEN i % 20 < 19 THEN 3
                  ELSE 4 END AS b,
             CASE WHEN i % 100000 = 7 THEN '9120001234'
                  ELSE '912' || lpad(((i * 7919) % 2000000)::text, 7, '0') END AS caller
      FROM generate_series($1::bigint, $2::bigint) AS i) AS g
"""


def working(day: str) -> str:
    """SQL: `day`, or the Saturday after it when it is a Friday (the data's one closed
    weekday), as compute_deadline moves a calendar-mode deadline."""
    return f"({day} + (extract(isodow FROM {day}) = 5)::int)"


# $1..$2 call ids; $3 the first agency id; $4 the first center id; $5 now; $6 today.
REQUESTS = f"""
INSERT INTO requests (id, tracking_code, call_id, caller_e164, official_id, agency_id, status,
                      created_at, center_id, topic, version, assigned_at, deadline_start,
                      deadline_days, deadline_mode, due_on, remind_on, long_stop_on,
                      reminded_at, escalated_at, long_stop_at, answered_at, answered_late,
                      closed_at{{call_start_column}})
SELECT id, lpad(id::text, 10, '0'), id, caller_e164, official_id,
       CASE WHEN assigned THEN agency END, status, created_at, center_id, topic,
       CASE status WHEN 'registered' THEN 0 WHEN 'assigned' THEN 1 WHEN 'answered' THEN 2
                   WHEN 'escalated' THEN 3 WHEN 'closed' THEN 3 ELSE 4 END,
       CASE WHEN assigned THEN created_at + interval '30 minutes' END,
       CASE WHEN assigned THEN start END, CASE WHEN assigned THEN 10 END,
       CASE WHEN assigned THEN 'calendar' END,
       CASE WHEN assigned THEN due END, CASE WHEN assigned THEN remind END,
       CASE WHEN assigned THEN start + 20 END,
       CASE WHEN assigned AND remind < $6 AND (status IN ('assigned', 'escalated') OR k >= 7)
            THEN (remind + time '08:00') AT TIME ZONE 'Asia/Tehran' END,
       CASE WHEN status = 'escalated'
            THEN least($5, (due + 1 + time '06:00') AT TIME ZONE 'Asia/Tehran') END,
       CASE WHEN status = 'escalated' AND start + 20 < $6
            THEN (start + 21 + time '06:00') AT TIME ZONE 'Asia/Tehran' END,
       CASE WHEN answered THEN answered_at END,
       CASE WHEN answered THEN (answered_at AT TIME ZONE 'Asia/Tehran')::date > due END,
       CASE WHEN status = 'closed' THEN least($5, answered_at + interval '2 days') END
       {{call_start_value}}
FROM (SELECT *, status <> 'registered' AS assigned,
             status IN ('answered', 'closed', 'reopened') AS answered,
             least(created_at + k * interval '1 day', created_at + ($5 - created_at) / 2)
                 AS answered_at
      FROM (SELECT c.id, c.caller_e164, c.official_id, c.center_id, c.started_at AS created_at,
                   $3 + (c.center_id - $4) * {AGENCIES}
                      + floor({AGENCIES} * power(((c.id * 40503) % 65521) / 65521.0, 2))::int
                      AS agency,
                   (ARRAY{list(TOPICS)!r})[1 + (c.id * 31) % {len(TOPICS)}] AS topic,
                   1 + (c.id * 13) % 12 AS k, s.start, {working("s.start + 10")} AS due,
                   {working("s.start + 7")} AS remind,
                   CASE WHEN $6 - s.start > 40 THEN
                             CASE WHEN h < 96 THEN 'closed' WHEN h < 98 THEN 'answered'
                                  WHEN h < 99 THEN 'escalated' ELSE 'reopened' END
                        WHEN $6 - s.start >= 10 THEN
                             CASE WHEN h < 60 THEN 'closed' WHEN h < 80 THEN 'answered'
                                  WHEN h < 95 THEN 'escalated' ELSE 'reopened' END
                        ELSE CASE WHEN h < 65 THEN 'assigned' WHEN h < 75 THEN 'registered'
                                  WHEN h < 95 THEN 'answered' ELSE 'closed' END
                   END AS status
            FROM calls c,
                 LATERAL (SELECT (c.started_at AT TIME ZONE 'Asia/Tehran')::date AS start,
                                 (c.id * 7919) % 100 AS h) AS s
            WHERE c.id BETWEEN $1 AND $2 AND c.disposition IN ('answered', 'message')
              AND (c.id * 37) % 100 < 40) AS base) AS r
"""
RECORDINGS = """
INSERT INTO recordings (call_id, kind, path, duration_seconds, size_bytes, sha256,
                        finished_at, created_at)
SELECT id, CASE disposition WHEN 'answered' THEN 'call' ELSE 'message' END,
       'w2/' || id || '.wav', extract(epoch FROM ended_at - started_at),
       16000 * extract(epoch FROM ended_at - started_at)::bigint,
       md5(id::text) || md5(uniqueid), ended_at + interval '5 seconds', ended_at
FROM calls WHERE id BETWEEN $1 AND $2 AND disposition IN ('answered', 'message')
"""
SET_SEQUENCES = """
SELECT setval(pg_get_serial_sequence('calls', 'id'), (SELECT max(id) FROM calls)),
       setval(pg_get_serial_sequence('requests', 'id'), (SELECT max(id) FROM requests))
"""
FIRST_IDS = """
SELECT (SELECT min(id) FROM centers) AS center, (SELECT min(id) FROM agencies) AS agency,
       (SELECT min(id) FROM officials) AS official
"""
RECIPE = f"{VERSION} {CENTERS} {AGENCIES} {OFFICIALS} {YEARS} {CALLS} {REQUESTS} {RECORDINGS}"


async def generate(
    url: str, calls: int, now: datetime, chunk: int = CHUNK, workers: int = WORKERS
) -> dict[str, float]:
    """Fill the migrated database at `url`; the seconds each phase took.  The chunks of
    each phase go to `workers` connections at once (the phases one after the other)."""
    phases: dict[str, float] = {}
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await l1_bulk.seed_provinces(conn, CENTERS, AGENCIES, OFFICIALS)
        first = await conn.fetchrow(FIRST_IDS)
        assert first is not None
        await l1_bulk.fast_session(conn)
        indexes = await l1_bulk.drop_secondary_indexes(conn, ["calls", "requests", "recordings"])
        step = YEARS * 365.25 * 86400 / calls
        today = now.astimezone(l1_bulk.TEHRAN).date()
        for name, sql, args in (
            ("calls", CALLS, (first["center"], first["official"], now, calls, step)),
            (
                "requests",
                await l1_bulk.with_call_start(conn, REQUESTS, "created_at"),
                (first["agency"], first["center"], now, today),
            ),
            ("recordings", RECORDINGS, ()),
        ):
            started = time.monotonic()
            await l1_bulk.chunked_parallel(url, name, sql, calls, chunk, workers, *args)
            phases[f"{name}_s"] = round(time.monotonic() - started, 1)
        await conn.execute(SET_SEQUENCES)
        started = time.monotonic()
        await l1_bulk.rebuild_indexes(conn, indexes)
        phases["indexes_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        # Visibility map and hint bits now, not during the first timed queries.
        await conn.execute("VACUUM (ANALYZE) calls, requests, recordings, agencies, centers")
        phases["vacuum_s"] = round(time.monotonic() - started, 1)
    finally:
        await conn.close()
    return phases
