"""Servers under test, each run in its own process: ``python -m benchmarks.servers KIND``.

KIND is b0 (minimal asyncio), b1 (panoramisk), b2 (thread per connection, backlog 20 as
in wazo-agid), ours (our FastAGI layer running the same script) or inbound (our real
``inbound`` route with its PostgreSQL work); w1-ours and w1-bare are W1's web apps
(``benchmarks.w1_apps``), w2-* and l1-* those of W2 and L1.  The process prints one JSON line
``{"port": ...}`` when it listens, then answers ``stats`` lines on stdin with a JSON line
(live tasks or threads) and exits on ``quit`` or end of stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import socketserver
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import b1_shim, scripts
from benchmarks.figures import fault

HOST = "127.0.0.1"
ASYNC_BACKLOG = 512  # what our FastAgiServer uses, so B0/B1 are not handicapped by it
WAZO_BACKLOG = 20
KINDS = ("b0", "b1", "b2", "ours", "inbound")
WEB_KINDS = ("w2-ours", "w2-bare", "l1-ours", "l1-bare")  # benchmarks.w2_apps, .l1_apps


def _emit(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _control(stats: Callable[[], dict[str, Any]], stop: Callable[[], None]) -> None:
    for line in sys.stdin:
        if line.strip() == "stats":
            _emit(stats())
        elif line.strip() == "quit":
            break
    stop()


async def _serve_async(kind: str, args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    closer: Callable[[], Any]
    if kind == "b0":
        server = await asyncio.start_server(
            scripts.b0_session, HOST, args.port, backlog=ASYNC_BACKLOG
        )
        port = server.sockets[0].getsockname()[1]
        closer = server.close
    elif kind == "b1":
        server = await b1_shim.start(HOST, args.port, ASYNC_BACKLOG)
        port = server.sockets[0].getsockname()[1]
        closer = server.close
    elif kind.startswith("w1-"):
        from benchmarks import w1_apps

        port, closer = await w1_apps.start(kind, args.database_url, HOST)
    elif kind.startswith("w2-"):
        from benchmarks import w2_apps

        port, closer = await w2_apps.start(kind, args.database_url, HOST)
    elif kind.startswith("l1-"):
        from benchmarks import l1_apps

        port, closer = await l1_apps.start(kind, args.database_url, HOST)
    else:
        from samad_ivr.agi.server import FastAgiServer

        if kind == "ours":
            agi = FastAgiServer({scripts.ROUTE: scripts.ours}, command_timeout=args.command_timeout)
            await agi.start(HOST, args.port)
            port = agi.port
            closer = agi.close
        else:
            service = await _start_service(args)
            assert service.agi is not None
            port = service.agi.port
            closer = service.stop

    def stats() -> dict[str, Any]:
        async def count() -> int:
            return len(asyncio.all_tasks())

        tasks = asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=10)
        return {"tasks": tasks, "threads": threading.active_count()}

    threading.Thread(
        target=_control, args=(stats, lambda: loop.call_soon_threadsafe(done.set)), daemon=True
    ).start()
    _emit({"port": port})
    _injected_crash(kind)
    await done.wait()
    result = closer()
    if asyncio.iscoroutine(result):
        await result


async def _start_service(args: argparse.Namespace) -> Any:
    """The real service, built by its own composition root (samad_ivr.app.Service), so the
    inbound route runs with exactly the dependencies `samad-ivr serve` gives it."""
    from samad_ivr.app import Service
    from samad_ivr.settings import Settings

    work = Path(args.work_dir)
    for sub in ("recordings", "spool", "sounds"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(
        {
            "SAMAD_DATABASE_URL": args.database_url,
            "SAMAD_AGI_BIND": f"{HOST}:0",
            "SAMAD_WEB_BIND": f"{HOST}:0",
            "SAMAD_CENTER": args.center,
            "SAMAD_RECORDINGS_DIR": str(work / "recordings"),
            "SAMAD_SPOOL_DIR": str(work / "spool"),
            "SAMAD_SOUNDS_DIR": str(work / "sounds"),
            "SAMAD_AGI_COMMAND_TIMEOUT": str(int(args.command_timeout)),
        }
    )
    service = Service(settings)
    await service.start()
    return service


def _injected_crash(kind: str) -> None:
    """The harness's own tests: SAMAD_BENCH_FAULTS="b2=crash" ends that server right
    after it reported its port; "b2=hang" makes B2 accept sessions and never answer
    (`benchmarks.figures.faults`)."""
    if os.environ.get("SAMAD_BENCH_FAULTS") and fault(kind) == "crash":
        sys.stderr.write(f"injected fault: {kind} crashes\n")
        os._exit(3)


class _WazoStyleServer(socketserver.ThreadingTCPServer):
    request_queue_size = WAZO_BACKLOG
    daemon_threads = True
    allow_reuse_address = True


class _WazoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        if os.environ.get("SAMAD_BENCH_FAULTS") and fault("b2") == "hang":
            threading.Event().wait()  # injected fault: accept, then never answer
        scripts.b2_session(self.request)


def _serve_threaded(args: argparse.Namespace) -> None:
    server = _WazoStyleServer((HOST, args.port), _WazoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stats() -> dict[str, Any]:
        return {"tasks": 0, "threads": threading.active_count()}

    _emit({"port": server.server_address[1]})
    _injected_crash("b2")
    _control(stats, server.shutdown)
    server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=[*KINDS, "w1-ours", "w1-bare", *WEB_KINDS])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--command-timeout", type=float, default=120.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--center", default="bench")
    parser.add_argument("--work-dir", default="/tmp/samad-bench")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, stream=sys.stderr)
    if args.kind == "b2":
        _serve_threaded(args)
    else:
        asyncio.run(_serve_async(args.kind, args))


if __name__ == "__main__":
    main()
