"""Item 3 of issue 15 for playback: the MP3 of a recording is made by ffmpeg that opens
files only, under a time limit, outside the thread pool call work uses."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from samad_ivr.audio.transcode import TranscodeError, Transcoder

from .test_admin_pages import tone_wav
from .test_admin_prompt_upload import Listener, listener_fixture, playlist  # noqa: F401


async def test_a_recording_that_is_really_a_playlist_fetches_nothing(
    tmp_path: Path, listener: Listener
) -> None:
    await asyncio.to_thread((tmp_path / "call.wav").write_bytes, playlist(listener.port))
    with pytest.raises(TranscodeError):
        await Transcoder(tmp_path).mp3(1, "call.wav", "ab" * 32)
    await asyncio.sleep(0.2)
    assert listener.connections == 0


async def test_a_recording_is_transcoded_while_the_default_thread_pool_is_busy(
    tmp_path: Path,
) -> None:
    await asyncio.to_thread((tmp_path / "call.wav").write_bytes, tone_wav(seconds=2.0))
    loop = asyncio.get_running_loop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=1))
    blocker = loop.run_in_executor(None, time.sleep, 3)
    started = time.monotonic()
    mp3 = await Transcoder(tmp_path).mp3(1, "call.wav", "cd" * 32)
    assert time.monotonic() - started < 2.5
    head = await asyncio.to_thread(mp3.read_bytes)
    assert head[:3] == b"ID3" or head[0] == 0xFF
    await blocker
