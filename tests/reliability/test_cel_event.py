"""The CEL event the hangup handler emits carries exactly the report post_call reads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from samad_ivr.calls.reconcile import CallReconciler, report_from_event
from samad_ivr.calls.report import channel_expression

from .rig import Rig

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan/extensions_samad.conf"


def test_the_hangup_handler_emits_every_report_field_before_asking_the_service() -> None:
    text = DIALPLAN.read_text("utf-8")
    hangup = text[text.index("[samad-hangup]") : text.index("[samad-agi-other]")]
    (event,) = re.findall(r"CELGenUserEvent\(SAMAD_REPORT,(.*)\)\n", hangup)
    assert event == channel_expression()
    assert hangup.index("CELGenUserEvent") < hangup.index("/post_call)")


def row(extra: str) -> dict[str, object]:
    return {"extra": extra, "uniqueid": "1796220145.0", "cid_num": "09181234571",
            "cid_name": "", "eventtime": datetime(2026, 12, 2, 10, 30, 44)}  # fmt: skip


def test_the_event_text_is_read_whether_asterisk_wraps_it_in_json_or_not() -> None:
    fields = "1796220145.0|1796220145|1796220146|1796220184|register|desk|desk|ANSWER||||"
    fields += "1796220145.0.wav||7||hamedan||node-1"
    for extra in (json.dumps({"extra": fields}), fields):
        report = report_from_event(row(extra))  # type: ignore[arg-type]
        assert report.leg == "desk"
        assert report.dialstatus == "ANSWER"
        assert report.official_id == 7
        assert report.recording == "1796220145.0.wav"
        assert report.systemname == "node-1"
        assert report.ended_at is not None
        assert report.ended_at.timestamp() == 1796220184


def test_an_event_whose_fields_cannot_be_split_still_ends_the_call_at_the_event() -> None:
    report = report_from_event(row("a|b"))  # type: ignore[arg-type]
    assert report.ended_at is not None
    assert report.ended_at.isoformat() == "2026-12-02T10:30:44+00:00"


CEL_SQL = """
INSERT INTO cel (eventtype, eventtime, userdeftype, cid_num, cid_name, uniqueid, extra)
VALUES ('SAMAD_REPORT', (now() AT TIME ZONE 'UTC') - interval '5 minutes', 'SAMAD_REPORT',
        '09181234599', '', $1, $2)
"""


async def test_reconciliation_stores_its_own_province_s_unseen_calls_once(
    rig: Rig,
) -> None:
    start = int(datetime.now(UTC).timestamp()) - 400
    for uid, center in (("1796300000.1", "hamedan"), ("1796300000.2", "tabriz")):
        fields = f"{uid}|{start}|{start + 2}|{start + 90}|closed|closed|closed|||||"
        fields += f"||||{center}||"
        async with rig.pool.acquire() as conn:
            await conn.execute(CEL_SQL, uid, json.dumps({"extra": fields}))
    reconciler = CallReconciler(
        rig.pool, rig.intake, rig.finaliser, center_code="hamedan", grace_seconds=0
    )
    first = await reconciler.run()
    again = await reconciler.run()
    assert (first.stored, again.stored) == (1, 0)
    call = await rig.calls.get_call("1796300000.1")
    assert call is not None
    assert call.ended_at is not None
    assert call.ended_at.timestamp() == start + 90
    assert call.answered_at is not None
    assert call.disposition is not None
    assert await rig.calls.get_call("1796300000.2") is None  # another province's call
