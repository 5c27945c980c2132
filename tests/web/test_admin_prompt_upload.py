"""Item 3 of issue 15: an uploaded prompt never makes ffmpeg fetch, hang or fill memory,
and never waits for the threads call work uses."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from samad_ivr.audio.upload import UploadLimits, UploadRefused, UploadWorker, probe
from samad_ivr.settings import Settings

from .test_admin_pages import tone_wav
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)


class Listener:
    """A loopback TCP port that counts who connects to it (and closes at once)."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture(name="listener")
async def listener_fixture() -> AsyncIterator[Listener]:
    spy = Listener()
    server = await asyncio.start_server(spy.handle, "127.0.0.1", 0)
    spy.port = server.sockets[0].getsockname()[1]
    yield spy
    server.close()
    await server.wait_closed()


async def install_upload(data: bytes, out_base: Path, limits: UploadLimits | None = None) -> None:
    worker = UploadWorker(limits)
    try:
        await worker.install(data, out_base)
    finally:
        worker.close()


def playlist(port: int) -> bytes:
    return (
        f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n"
        f"http://127.0.0.1:{port}/segment.wav\n#EXT-X-ENDLIST\n"
    ).encode()


async def test_a_playlist_naming_a_loopback_url_is_refused_without_any_connection(
    listener: Listener, tmp_path: Path
) -> None:
    with pytest.raises(UploadRefused):
        await install_upload(playlist(listener.port), tmp_path / "prompt")
    await asyncio.sleep(0.2)
    assert listener.connections == 0
    assert not await asyncio.to_thread(os.listdir, tmp_path)


async def test_the_probe_itself_opens_only_files_even_when_asked_for_a_playlist(
    listener: Listener, tmp_path: Path
) -> None:
    source = tmp_path / "upload"
    await asyncio.to_thread(source.write_bytes, playlist(listener.port))
    with pytest.raises(UploadRefused):
        await probe(source, UploadLimits(), expected="hls")
    await asyncio.sleep(0.2)
    assert listener.connections == 0


def silence_flac(seconds: int, path: Path) -> bytes:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
         "anullsrc=r=8000:cl=mono", "-t", str(seconds), "-c:a", "flac", "-y", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path.read_bytes()


async def test_a_small_file_that_decodes_to_hours_is_refused(tmp_path: Path) -> None:
    bomb = silence_flac(3 * 3600, tmp_path / "bomb.flac")
    assert len(bomb) < 2 * 1024 * 1024  # small upload, ~200 MB of PCM at 8 kHz
    with pytest.raises(UploadRefused, match="long"):
        await install_upload(bomb, tmp_path / "prompt")
    assert not (tmp_path / "prompt.sln").exists()


async def test_decoded_output_is_capped_even_when_the_header_says_nothing_of_the_length(
    tmp_path: Path,
) -> None:
    # A WAV whose header claims "unknown length": only the decoder's output cap stops it.
    wav = bytearray(tone_wav(seconds=3.0))
    wav[4:8] = b"\xff\xff\xff\xff"
    wav[40:44] = b"\xff\xff\xff\xff"
    limits = UploadLimits(max_output_bytes=16000 * 2)  # one second of 16 kHz PCM
    with pytest.raises(UploadRefused, match="long"):
        await install_upload(bytes(wav), tmp_path / "prompt", limits)


async def test_a_hanging_probe_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    fake = tmp_path / "ffprobe"
    fake.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    fake.chmod(0o755)
    limits = UploadLimits(ffprobe=str(fake), timeout_seconds=1.0)
    started = time.monotonic()
    with pytest.raises(UploadRefused, match="time"):
        await install_upload(tone_wav(), tmp_path / "prompt", limits)
    assert time.monotonic() - started < 5
    pid = int(await asyncio.to_thread(pid_file.read_text))
    await asyncio.sleep(0.1)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_only_listed_formats_are_accepted(tmp_path: Path) -> None:
    for data in (b"MZ\x90\x00" * 100, b"<svg xmlns='http://www.w3.org/2000/svg'/>" * 10):
        with pytest.raises(UploadRefused, match="format"):
            await install_upload(data, tmp_path / "prompt")
    await install_upload(tone_wav(), tmp_path / "prompt")  # a listed format is accepted
    written = await asyncio.to_thread(os.listdir, tmp_path)
    assert {Path(p).suffix for p in written} == {".sln", ".alaw", ".sln16"}


async def test_uploads_never_wait_for_the_thread_pool_that_call_work_uses(
    tmp_path: Path,
) -> None:
    loop = asyncio.get_running_loop()
    busy = ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(busy)
    blocker = loop.run_in_executor(None, time.sleep, 3)  # the default pool is full
    started = time.monotonic()
    await install_upload(tone_wav(), tmp_path / "prompt")
    assert time.monotonic() - started < 2.5  # did not queue behind the blocker
    await blocker


async def test_an_uploaded_playlist_is_refused_and_nothing_is_fetched(
    as_role: AdminClient, world: World, settings: Settings, listener: Listener
) -> None:
    client = await as_role()
    page = f"/admin/centers/{world.hamedan}/officials/{world.official_h}"
    token = await csrf(client, page)
    upload = io.BytesIO(playlist(listener.port))
    upload.name = "prompt.m3u8"
    response = await asyncio.wait_for(
        client.post(page + "/prompt", data={"_csrf": token, "recording": upload},
                    allow_redirects=False),
        timeout=20,
    )  # fmt: skip
    assert response.status == 422
    assert "قالب" in await response.text()
    await asyncio.sleep(0.2)
    assert listener.connections == 0
    base = settings.sounds_dir / "officials" / str(world.official_h)
    assert not base.with_suffix(".sln").exists()
