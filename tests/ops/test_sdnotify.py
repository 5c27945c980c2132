"""systemd's notify protocol over a real unix datagram socket, as systemd listens.

The watchdog pings come from the service's event loop: a loop that stalls sends none,
which is what makes systemd restart a stuck service.  The last test runs the real
`samad-ivr serve` under a fake NOTIFY_SOCKET and sees READY=1 only once FastAGI listens.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from samad_ivr.ops.sdnotify import SystemdNotifier


class Listener:
    """systemd's side: a bound datagram socket, read by a thread (the loop may stall)."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.settimeout(0.05)
        self.received: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.received.append((time.monotonic(), data.decode()))

    def messages(self) -> list[str]:
        return [text for _, text in self.received]

    def wait_for(self, text: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, message in self.received:
                if text in message.splitlines():
                    return at
            time.sleep(0.02)
        raise AssertionError(f"no {text!r} within {timeout}s; got {self.messages()}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    sock = Listener(str(tmp_path / "notify"))
    yield sock
    sock.close()


async def test_watchdog_pings_stop_while_the_event_loop_is_stalled(
    listener: Listener, tmp_path: Path
) -> None:
    # WatchdogSec=0.2 s: a ping every 0.1 s.
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "200000"}
    notifier = SystemdNotifier.from_env(env)
    assert notifier.notify("READY=1", "STATUS=listening")
    task = asyncio.create_task(notifier.watchdog())
    try:
        await asyncio.sleep(0.5)
        stall_start = time.monotonic()
        time.sleep(0.6)  # noqa: ASYNC251 - the point: a blocking call stalls the loop
        stall_end = time.monotonic()
        await asyncio.sleep(0.35)
    finally:
        task.cancel()
        notifier.close()
    await asyncio.sleep(0.1)  # the reader thread catches up
    assert listener.received[0][1] == "READY=1\nSTATUS=listening"
    pings = [at for at, text in listener.received if text == "WATCHDOG=1"]
    before = [at for at in pings if at < stall_start]
    during = [at for at in pings if stall_start + 0.02 < at < stall_end]
    after = [at for at in pings if at > stall_end]
    assert len(before) >= 4, pings
    assert during == [], "a ping went out while the loop was stalled"
    assert len(after) >= 2, "the pings did not resume with the loop"
    assert max(b - a for a, b in itertools.pairwise(pings)) >= 0.55


def test_an_abstract_socket_name_and_a_foreign_watchdog_pid(tmp_path: Path) -> None:
    name = f"samad-test-{os.getpid()}-{time.monotonic_ns()}"
    abstract = Listener("\0" + name)
    try:
        env = {"NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
        notifier = SystemdNotifier.from_env(env)
        assert notifier.watchdog_usec is None  # the watchdog is meant for another process
        assert notifier.notify("READY=1")
        abstract.wait_for("READY=1", 2)
        notifier.close()
    finally:
        abstract.close()
    outside = SystemdNotifier.from_env({})
    assert not outside.enabled
    assert not outside.notify("READY=1")


def _web_url(messages: list[str]) -> str:
    for message in messages:
        found = re.search(r"web on (http://\S+)", message)
        if found:
            return found.group(1)
    raise AssertionError(f"no web address in {messages}")


def _get(url: str, *, expect: int) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    assert status == expect, (url, status, body[:500])
    return body.decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_reports_ready_once_listening_health_and_metrics_and_stopping_on_sigterm(
    listener: Listener, tmp_path: Path, database_url: str
) -> None:
    agi_port = free_port()
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "1000000",
        "SAMAD_DATABASE_URL": database_url,
        "SAMAD_AGI_BIND": f"127.0.0.1:{agi_port}",
        "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_AMI_PORT": str(free_port()),  # nothing listens: the consoles degrade only
        "SAMAD_STATE_DIR": str(tmp_path / "state"),
        "SAMAD_SOUNDS_DIR": str(tmp_path / "sounds"),
    }
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "samad_ivr", "serve"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        listener.wait_for("READY=1", 60)
        with socket.create_connection(("127.0.0.1", agi_port), timeout=2):
            pass  # READY=1 came after FastAGI listens
        web = _web_url(listener.messages())
        health = json.loads(_get(f"{web}/healthz", expect=503))
        assert health["checks"]["database"]["ok"] is True
        assert health["checks"]["ami"] == {"ok": False, "detail": "AMI not connected"}
        assert "samad_agi_sessions_active 0.0" in _get(f"{web}/metrics", expect=200)
        first = listener.wait_for("WATCHDOG=1", 5)
        time.sleep(1.2)
        assert sum(text == "WATCHDOG=1" for text in listener.messages()) >= 3, first
        proc.send_signal(signal.SIGTERM)
        listener.wait_for("STOPPING=1", 20)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
