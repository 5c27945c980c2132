from __future__ import annotations

import io
from pathlib import Path

import pytest

from samad_ivr.__main__ import main
from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.transcription.commands import ProgressBar, print_status

from .conftest import KO_MODEL
from .factories import add_center, add_recording


def test_models_check_says_what_the_model_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "check", str(KO_MODEL)]) == 0
    out = capsys.readouterr().out
    assert "lookahead (HCLr.fst + Gr.fst)" in out
    assert "16000 Hz" in out
    assert "MB per worker process" in out


def test_models_check_refuses_a_directory_that_is_not_a_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "am").mkdir()
    assert main(["models", "check", str(tmp_path)]) == 1
    assert "missing am/final.mdl" in capsys.readouterr().err


def test_transcribe_prints_each_speaker_with_times(
    call_recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", "--model", str(KO_MODEL), str(call_recording)]) == 0
    out = capsys.readouterr().out
    caller, hotline = out.split("[hotline]")
    assert caller.startswith("[caller]\n  00:00  너무")
    assert "너무" not in hotline


def test_the_progress_bar_shows_only_for_long_files() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, width=10)
    bar(10.0, 30.0)  # half a minute: no bar
    bar(60.0, 120.0)
    bar(120.0, 120.0)
    assert out.getvalue() == "\r[#####-----] 01:00 / 02:00\r[##########] 02:00 / 02:00\n"


async def test_status_shows_backlog_and_failures(
    db_pool: Pool, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    center = await add_center(db_pool)
    await add_recording(db_pool, center, "a.wav")
    failed = await add_recording(db_pool, center, "b.wav")
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE transcription_jobs SET state = 'failed', attempts = 4,"
            " last_error = 'b.wav is not audio' WHERE recording_id = $1",
            failed,
        )
    settings = Settings.from_env({"SAMAD_DATABASE_URL": database_url})
    assert await print_status(settings) == 0
    out = capsys.readouterr().out
    assert "transcription is off" in out
    assert "backlog 1 (queued 1, working 0); done 0; failed 1" in out
    assert f"failed   recording {failed} (b.wav), attempts 4 - b.wav is not audio" in out
