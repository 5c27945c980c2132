from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.roster import RosterRepository

from .conftest import T0, MakeCall

SHA = "ab" * 32


async def test_later_upsert_never_erases_known_values(
    calls: CallRepository, roster: RosterRepository, center_id: int
) -> None:
    official = await roster.add_official(center_id, "a", "b", None, "PJSIP/desk")
    full = CallUpsert(
        uniqueid="1740800000.1",
        linkedid="1740800000.1",
        center_id=center_id,
        caller_raw="09121234567",
        caller_name_raw="Ali",
        caller_e164="+989121234567",
        started_at=T0,
        answered_at=T0 + timedelta(seconds=5),
        disposition="answered",
        route="desk",
        official_id=official,
        queue_wait_seconds=2.5,
    )
    call_id = await calls.upsert_call(full)

    sparse = CallUpsert(
        uniqueid="1740800000.1", caller_raw="other", started_at=T0 + timedelta(seconds=1)
    )
    assert await calls.upsert_call(sparse) == call_id

    row = await calls.get_call("1740800000.1")
    assert row is not None
    assert (row.linkedid, row.center_id, row.caller_raw, row.caller_name_raw) == (
        "1740800000.1",
        center_id,
        "09121234567",
        "Ali",
    )
    assert (row.caller_e164, row.started_at, row.answered_at) == (
        "+989121234567",
        T0,
        T0 + timedelta(seconds=5),
    )
    assert (row.disposition, row.route, row.official_id, row.queue_wait_seconds) == (
        "answered",
        "desk",
        official,
        2.5,
    )
    assert row.ended_at is None


async def test_later_upsert_overwrites_outcome_with_known_values(
    calls: CallRepository, make_call: MakeCall
) -> None:
    await make_call(uniqueid="u1", disposition="no_answer", route="desk")
    end = T0 + timedelta(minutes=3)
    await calls.upsert_call(
        CallUpsert(
            uniqueid="u1",
            caller_raw="x",
            started_at=T0 - timedelta(seconds=2),
            ended_at=end,
            disposition="message",
            route="deputy",
        )
    )
    row = await calls.get_call("u1")
    assert row is not None
    assert (row.disposition, row.route, row.ended_at) == ("message", "deputy", end)
    assert row.started_at == T0 - timedelta(seconds=2)  # earliest observation wins
    assert await calls.get_call("missing") is None


async def test_invalid_disposition_is_rejected_by_the_schema(make_call: MakeCall) -> None:
    with pytest.raises(asyncpg.CheckViolationError):
        await make_call(disposition="lost")


async def test_re_adding_a_recording_updates_it_in_place(
    calls: CallRepository, make_call: MakeCall
) -> None:
    call_id = await make_call()
    pending = await calls.add_pending_recording(call_id, "call", "2025/03/01/u1.wav")
    assert [r.id for r in await calls.pending_recordings(10)] == [pending]

    done = T0 + timedelta(minutes=4)
    again = await calls.add_recording(call_id, "call", "2025/03/01/u1.wav", 12.5, 4000, SHA, done)
    message = await calls.add_recording(call_id, "message", "m/u1.wav", None, None, None, None)

    assert again == pending
    assert await calls.add_pending_recording(call_id, "call", "other.wav") == pending
    rows = await calls.recordings_for(call_id)
    assert [(r.id, r.kind) for r in rows] == [(pending, "call"), (message, "message")]
    assert (rows[0].path, rows[0].duration_seconds, rows[0].size_bytes) == (
        "2025/03/01/u1.wav",
        12.5,
        4000,
    )
    assert (rows[0].sha256, rows[0].finished_at) == (SHA, done)
    assert [r.id for r in await calls.pending_recordings(10)] == [message]


@pytest.mark.parametrize(
    ("path", "sha256"),
    [("/var/spool/x.wav", SHA), ("../x.wav", SHA), ("a/../../x.wav", SHA), ("x.wav", "AB" * 32)],
)
async def test_recording_path_must_stay_relative_and_hash_lowercase_hex(
    calls: CallRepository, make_call: MakeCall, path: str, sha256: str
) -> None:
    call_id = await make_call()
    with pytest.raises(asyncpg.CheckViolationError):
        await calls.add_recording(call_id, "call", path, 1.0, 1, sha256, T0)
