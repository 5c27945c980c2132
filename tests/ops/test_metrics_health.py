"""/metrics, /healthz and the FastAGI `health` route against real PostgreSQL and disks.

The checks report what is really there: a dead database, a recordings directory that
cannot take a file, a spool over its limit, AMI down each make the node degraded (503),
and the metrics count what routes and jobs actually did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from samad_ivr.agi.protocol import AgiHangup
from samad_ivr.calls.recdir import RecordingsDirProbe
from samad_ivr.calls.report import build_report
from samad_ivr.calls.spool import Spool
from samad_ivr.ops.health import HealthChecker
from samad_ivr.ops.metrics import Metrics, counted_jobs
from samad_ivr.ops.web import ops_feature
from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool, create_pool
from scheduler.schedule import Jobs

TOKEN = "metrics-token-" + "m" * 20
DEAD_DSN = "postgresql://samad@127.0.0.1:9/samad"


def checker(pool: Pool, tmp_path: Path, *, ami: bool = True, limit: int = 5) -> HealthChecker:
    if not (tmp_path / "recordings").exists():
        (tmp_path / "recordings").mkdir()
    return HealthChecker(
        pool=pool, ami_connected=lambda: ami,
        recordings=RecordingsDirProbe(tmp_path / "recordings", min_free_bytes=1),
        spool=Spool(tmp_path / "spool"), backlog_limit=limit, timeout=1.0,
    )  # fmt: skip


@asynccontextmanager
async def ops_app(
    serve_app: Callable[..., object], pool: Pool, health: HealthChecker, metrics: Metrics
) -> AsyncIterator[str]:
    feature = ops_feature(metrics=metrics, health=health, pool=pool, token=TOKEN)
    async with serve_app(Settings.from_env({}), pool, [feature]) as base:  # type: ignore[operator]
        yield base


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_count_routes_jobs_and_what_the_database_holds(
    db_pool: asyncpg.Pool, tmp_path: Path, serve_app: Callable[..., object]
) -> None:
    await db_pool.execute(
        "INSERT INTO calls (uniqueid, caller_raw, started_at, route, disposition)"
        " VALUES ('m.1', '0918', now(), 'desk', 'answered'),"
        "        ('m.2', '0918', now(), 'desk', 'answered'),"
        "        ('m.3', '0918', now() - interval '3 days', 'closed', 'abandoned')"
    )
    await db_pool.execute(
        "INSERT INTO sms_outbox (destination, body, status) VALUES"
        " ('+989181234567', 'x', 'queued'), ('+989181234567', 'y', 'delivered')"
    )
    await Spool(tmp_path / "spool").write(build_report(
        uniqueid="sp.1", caller_raw="0918", caller_name_raw="", values={}, source="fastagi"
    ))  # fmt: skip
    metrics = Metrics(pools={"web": db_pool}, spool_dir=tmp_path / "spool")

    async def ok(_channel: object) -> None:
        return None

    async def hangs_up(_channel: object) -> None:
        raise AgiHangup("caller hung up")

    routes = metrics.instrument_routes({"inbound": ok, "post_call": hangs_up})
    await routes["inbound"](None)
    await routes["inbound"](None)
    with pytest.raises(AgiHangup):
        await routes["post_call"](None)

    async def fails() -> None:
        raise RuntimeError("job broke")

    async def quiet() -> None:
        return None

    fields = {name: quiet for name in Jobs.__dataclass_fields__}
    jobs = counted_jobs(metrics, Jobs(**{**fields, "deadlines": fails}))
    await jobs.replay_spool()
    with pytest.raises(RuntimeError):
        await jobs.deadlines()

    health = checker(db_pool, tmp_path)
    async with (
        ops_app(serve_app, db_pool, health, metrics) as base,
        aiohttp.ClientSession() as http,
        http.get(f"{base}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        found = samples(await response.text())
    assert found[("samad_agi_sessions_total", (("result", "ok"), ("route", "inbound")))] == 2
    hangup = (("result", "hangup"), ("route", "post_call"))
    assert found[("samad_agi_sessions_total", hangup)] == 1
    assert found[("samad_agi_route_seconds_count", (("route", "inbound"),))] == 2
    assert found[("samad_agi_sessions_active", ())] == 0
    assert found[("samad_job_runs_total", (("job", "replay_spool"),))] == 1
    assert found[("samad_job_failures_total", (("job", "deadlines"),))] == 1
    assert ("samad_job_failures_total", (("job", "replay_spool"),)) not in found
    assert found[("samad_calls_24h", (("outcome", "answered"), ("route", "desk")))] == 2
    assert ("samad_calls_24h", (("outcome", "abandoned"), ("route", "closed"))) not in found
    assert found[("samad_sms", (("state", "queued"),))] == 1
    assert found[("samad_sms", (("state", "delivered"),))] == 1
    assert found[("samad_spool_backlog", ())] == 1
    assert found[("samad_recordings_pending", ())] == 0
    assert found[("samad_database_up", ())] == 1


async def test_each_service_has_its_own_registry(tmp_path: Path) -> None:
    first = Metrics(pools={}, spool_dir=tmp_path)
    second = Metrics(pools={}, spool_dir=tmp_path)
    first.agi_sessions.labels("inbound", "ok").inc()
    assert first.registry is not second.registry
    assert second.registry.get_sample_value(
        "samad_agi_sessions_total", {"route": "inbound", "result": "ok"}
    ) is None  # fmt: skip


async def test_metrics_are_for_loopback_or_the_token_only(
    db_pool: asyncpg.Pool, tmp_path: Path, serve_app: Callable[..., object]
) -> None:
    metrics = Metrics(pools={"web": db_pool}, spool_dir=tmp_path / "spool")
    health = checker(db_pool, tmp_path)
    async with ops_app(serve_app, db_pool, health, metrics) as base, aiohttp.ClientSession() as h:
        proxied = {"X-Forwarded-For": "203.0.113.9"}
        async with h.get(f"{base}/metrics", headers=proxied) as response:
            assert response.status == 403
        wrong = {**proxied, "Authorization": "Bearer not-the-token"}
        async with h.get(f"{base}/metrics", headers=wrong) as response:
            assert response.status == 403
        right = {**proxied, "Authorization": f"Bearer {TOKEN}"}
        async with h.get(f"{base}/metrics", headers=right) as response:
            assert response.status == 200
        async with h.get(f"{base}/healthz", headers=proxied) as response:
            body = await response.json()
    assert body == {
        "status": "ok",
        "checks": {name: {"ok": True} for name in ("database", "ami", "recordings", "spool")},
    }  # no figures, no details for an outside reader


async def healthz(base: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as response:
        return response.status, await response.json()


async def test_healthz_is_ok_only_when_everything_a_call_needs_is(
    db_pool: asyncpg.Pool, tmp_path: Path, serve_app: Callable[..., object]
) -> None:
    metrics = Metrics(pools={}, spool_dir=tmp_path / "spool")
    async with ops_app(serve_app, db_pool, checker(db_pool, tmp_path), metrics) as base:
        status, body = await healthz(base)
    assert status == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert checks["database"]["latency_ms"] >= 0
    assert checks["recordings"]["free_bytes"] > 0
    assert checks["spool"]["backlog"] == 0

    dead = await create_pool(DEAD_DSN, min_size=0, max_size=1)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "recordings").write_text("a file where the directory should be")
    spool = Spool(broken / "spool")
    for n in range(3):
        await spool.write(build_report(
            uniqueid=f"b.{n}", caller_raw="0918", caller_name_raw="", values={}, source="fastagi"
        ))  # fmt: skip
    try:
        degraded = checker(dead, broken, ami=False, limit=3)
        async with ops_app(serve_app, db_pool, degraded, metrics) as base:
            status, body = await healthz(base)
    finally:
        await dead.close()
    assert status == 503
    assert body["status"] == "degraded"
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert {name for name, check in checks.items() if not check["ok"]} == {
        "database", "ami", "recordings", "spool",
    }  # fmt: skip
    assert "database unavailable" in checks["database"]["detail"]
    assert "3 call reports waiting" in checks["spool"]["detail"]
