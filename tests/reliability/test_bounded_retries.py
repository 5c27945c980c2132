"""The finaliser and the spool give up on one bad item after a bound, never on the rest."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from samad_ivr.calls.report import build_report
from samad_ivr.calls.spool import Spool
from samad_ivr.storage.db import StorageUnavailable

from .rig import Rig, rig_for, write_wav

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC).timestamp()


def report(uniqueid: str):  # type: ignore[no-untyped-def]
    values = {"started_epoch": START, "ended_epoch": START + 30, "leg": "closed",
              "stage": "closed", "recording": f"{uniqueid}.wav"}  # fmt: skip
    return build_report(uniqueid=uniqueid, caller_raw="02112345678", caller_name_raw="",
                        values=values, source="fastagi")  # fmt: skip


async def make_due(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        # Two hours later: every row is due again, in the order its tries pushed it to.
        await conn.execute(
            "UPDATE recordings SET next_attempt_at = next_attempt_at - interval '2 hours'"
        )


async def test_a_stuck_recording_is_given_up_after_the_bound_and_newer_ones_still_finish(
    db_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    rig = rig_for(db_pool, tmp_path, max_attempts=3)
    stuck = await rig.intake.take(report("1795100000.1"), final=True)
    write_wav(tmp_path / "1795100000.1.wav", 1.0)  # never closed: no .done marker
    await rig.calls.add_pending_recording(stuck.call_id, "call", "1795100000.1.wav")
    for attempt in range(1, 5):  # round 2 finishes the newer row instead
        if attempt == 2:  # a newer call arrives behind the stuck one
            newer = await rig.intake.take(report("1795100000.2"), final=True)
            write_wav(tmp_path / "1795100000.2.wav", 1.0)
            (tmp_path / "1795100000.2.wav.done").touch()
            await rig.calls.add_pending_recording(newer.call_id, "call", "1795100000.2.wav")
        await make_due(db_pool)
        done = await rig.finaliser.sweep(limit=1)  # one per round: order matters
        if attempt == 2:
            assert done == 1  # the stuck row went behind the newer one
    (recording,) = await rig.calls.recordings_for(newer.call_id)
    assert recording.finished_at is not None
    async with db_pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT attempts, gave_up_at, last_error FROM recordings WHERE call_id = $1",
            stuck.call_id,
        )
    assert row["attempts"] == 3
    assert row["gave_up_at"] is not None
    (fault,) = await rig.faults.faults_for(stuck.call_id)
    assert fault.kind == "recording_gave_up"
    assert "after 3 tries" in fault.detail
    assert [n["kind"] for n in await rig.notifications()] == ["call_recording_gave_up"]
    await make_due(db_pool)
    assert await rig.faults.claim_due(10) == []  # given up: never claimed again


class FlakyIntake:
    """Intake that fails for one uniqueid with a non-outage error, or is down."""

    def __init__(self, rig: Rig, bad: str, *, down: bool = False) -> None:
        self.rig, self.bad, self.down, self.taken = rig, bad, down, []

    async def take(self, report, *, final):  # type: ignore[no-untyped-def]
        if self.down:
            raise StorageUnavailable("connection refused")
        if report.uniqueid == self.bad:
            raise asyncpg.CheckViolationError("new row violates check constraint")
        self.taken.append(report.uniqueid)
        return await self.rig.intake.take(report, final=final)


async def test_a_spool_file_that_keeps_failing_is_moved_aside_and_never_blocks_the_next(
    rig: Rig, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", max_tries=3)
    for uid in ("1795200000.1", "1795200000.2"):
        await spool.write(report(uid))
    intake = FlakyIntake(rig, bad="1795200000.1")
    first = await spool.replay(intake, rig.finaliser)  # type: ignore[arg-type]
    assert (first.replayed, first.rejected) == (1, 0)
    assert intake.taken == ["1795200000.2"]
    for _ in range(2):
        stats = await spool.replay(intake, rig.finaliser)  # type: ignore[arg-type]
    assert stats.rejected == 1
    assert spool.pending() == []
    rejected = tmp_path / "spool" / "rejected"
    reason = (rejected / "1795200000.1.post_call.json.reason").read_text("utf-8")
    assert "CheckViolationError" in reason
    assert "after 3 tries" in reason
    assert not list((tmp_path / "spool").glob("*.tries"))


async def test_an_outage_pauses_the_spool_without_counting_tries(rig: Rig, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", max_tries=1)
    path = await spool.write(report("1795300000.1"))
    for _ in range(3):
        stats = await spool.replay(FlakyIntake(rig, bad="", down=True), rig.finaliser)  # type: ignore[arg-type]
        assert stats.remaining == 1
    assert path.exists()
    assert not path.with_name(path.name + ".tries").exists()


async def test_a_replay_killed_halfway_is_replayed_once_more_then_done(
    rig: Rig, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool", max_tries=3)
    path = await spool.write(report("1795400000.1"))
    # The previous process counted its try, stored the call and was killed before the move.
    path.with_name(path.name + ".tries").write_text("1", "ascii")
    await rig.intake.take(report("1795400000.1"), final=True)
    intake = FlakyIntake(rig, bad="")
    stats = await spool.replay(intake, rig.finaliser)  # type: ignore[arg-type]
    again = await spool.replay(intake, rig.finaliser)  # type: ignore[arg-type]
    assert (stats.replayed, again.replayed) == (1, 0)
    assert intake.taken == ["1795400000.1"]
    assert (tmp_path / "spool" / "done" / path.name).exists()
    async with rig.pool.acquire() as conn:
        assert (
            await conn.fetchval("SELECT count(*) FROM calls WHERE uniqueid = '1795400000.1'") == 1
        )
        assert await conn.fetchval("SELECT count(*) FROM requests") <= 1
    assert json.loads((tmp_path / "spool" / "done" / path.name).read_text())["uniqueid"]
