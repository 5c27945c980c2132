"""The web sheds load instead of flooding the event loop FastAGI shares with it."""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from samad_ivr.ops.web import BUSY, UNAVAILABLE, shed_load
from samad_ivr.storage.db import StorageUnavailable


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def test_past_the_inflight_limit_a_request_gets_503_at_once_and_a_dead_database_503() -> None:
    release = asyncio.Event()

    async def slow(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="done")

    async def needs_database(_request: web.Request) -> web.Response:
        raise StorageUnavailable("pool exhausted")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(middlewares=[shed_load(max_inflight=1, queue_wait=0.05)])
    app.router.add_get("/slow", slow)
    app.router.add_get("/db", needs_database)
    app.router.add_get("/healthz", health)
    runner, base = await serve(app)
    try:
        async with aiohttp.ClientSession() as http:
            first = asyncio.create_task(http.get(f"{base}/slow"))
            await asyncio.sleep(0.1)  # the one slot is taken
            loop = asyncio.get_running_loop()
            started = loop.time()
            async with http.get(f"{base}/slow") as busy:
                assert busy.status == 503
                assert busy.headers["Retry-After"] == "5"
                assert await busy.text() == BUSY
            assert loop.time() - started < 1.0
            async with http.get(f"{base}/healthz") as monitored:
                assert monitored.status == 200  # monitoring is never shed
            release.set()
            response = await first
            assert response.status == 200
            response.release()
            async with http.get(f"{base}/db") as unavailable:
                assert unavailable.status == 503
                assert await unavailable.text() == UNAVAILABLE
            async with http.get(f"{base}/slow") as again:
                assert again.status == 200  # the slot came back after the failure
    finally:
        await runner.cleanup()
