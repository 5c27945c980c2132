"""A call is its node's systemname and its uniqueid: two provinces never merge."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from samad_ivr.calls.report import build_report, report_from_json
from samad_ivr.national.listen import ListenError, spy_variables
from samad_ivr.storage.calls import CallRepository, CallUpsert

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def test_the_same_uniqueid_from_two_nodes_is_two_calls(db_pool: asyncpg.Pool) -> None:
    calls = CallRepository(db_pool)
    a = await calls.upsert_call(
        CallUpsert(uniqueid="1795000000.1", systemname="hamedan", caller_raw="1", started_at=T0)
    )
    b = await calls.upsert_call(
        CallUpsert(uniqueid="1795000000.1", systemname="tabriz", caller_raw="2", started_at=T0)
    )
    again = await calls.upsert_call(
        CallUpsert(uniqueid="1795000000.1", systemname="hamedan", caller_raw="1", started_at=T0,
                   disposition="abandoned")
    )  # fmt: skip
    assert a != b
    assert again == a
    row = await calls.get_call("1795000000.1", "tabriz")
    assert row is not None
    assert row.caller_raw == "2"
    assert row.disposition is None
    legacy = await calls.get_call("1795000000.1")  # a node without systemname
    assert legacy is None


def test_the_report_carries_the_channel_s_systemname_through_the_spool() -> None:
    report = build_report(
        uniqueid="hamedan-1795000000.7", caller_raw="", caller_name_raw="",
        values={"systemname": "hamedan"}, source="fastagi",
    )  # fmt: skip
    assert report.systemname == "hamedan"
    assert report_from_json(report.to_json()).systemname == "hamedan"
    bad = build_report(uniqueid="1.2", caller_raw="", caller_name_raw="",
                       values={"systemname": "a b;c"}, source="fastagi")  # fmt: skip
    assert bad.systemname == ""


def test_listen_in_accepts_a_uniqueid_with_the_node_s_systemname() -> None:
    assert spy_variables("PJSIP/listener-1", "hamedan-1-1795000000.12") == {
        "SAMAD_SPY_CHANNEL": "hamedan-1-1795000000.12"
    }
    for bad in ("1795000000.12,w", "-1795000000.12", "a b-1795000000.12", "x-"):
        with pytest.raises(ListenError):
            spy_variables("PJSIP/listener-1", bad)
