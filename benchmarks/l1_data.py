"""L1's data: 1,000,000 requests in every state of their lifecycle, with their history.

31 provinces with 20 agencies each (a few agencies get most of a province's requests: the
agency is drawn with a squared uniform), the topics 0009 seeds, one province admin and
one inspector per province and one staff account per agency (the actors of the history).
Of the requests, as of the build day D (Tehran):
- 20% `assigned`, waiting for the agency: deadlines spread over D-3..D+20 (those over
  10 days out were sent back by an inspector with 20 days); the ones due before D and
  the reminders due from D-2 on were not handled yet, as if the deadline job had last
  run on D-3: the catch-up run the benchmark times;
- 6% `escalated`, 2% `reopened`, 8% `answered`, 4% `registered` (not yet assigned);
- 60% `closed`, up to a year back: accepted, resolved by the inspectors, or answered
  before any reminder.
Deadlines are 10 calendar days (20 after a send-back) moved off Fridays as
`compute_deadline` does; the data has no holidays.  History: the rows the real moves
write (register, assign with its deadline details, reminders, answers, escalations,
long stops, send-backs, acceptance, reopening), 1 to 6 a request, 4 on average; every
answer has its `request_answers` row, every reminder its portal notice.

A plan table decides each request once (pseudo-random choices are multiplicative hashes
of a sequence number, so a rebuild writes the same rows); ids then follow the time of
registration, as in production, so the requests still open sit together at the recent
end of the table and its indexes instead of one to a page.  Calls, requests, history,
answers, notices and visits are each one `INSERT ... SELECT` from it.
"""

from __future__ import annotations

import time
from datetime import datetime

import asyncpg

from benchmarks import l1_bulk
from benchmarks.w2_data import TOPICS, working

VERSION = "l1-data-v2"
CENTERS = 31
AGENCIES = 20
OFFICIALS = 3

USERS = """
INSERT INTO users (username, full_name, role, center_id, agency_id, password_hash)
SELECT 'l1-admin-' || id, 'مدیر استان', 'province_admin', id, NULL::int, '!' FROM centers
UNION ALL
SELECT 'l1-insp-' || id, 'بازرس', 'inspector', id, NULL, '!' FROM centers
UNION ALL
SELECT 'l1-agency-' || id, 'کارشناس دستگاه', 'agency_staff', center_id, id, '!' FROM agencies
"""
# $1 now, $2 today (Tehran), $3 requests, $4 first center id, $5 first agency id.
PLAN = f"""
CREATE UNLOGGED TABLE l1_plan AS
SELECT *,
       least((start + time '09:00' + (i % 7200) * interval '1 second') AT TIME ZONE
                 'Asia/Tehran', $1::timestamptz - interval '2 hours')
           - CASE WHEN variant = 'sent_back' THEN interval '14 days' ELSE interval '0' END
           AS created_at,
       {working("start + n")} AS due, {working("start + n - 3")} AS remind,
       start + n + 10 AS long_stop
FROM (SELECT i, $4 + c AS center_id,
             $5 + c * {AGENCIES} + floor({AGENCIES} * a * a)::int AS agency_id,
             (ARRAY{list(TOPICS)!r})[1 + (i * 31) % {len(TOPICS)}] AS topic,
             '912' || lpad(((i * 7919) % 300000)::text, 7, '0') AS caller,
             variant, status, k,
             CASE WHEN variant = 'sent_back' THEN 20 ELSE 10 END AS n,
             CASE variant
                 WHEN 'fresh' THEN $2::date + o - 10 WHEN 'sent_back' THEN $2::date + o - 20
                 WHEN 'escalated' THEN $2::date - 14 - floor(g * 31)::int
                 WHEN 'reopened' THEN $2::date - 15 - floor(g * 45)::int
                 WHEN 'answered' THEN $2::date - 1 - floor(g * 19)::int
                 WHEN 'registered' THEN $2::date - floor(g * 2)::int
                 ELSE $2::date - 20 - floor(g * 345)::int END AS start
      FROM (SELECT i, f, g, a, (i * 17) % {CENTERS} AS c, 1 + (i * 13) % 12 AS k,
                   -3 + floor(g * 24)::int AS o,
                   CASE WHEN f < 0.20 THEN CASE WHEN -3 + floor(g * 24) <= 10 THEN 'fresh'
                                                ELSE 'sent_back' END
                        WHEN f < 0.26 THEN 'escalated' WHEN f < 0.28 THEN 'reopened'
                        WHEN f < 0.36 THEN 'answered' WHEN f < 0.40 THEN 'registered'
                        WHEN f < 0.82 THEN 'accepted' WHEN f < 0.88 THEN 'resolved'
                        ELSE 'quick' END AS variant,
                   CASE WHEN f < 0.20 THEN 'assigned' WHEN f < 0.26 THEN 'escalated'
                        WHEN f < 0.28 THEN 'reopened' WHEN f < 0.36 THEN 'answered'
                        WHEN f < 0.40 THEN 'registered' ELSE 'closed' END AS status
            FROM (SELECT i, ((i * 2654435761) % 1000003) / 1000003.0 AS f,
                         ((i * 40503) % 65521) / 65521.0 AS g,
                         ((i * 69621) % 99991) / 99991.0 AS a
                  FROM generate_series(1, $3::bigint) AS i) AS h) AS p) AS q
"""
# Instants of each request's moves (NULL: it did not make that move).
TIMES = """
CREATE UNLOGGED TABLE l1_times AS
SELECT p.*, row_number() OVER (ORDER BY created_at, i) AS id,
       created_at + interval '30 minutes' AS first_assigned_at,
       CASE WHEN variant = 'sent_back'
                 THEN least((start + time '10:00') AT TIME ZONE 'Asia/Tehran',
                            $1::timestamptz - interval '1 hour')
            WHEN variant <> 'registered' THEN created_at + interval '30 minutes' END
           AS assigned_at,
       CASE WHEN variant IN ('registered', 'sent_back', 'quick') THEN NULL
            WHEN variant IN ('fresh', 'answered', 'accepted', 'reopened')
                 AND (remind > $2::date - 3 OR variant <> 'fresh' AND k < 7) THEN NULL
            ELSE (remind + time '08:00') AT TIME ZONE 'Asia/Tehran' END AS reminded_at,
       created_at + interval '9 days' AS first_answered_at,
       created_at + interval '7 days' AS first_reminded_at,
       CASE WHEN variant IN ('escalated', 'resolved')
            THEN (due + 1 + time '06:00') AT TIME ZONE 'Asia/Tehran' END AS escalated_at,
       CASE WHEN variant = 'escalated' AND long_stop <= $2::date - 3
            THEN (long_stop + 1 + time '06:00') AT TIME ZONE 'Asia/Tehran' END AS long_stop_at,
       CASE WHEN variant IN ('answered', 'accepted', 'reopened')
                 THEN least(created_at + k * interval '1 day' + interval '3 hours',
                            $1::timestamptz - interval '1 hour')
            WHEN variant = 'quick' THEN created_at + (1 + k % 3) * interval '1 day' END
           AS answered_at
FROM l1_plan p
"""
REQUESTS = """
INSERT INTO requests (id, tracking_code, call_id, caller_e164, official_id, agency_id, status,
                      created_at, center_id, topic, summary, version, assigned_at,
                      deadline_start, deadline_days, deadline_mode, due_on, remind_on,
                      long_stop_on, reminded_at, escalated_at, long_stop_at, answered_at,
                      answered_late, closed_at{call_start_column})
SELECT id, lpad(id::text, 10, '0'), id, '+98' || caller, NULL,
       CASE WHEN variant <> 'registered' THEN agency_id END, status, created_at, center_id,
       topic, 'درخواست شمارهٔ ' || id || ' دربارهٔ ' || topic, 0,
       assigned_at, CASE WHEN a THEN start END, CASE WHEN a THEN n END,
       CASE WHEN a THEN 'calendar' END, CASE WHEN a THEN due END, CASE WHEN a THEN remind END,
       CASE WHEN a THEN long_stop END, reminded_at, escalated_at, long_stop_at, answered_at,
       (answered_at AT TIME ZONE 'Asia/Tehran')::date > due,
       CASE WHEN status = 'closed' THEN coalesce(answered_at, escalated_at)
                                        + interval '2 days' END{call_start_value}
FROM (SELECT *, variant <> 'registered' AS a FROM l1_times) AS t
ORDER BY id
"""
# The call's start (CALLS below), for requests.call_started_at where the schema has it.
CALL_START = "created_at - interval '6 minutes'"
CALLS = """
INSERT INTO calls (id, uniqueid, center_id, caller_raw, caller_e164, started_at, answered_at,
                   ended_at, disposition, route, created_at)
SELECT id, 'l1.' || id, center_id, '0' || caller, '+98' || caller,
       created_at - interval '6 minutes', created_at - interval '5 minutes',
       created_at - interval '1 minute', 'answered', 'desk', created_at - interval '6 minutes'
FROM l1_times ORDER BY id
"""
# The moves of each variant: (step, event, action, from, to, when, actor, only if set).
PATHS = """
CREATE UNLOGGED TABLE l1_paths (variant text, step int, event text, action text,
    from_status text, to_status text, at_key text, actor text, needs text);
INSERT INTO l1_paths VALUES
 ('registered',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('fresh',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('fresh',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('fresh',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job','reminded'),
 ('sent_back',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('sent_back',2,'transition','assign','registered','assigned','first_assigned','admin',NULL),
 ('sent_back',3,'reminder_sent',NULL,NULL,NULL,'first_reminded','deadline_job',NULL),
 ('sent_back',4,'transition','answer','assigned','answered','first_answered','agency',NULL),
 ('sent_back',5,'transition','send_back','answered','assigned','assigned','inspector',NULL),
 ('escalated',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('escalated',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('escalated',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job',NULL),
 ('escalated',4,'transition','escalate','assigned','escalated','escalated','deadline_job',NULL),
 ('escalated',5,'long_stop',NULL,NULL,NULL,'long_stop','deadline_job','long_stop'),
 ('reopened',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('reopened',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('reopened',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job','reminded'),
 ('reopened',4,'transition','answer','assigned','answered','answered','agency',NULL),
 ('reopened',5,'transition','accept','answered','closed','accepted','inspector',NULL),
 ('reopened',6,'transition','reopen','closed','reopened','reopened','citizen_ivr',NULL),
 ('answered',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('answered',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('answered',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job','reminded'),
 ('answered',4,'transition','answer','assigned','answered','answered','agency',NULL),
 ('accepted',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('accepted',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('accepted',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job','reminded'),
 ('accepted',4,'transition','answer','assigned','answered','answered','agency',NULL),
 ('accepted',5,'transition','accept','answered','closed','closed','inspector',NULL),
 ('resolved',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('resolved',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('resolved',3,'reminder_sent',NULL,NULL,NULL,'reminded','deadline_job',NULL),
 ('resolved',4,'transition','escalate','assigned','escalated','escalated','deadline_job',NULL),
 ('resolved',5,'transition','resolve','escalated','closed','closed','inspector',NULL),
 ('quick',1,'transition','register',NULL,'registered','created','intake',NULL),
 ('quick',2,'transition','assign','registered','assigned','assigned','admin',NULL),
 ('quick',3,'transition','answer','assigned','answered','answered','agency',NULL),
 ('quick',4,'transition','accept','answered','closed','closed','inspector',NULL)
"""
HISTORY = """
INSERT INTO request_history (request_id, at, event, action, from_status, to_status, user_id,
                             username, job, note, details)
SELECT r.id, w.at, p.event, p.action, p.from_status, p.to_status, u.id, u.username,
       CASE WHEN u.id IS NULL THEN p.actor END,
       CASE p.action WHEN 'send_back' THEN 'پاسخ قانع‌کننده نبود؛ بازبینی شود.' END,
       CASE WHEN p.action IN ('assign', 'send_back') THEN jsonb_build_object(
           'agency_id', r.agency_id, 'topic', r.topic, 'deadline', jsonb_build_object(
               'start', r.deadline_start, 'days', r.deadline_days, 'mode', r.deadline_mode,
               'due_on', r.due_on, 'skipped', jsonb_build_array()))
            WHEN p.action = 'answer'
            THEN jsonb_build_object('late', coalesce(r.answered_late, false))
       END
FROM l1_times t
JOIN requests r ON r.id = t.id
JOIN l1_paths p ON p.variant = t.variant
CROSS JOIN LATERAL (SELECT CASE p.at_key
    WHEN 'created' THEN t.created_at WHEN 'assigned' THEN t.assigned_at
    WHEN 'first_assigned' THEN t.first_assigned_at WHEN 'reminded' THEN t.reminded_at
    WHEN 'first_reminded' THEN t.first_reminded_at WHEN 'answered' THEN t.answered_at
    WHEN 'first_answered' THEN t.first_answered_at WHEN 'escalated' THEN t.escalated_at
    WHEN 'long_stop' THEN t.long_stop_at WHEN 'closed' THEN r.closed_at
    WHEN 'accepted' THEN t.answered_at + interval '2 days'
    WHEN 'reopened' THEN t.answered_at + interval '4 days' END AS at) AS w
LEFT JOIN users u ON u.username = CASE p.actor
    WHEN 'admin' THEN 'l1-admin-' || t.center_id WHEN 'inspector' THEN 'l1-insp-' || t.center_id
    WHEN 'agency' THEN 'l1-agency-' || t.agency_id END
WHERE p.needs IS NULL OR (p.needs = 'reminded' AND t.reminded_at IS NOT NULL)
   OR (p.needs = 'long_stop' AND t.long_stop_at IS NOT NULL)
ORDER BY w.at, r.id
"""
ANSWERS = """
INSERT INTO request_answers (request_id, agency_id, user_id, body, created_at)
SELECT h.request_id, r.agency_id, h.user_id,
       'پاسخ دستگاه به درخواست ' || r.tracking_code || ': موضوع بررسی و اقدام لازم انجام شد.',
       h.at
FROM request_history h JOIN requests r ON r.id = h.request_id
WHERE h.action = 'answer' ORDER BY h.id
"""
NOTICES = """
INSERT INTO agency_notifications (agency_id, request_id, kind, subject, body, created_at,
                                  read_at)
SELECT r.agency_id, r.id, 'reminder', 'یادآوری مهلت درخواست ' || r.tracking_code,
       'مهلت پاسخ رو به پایان است.', h.at, h.at + interval '3 hours'
FROM request_history h JOIN requests r ON r.id = h.request_id
WHERE h.event = 'reminder_sent' ORDER BY h.id
"""
VISITS = """
INSERT INTO inspection_visits (request_id, agency_id, user_id, visited_on, findings, created_at)
SELECT r.id, r.agency_id, u.id, (r.escalated_at AT TIME ZONE 'Asia/Tehran')::date + 2,
       'بازدید از دستگاه و بررسی پرونده.', r.escalated_at + interval '2 days'
FROM requests r JOIN users u ON u.username = 'l1-insp-' || r.center_id
WHERE r.escalated_at IS NOT NULL AND r.id % 3 = 0
"""
SEQUENCES = """
SELECT setval(pg_get_serial_sequence('calls', 'id'), (SELECT max(id) FROM calls)),
       setval(pg_get_serial_sequence('requests', 'id'), (SELECT max(id) FROM requests))
"""
CLEANUP = "DROP TABLE l1_plan, l1_times, l1_paths"
FIRST_IDS = "SELECT (SELECT min(id) FROM centers), (SELECT min(id) FROM agencies)"
TABLES = (
    "calls", "requests", "request_history", "request_answers", "agency_notifications",
    "inspection_visits",
)  # fmt: skip
RECIPE = " ".join(
    (VERSION, USERS, PLAN, TIMES, REQUESTS, CALLS, PATHS, HISTORY, ANSWERS, NOTICES, VISITS)
)


async def generate(url: str, requests: int, now: datetime) -> dict[str, float]:
    """Fill the migrated database at `url` as of `now`; the seconds each phase took."""
    phases: dict[str, float] = {}
    today = now.astimezone(l1_bulk.TEHRAN).date()
    conn = await asyncpg.connect(url, command_timeout=None)
    try:
        await l1_bulk.seed_provinces(conn, CENTERS, AGENCIES, OFFICIALS)
        await conn.execute(USERS)
        first_center, first_agency = await conn.fetchrow(FIRST_IDS) or (0, 0)
        await l1_bulk.fast_session(conn)
        indexes = await l1_bulk.drop_secondary_indexes(conn, TABLES)
        await conn.execute(PATHS)
        steps: tuple[tuple[str, str, tuple[object, ...]], ...] = (
            ("plan", PLAN, (now, today, requests, first_center, first_agency)),
            ("times", TIMES, (now, today)),
            ("calls", CALLS, ()),
            ("requests", await l1_bulk.with_call_start(conn, REQUESTS, CALL_START), ()),
            ("history", HISTORY, ()),
            ("answers", ANSWERS, ()),
            ("notices", NOTICES, ()),
            ("visits", VISITS, ()),
        )
        for name, sql, args in steps:
            started = time.monotonic()
            await l1_bulk.timed(conn, name, sql, *args)
            phases[f"{name}_s"] = round(time.monotonic() - started, 1)
        await conn.execute(SEQUENCES)
        await conn.execute(CLEANUP)
        started = time.monotonic()
        await l1_bulk.rebuild_indexes(conn, indexes)
        phases["indexes_s"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        await conn.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}, agencies, centers, users")
        phases["vacuum_s"] = round(time.monotonic() - started, 1)
    finally:
        await conn.close()
    return phases
