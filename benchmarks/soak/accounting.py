"""What the soak proves at the end, from the database, the recordings and Kannel's own log.

For every call placed: exactly one row in ``calls``, finished (end time and disposition);
a talking caller has exactly one request with exactly one tracking-code SMS, which left
through the gateway (outbox row submitted or delivered, and exactly one ``Sent SMS`` line
for the caller's number in Kannel's access log); a caller who hung up early has none.
Every recording row of these calls is finalised, its file exists and hashes to the stored
sha256; every call has its call recording, every message call its message.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.soak.traffic import Plan

CALLS_SQL = """
SELECT id, caller_raw, ended_at IS NOT NULL AS ended, disposition, route
FROM calls WHERE caller_raw = ANY($1::text[])
"""
REQUESTS_SQL = """
SELECT r.id, r.call_id, r.tracking_code FROM requests r WHERE r.call_id = ANY($1::bigint[])
"""
SMS_SQL = """
SELECT request_id, body, status FROM sms_outbox WHERE request_id = ANY($1::bigint[])
"""
RECORDINGS_SQL = """
SELECT call_id, kind, path, sha256, finished_at IS NOT NULL AS finished
FROM recordings WHERE call_id = ANY($1::bigint[])
"""
FAULTS_SQL = "SELECT call_id, kind, detail FROM call_faults WHERE call_id = ANY($1::bigint[])"
SENT = re.compile(
    r"Sent SMS .*?\[to:\+?(\d+)\] \[flags:-?\d+:(-?\d+):.*?\[msg:\d+:([0-9A-Fa-f]*)\]"
)
EXAMPLES = 10


def gateway_sends(access_log: Path, offset: int) -> dict[str, list[str]] | None:
    """The texts Kannel sent to each number (digits only), from its access log after
    ``offset``: coding 2 is UCS-2 (big-endian hex), anything else is taken as 8-bit."""
    if not access_log.exists():
        return None
    with access_log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", errors="replace")
    sent: dict[str, list[str]] = {}
    for line in text.splitlines():
        if (m := SENT.search(line)) is not None:
            raw = bytes.fromhex(m.group(3))
            body = raw.decode("utf-16-be" if m.group(2) == "2" else "latin-1", errors="replace")
            sent.setdefault(m.group(1), []).append(body)
    return sent


class Problems:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = {}

    def add(self, what: str, detail: str) -> None:
        self.counts[what] += 1
        shown = self.examples.setdefault(what, [])
        if len(shown) < EXAMPLES:
            shown.append(detail)


async def account(
    url: str, plan: Plan, recordings_dir: Path, access_log: Path, offset: int
) -> dict[str, Any]:
    numbers = [c.number for c in plan.calls if c.placed is not False]
    conn = await asyncpg.connect(url, timeout=10)
    try:
        calls = await conn.fetch(CALLS_SQL, numbers)
        call_ids = [r["id"] for r in calls]
        requests = await conn.fetch(REQUESTS_SQL, call_ids)
        sms = await conn.fetch(SMS_SQL, [r["id"] for r in requests])
        recordings = await conn.fetch(RECORDINGS_SQL, call_ids)
        faults = await conn.fetch(FAULTS_SQL, call_ids)
    finally:
        await conn.close()
    by_number: dict[str, list[asyncpg.Record]] = {}
    for row in calls:
        by_number.setdefault(row["caller_raw"], []).append(row)
    requests_of: dict[int, list[asyncpg.Record]] = {}
    for row in requests:
        requests_of.setdefault(row["call_id"], []).append(row)
    sms_of: dict[int, list[asyncpg.Record]] = {}
    for row in sms:
        sms_of.setdefault(row["request_id"], []).append(row)
    recordings_of: dict[int, list[asyncpg.Record]] = {}
    for row in recordings:
        recordings_of.setdefault(row["call_id"], []).append(row)
    sent = gateway_sends(access_log, offset)

    problems = Problems()
    dispositions: Counter[str] = Counter()
    routes: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()  # kind -> route/disposition: which path each took
    checked_files = 0
    for call in plan.calls:
        if call.placed is False:
            continue
        rows = by_number.get(call.number, [])
        if not rows:
            if call.placed is None:
                continue  # the Originate's answer was lost and no call exists: not placed
            problems.add("missing_from_calls", f"{call.number} ({call.kind})")
            continue
        if len(rows) > 1:
            problems.add("duplicate_calls", f"{call.number}: {len(rows)} rows")
        row = rows[0]
        dispositions[str(row["disposition"])] += 1
        routes[str(row["route"])] += 1
        outcomes[f"{call.kind}: {row['route']}/{row['disposition']}"] += 1
        if not row["ended"] or row["disposition"] is None:
            problems.add("unfinished", f"{call.number} ({call.kind}) call {row['id']}")
        reqs = requests_of.get(row["id"], [])
        if call.wants_request != bool(reqs) or len(reqs) > 1:
            problems.add(
                "requests", f"{call.number} ({call.kind}, {row['disposition']}): {len(reqs)}"
            )
        for req in reqs:
            texts = sms_of.get(req["id"], [])
            coded = [t for t in texts if req["tracking_code"] in t["body"].splitlines()]
            if len(texts) != 1 or len(coded) != 1:
                problems.add("tracking_sms", f"{call.number}: {len(texts)} rows/{len(coded)} coded")
            elif coded[0]["status"] not in ("submitted", "delivered"):
                problems.add("sms_not_sent", f"{call.number}: {coded[0]['status']}")
            at_gateway = [] if sent is None else sent.get(call.e164.lstrip("+"), [])
            with_code = [b for b in at_gateway if req["tracking_code"] in b.splitlines()]
            if sent is not None and (len(at_gateway) != 1 or len(with_code) != 1):
                problems.add("gateway_sends", f"{call.number}: {len(at_gateway)} sent")
        kinds = set()
        for rec in recordings_of.get(row["id"], []):
            kinds.add(rec["kind"])
            checked_files += 1
            problem = _recording_problem(recordings_dir, rec)
            if problem:
                problems.add("recordings", f"{call.number} {rec['kind']}: {problem}")
        if "call" not in kinds:
            problems.add("call_recording_missing", f"{call.number} call {row['id']}")
        if row["disposition"] == "message" and "message" not in kinds:
            problems.add("message_recording_missing", f"{call.number} call {row['id']}")
    for fault in faults:  # the service itself flagged a lost or broken recording
        problems.add(f"call_fault_{fault['kind']}", f"call {fault['call_id']}: {fault['detail']}")
    placed = sum(1 for c in plan.calls if c.placed)
    return {
        "placed": placed,
        "originate_refused": sum(1 for c in plan.calls if c.placed is False),
        "originate_unanswered": sum(1 for c in plan.calls if c.placed is None),
        "in_calls": sum(1 for c in plan.calls if by_number.get(c.number)),
        "requests": len(requests),
        "tracking_sms": len(sms),
        "recordings_checked": checked_files,
        "gateway_sends": None if sent is None else sum(len(v) for v in sent.values()),
        "dispositions": dict(dispositions),
        "routes": dict(routes),
        "outcomes": dict(sorted(outcomes.items())),
        "problems": dict(problems.counts),
        "examples": problems.examples,
        "holds": not problems.counts and placed > 0,
    }


def _recording_problem(recordings_dir: Path, rec: asyncpg.Record) -> str:
    if not rec["finished"] or rec["sha256"] is None:
        return "not finalised"
    path = recordings_dir / rec["path"]
    if not path.is_file():
        return "file missing"
    if hashlib.sha256(path.read_bytes()).hexdigest() != rec["sha256"]:
        return "sha256 differs"
    return ""
