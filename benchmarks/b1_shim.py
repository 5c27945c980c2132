"""B1: panoramisk 1.4's ``fast_agi.Application`` made to run on Python 3.11.

What panoramisk 1.4 needs to run here, and nothing more (site-packages is untouched):

* ``add_route`` wraps non-async endpoints with ``asyncio.coroutine``, gone in 3.11, so the
  endpoint is an ``async def`` (panoramisk's async path is unchanged);
* ``Application(loop=None)`` calls ``asyncio.get_event_loop()``; it is built inside the
  running loop and handed that loop explicitly.

Everything else (header parsing, ``send_command``, replies as dicts with an ``error``
key) is panoramisk's own code.  The handler checks for that ``error`` key after every
command and stops, which is what a careful panoramisk user writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from panoramisk import fast_agi

ROUTE = "bench"


async def _script(request: Any) -> None:
    reply = await request.send_command("ANSWER")
    if "error" in reply:
        return
    reply = await request.send_command("GET VARIABLE SAMAD_BENCH_TOKEN")
    if "error" in reply:
        return
    token = str(reply["result"][1])
    reply = await request.send_command('STREAM FILE greeting ""')
    if "error" in reply:
        return
    await request.send_command(f'SET VARIABLE SAMAD_BENCH_ECHO "{token}"')


async def start(host: str, port: int, backlog: int) -> asyncio.Server:
    app = fast_agi.Application(loop=asyncio.get_running_loop())
    app.add_route(ROUTE, _script)
    return await asyncio.start_server(app.handler, host, port, backlog=backlog)
