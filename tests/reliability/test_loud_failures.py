"""Loud failures: what goes wrong with a call's recordings is stored on the call and told."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from samad_ivr.calls.report import build_report
from samad_ivr.storage.calls import RecordingRow

from .rig import Rig, rig_for, write_wav

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC).timestamp()


def report(uniqueid: str, **values: object):  # type: ignore[no-untyped-def]
    base = {"started_epoch": START, "ended_epoch": START + 30, "leg": "message",
            "stage": "message", "recording": f"{uniqueid}.wav"}  # fmt: skip
    base.update(values)
    return build_report(uniqueid=uniqueid, caller_raw="09121234567", caller_name_raw="",
                        values=base, source="fastagi")  # fmt: skip


async def test_an_unwritable_recordings_directory_is_stored_on_the_call_and_told(
    rig: Rig,
) -> None:
    rig.recordings.rmdir()  # Asterisk cannot write there either (same for a read-only mount)
    result = await rig.intake.take(report("1795000000.1"), final=True)
    faults = await rig.faults.faults_for(result.call_id)
    assert [f.kind for f in faults] == ["recording_dir"]
    assert "No such file" in faults[0].detail
    state = rig.probe.last()
    assert state is not None
    assert not state.ok
    notes = await rig.notifications()
    assert [n["kind"] for n in notes] == ["call_recording_dir"]
    assert notes[0]["dedup_key"].split(":")[1] == "hamedan"  # the province's admins see it


async def test_a_full_recordings_directory_is_a_fault_too_and_told_once_an_hour(
    db_pool: object, tmp_path: Path
) -> None:
    rig = rig_for(db_pool, tmp_path, min_free=2**62)  # type: ignore[arg-type]
    first = await rig.intake.take(report("1795000000.2"), final=True)
    second = await rig.intake.take(report("1795000000.3"), final=True)
    for call in (first, second):
        (fault,) = await rig.faults.faults_for(call.call_id)
        assert fault.kind == "recording_dir"
        assert "MiB free" in fault.detail
    assert len(await rig.notifications()) == 1


async def test_a_healthy_directory_leaves_the_call_without_faults(rig: Rig) -> None:
    result = await rig.intake.take(report("1795000000.4"), final=True)
    assert await rig.faults.faults_for(result.call_id) == []
    state = rig.probe.last()
    assert state is not None
    assert state.ok
    assert state.free_bytes


async def test_a_message_file_that_cannot_be_read_is_not_no_message(rig: Rig) -> None:
    uid = "1795000000.5"
    (rig.recordings / f"{uid}-message.wav").write_bytes(b"")  # created, nothing written
    result = await rig.intake.take(report(uid, message=f"{uid}-message.wav"), final=True)
    (fault,) = await rig.faults.faults_for(result.call_id)
    assert fault.kind == "message_unreadable"
    assert "empty" in fault.detail
    assert [n["kind"] for n in await rig.notifications()] == ["call_message_unreadable"]


async def test_no_message_file_at_all_is_no_message_and_no_fault(rig: Rig) -> None:
    uid = "1795000000.6"
    result = await rig.intake.take(report(uid, message=f"{uid}-message.wav"), final=True)
    assert await rig.faults.faults_for(result.call_id) == []


async def test_a_recording_missing_after_the_call_is_flagged_and_given_up(rig: Rig) -> None:
    uid = "1795000000.7"
    result = await rig.intake.take(report(uid), final=True)
    assert not await rig.finaliser.finalise(result.call_id, f"{uid}.wav", wait_timeout=0.2)
    (fault,) = await rig.faults.faults_for(result.call_id)
    assert fault.kind == "recording_missing"


async def call_with_closed_recording(
    rig: Rig, uid: str, *, seconds: float
) -> tuple[int, RecordingRow]:
    """A call whose MixMonitor file Asterisk closed, submitted and finalised."""
    result = await rig.intake.take(report(uid), final=True)
    write_wav(rig.recordings / f"{uid}.wav", seconds, channels=2)
    (rig.recordings / f"{uid}.wav.done").touch()
    await rig.finaliser.submit(result.call_id, f"{uid}.wav")
    await rig.finaliser.drain()
    (recording,) = await rig.calls.recordings_for(result.call_id)
    return result.call_id, recording


async def test_a_bare_header_recording_is_stored_and_flagged(rig: Rig) -> None:
    call_id, recording = await call_with_closed_recording(rig, "1795000000.8", seconds=0)
    assert recording.finished_at is not None
    assert recording.duration_seconds == 0
    (fault,) = await rig.faults.faults_for(call_id)
    assert fault.kind == "recording_empty"
    assert "header" in fault.detail


async def test_a_good_recording_is_stored_without_faults(rig: Rig) -> None:
    call_id, recording = await call_with_closed_recording(rig, "1795000000.9", seconds=1.5)
    assert recording.sha256
    assert recording.duration_seconds == pytest.approx(1.5)
    assert await rig.faults.faults_for(call_id) == []
