"""W1's HTTP load generator, its own process: ``python -m benchmarks.w1_load SPEC``.

SPEC (JSON): ``{"targets": {key: url}, "cookie": token, "runs": n, "requests": n,
"concurrency": n, "warmup": n, "deadline": s}``.  Every target is warmed up, then the
runs go round the targets in turn (a burst of outside load on this shared box hits all
of them alike).  Closed loop: `concurrency` requests in flight.  Prints one JSON line
``{key: [{"p50_ms", "p95_ms", "rps", "errors"}, ...]}``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiohttp

COOKIE = "samad_session"


async def _timed(
    session: aiohttp.ClientSession, url: str, n: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    todo = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        for _ in todo:
            started = time.perf_counter()
            async with session.get(url) as response:
                await response.read()
                errors += response.status != 200
            latencies.append((time.perf_counter() - started) * 1000)

    wall = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - wall
    latencies.sort()
    return {
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[max(0, -(-len(latencies) * 95 // 100) - 1)], 2),
        "rps": round(n / wall, 1),
        "errors": errors,
    }


async def run(spec: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    targets: dict[str, str] = spec["targets"]
    results: dict[str, list[dict[str, float]]] = {key: [] for key in targets}
    connector = aiohttp.TCPConnector(limit=spec["concurrency"])
    # The header, not the cookie jar: aiohttp's jar keeps no cookies for IP addresses.
    headers = {"Cookie": f"{COOKIE}={spec['cookie']}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        async with asyncio.timeout(spec["deadline"]):
            for url in targets.values():
                await _timed(session, url, spec["warmup"], spec["concurrency"])
            for _ in range(spec["runs"]):
                for key, url in targets.items():
                    result = await _timed(session, url, spec["requests"], spec["concurrency"])
                    results[key].append(result)
    return results


def main() -> None:
    spec = json.loads(sys.argv[1])
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()
