"""A superuser creates a province's center without SQL: the console form (Persian errors,
CSRF, audit, topics and holidays seeded, the Asterisk queue written or its lines shown)
and `samad-ivr center add`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from samad_ivr.ami.queue_config import apply_queue_config, render_queues, sync_center_queues
from samad_ivr.centers_cli import center_add
from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.web.security import Role

from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    csrf,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)

FORM = "/admin/centers/new"
GOOD = {
    "code": "kermanshah", "name": "مرکز سامد کرمانشاه", "timezone": "Asia/Tehran",
    "duty_start": "۱۰:۰۰", "duty_end": "۱۲:۳۰", "weekend": ["4", "3"], "queue_name": "",
}  # fmt: skip


async def center_row(db_pool: Pool, code: str) -> Any:
    async with db_pool.acquire() as conn:
        return await conn.fetchrow("SELECT * FROM centers WHERE code = $1", code)


async def test_superuser_creates_a_center_with_its_topics_holidays_audit_and_queue_lines(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    index = await (await client.get("/admin")).text()
    assert 'href="/admin/centers/new"' in index
    response = await post_form(client, "/admin/centers", GOOD, FORM)
    text = await response.text()
    assert response.status == 201, text
    row = await center_row(db_pool, "kermanshah")
    assert (row["name"], row["queue_name"], row["timezone"]) == (
        "مرکز سامد کرمانشاه", "samad-kermanshah", "Asia/Tehran",
    )  # fmt: skip
    assert (str(row["duty_start"]), str(row["duty_end"])) == ("10:00:00", "12:30:00")
    assert sorted(row["weekend_days"]) == [3, 4]
    async with db_pool.acquire() as conn:
        topics = await conn.fetchval("SELECT count(*) FROM topics WHERE center_id = $1", row["id"])
        holidays = await conn.fetchval(
            "SELECT count(*) FROM closed_days WHERE center_id = $1", row["id"]
        )
        audit = await conn.fetchrow(
            "SELECT username, action, after FROM roster_audit WHERE center_id = $1 "
            "AND action = 'center_create'", row["id"],
        )  # fmt: skip
    assert topics == 8
    assert holidays > 20  # two Jalali years of Iran's public holidays
    assert audit["action"] == "center_create"
    assert audit["username"].startswith("superuser")
    # No SAMAD_QUEUES_FILE in these settings: the page shows the lines to add.
    assert "[samad-kermanshah](samad-desk)" in text
    assert f'href="/admin/centers/{row["id"]}/officials"' in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "Kerman shah!", "رمز مرکز"),
        ("name", "Kermanshah", "نام مرکز باید فارسی"),
        ("timezone", "Mars/Olympus", "منطقهٔ زمانی"),
        ("timezone", "../../etc/passwd", "منطقهٔ زمانی"),
        ("duty_end", "۰۹:۰۰", "ساعت پایان کشیک باید بعد"),
        ("queue_name", "general", "رزرو"),
        ("weekend", ["0", "1", "2", "3", "4", "5", "6"], "همهٔ روزهای هفته"),
    ],
)
async def test_a_bad_field_shows_the_form_again_with_a_persian_message(
    as_role: AdminClient, world: World, db_pool: Pool, field: str, value: Any, message: str
) -> None:
    client = await as_role(Role.SUPERUSER)
    response = await post_form(client, "/admin/centers", {**GOOD, field: value}, FORM)
    text = await response.text()
    assert response.status == 422
    assert message in text
    assert 'value="مرکز سامد کرمانشاه"' in text or field == "name"
    assert await center_row(db_pool, "kermanshah") is None


async def test_a_code_or_queue_in_use_is_refused(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role(Role.SUPERUSER)
    taken = await post_form(client, "/admin/centers", {**GOOD, "code": "hamedan"}, FORM)
    assert taken.status == 409
    assert "مرکزی با رمز «hamedan» هست." in await taken.text()
    queue = {**GOOD, "queue_name": "samad-tehran"}
    response = await post_form(client, "/admin/centers", queue, FORM)
    assert response.status == 409
    assert "از آنِ مرکز «tehran»" in await response.text()


async def test_only_a_superuser_may_create_a_center_and_only_with_csrf(
    as_role: AdminClient, world: World, db_pool: Pool
) -> None:
    client = await as_role(Role.PROVINCE_ADMIN)
    assert (await client.get(FORM, allow_redirects=False)).status == 403
    response = await client.post("/admin/centers", data={**GOOD}, allow_redirects=False)
    assert response.status in (403, 400)
    assert await center_row(db_pool, "kermanshah") is None


class FakeReloader:
    def __init__(self, fail: bool = False, failures: int = 0) -> None:
        self.modules: list[str] = []
        self.fail = fail
        self.failures = failures  # the first n reloads fail

    async def reload_module(self, module: str) -> None:
        self.modules.append(module)
        if self.fail or len(self.modules) <= self.failures:
            raise RuntimeError("Reload refused")


async def test_the_queue_file_is_written_and_app_queue_reloaded_only_when_it_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queues_centers.conf"
    reloader = FakeReloader()
    first = await apply_queue_config(["samad-desk", "samad-tehran", "q2"], path, reloader)
    assert (first.written, first.reloaded, first.problem) == (True, True, None)
    assert "[samad-tehran](samad-desk)" in path.read_text()
    assert "[samad-desk](" not in path.read_text()
    again = await apply_queue_config(["q2", "samad-tehran"], path, reloader)
    assert (again.written, again.reloaded, again.problem) == (True, False, None)
    assert reloader.modules == ["app_queue.so"]
    failed = await apply_queue_config(["q3"], path, FakeReloader(fail=True))
    assert (failed.written, failed.reloaded) == (True, False)
    assert "reload failed" in (failed.problem or "")
    assert render_queues(["q3"]) == path.read_text()


async def test_center_add_on_the_command_line(
    settings: Settings, db_pool: Pool, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--code", "ilam", "--name", "مرکز سامد ایلام", "--duty", "08:30-10:30",
        "--weekend", "4", "--timezone", "Asia/Tehran",
    ]  # fmt: skip
    assert await center_add(settings, argv) == 0
    out = capsys.readouterr().out
    assert "created center ilam" in out
    assert "[samad-ilam](samad-desk)" in out  # no SAMAD_QUEUES_FILE: the lines to add
    row = await center_row(db_pool, "ilam")
    assert (str(row["duty_start"]), row["queue_name"]) == ("08:30:00", "samad-ilam")
    assert await center_add(settings, argv) == 2
    assert "هست" in capsys.readouterr().err
    assert await center_add(settings, [*argv[:4], "--timezone", "Nowhere/X"]) == 2


async def test_at_start_up_every_centers_queue_is_written_and_a_failed_reload_is_retried(
    tmp_path: Path, db_pool: Pool, world: World
) -> None:
    path = tmp_path / "queues_centers.conf"
    reloader = FakeReloader(failures=1)  # AMI not connected yet on the first round
    await sync_center_queues(db_pool, path, reloader, pause=0)
    assert "[samad-hamedan](samad-desk)" in path.read_text()
    assert "[samad-tehran](samad-desk)" in path.read_text()
    assert reloader.modules == ["app_queue.so", "app_queue.so"]
