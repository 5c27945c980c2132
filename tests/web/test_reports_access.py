"""Role and province matrix over every report endpoint: the page, the CSV and the API,
each without a province, with the user's own (Hamedan) and with another (Tehran).

Allowed answers are checked for whose numbers they carry, not only for their status: a
province role always gets its own province's 7 requests, whatever it asks for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pytest
from national.factories import make_official
from reports.factories import NOW, RANGE, ReportWorld, build_world

from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.reports import agency_reports_feature

ENDPOINTS = ("/reports/agencies", "/reports/agencies.csv", "/api/v1/reports/agencies")
ROLES = [*Role, None]  # None: not logged in
NATIONAL = (Role.SUPERUSER, Role.NATIONAL_LISTENER)
PROVINCE = (Role.PROVINCE_ADMIN, Role.INSPECTOR)
# Requests registered in RANGE: Hamedan 7, Tehran 2.
REQUESTS = {"all": 9, "own": 7, "other": 2}


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [agency_reports_feature(clock=lambda: NOW)]


@pytest.fixture
async def world(db_pool: Pool) -> ReportWorld:
    return await build_world(db_pool)


def _expected(role: Role | None, scope: str, api: bool) -> str:
    """'login', '401', '403', or the number of requests the answer must count."""
    if role is None:
        return "401" if api else "login"
    if role in NATIONAL:
        return str(REQUESTS[scope])
    if role in PROVINCE:
        return "403" if scope == "other" else str(REQUESTS["own"])
    return "403"


async def _requests_counted(path: str, response: Any) -> str:
    if path.endswith(".csv"):
        rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        return rows[-1][3]  # the total row's requests
    if path.startswith("/api/"):
        return str((await response.json())["totals"]["requests"])
    html = await response.text()
    # The first tile is the number of requests, in Persian digits.
    start = html.index('<span class="tile-value">') + len('<span class="tile-value">')
    persian = html[start : html.index("</span>", start)]
    return persian.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))


async def _outcome(client: Any, path: str, params: dict[str, Any]) -> str:
    response = await client.get(path, params=params, allow_redirects=False)
    if response.status in (401, 403):
        return str(response.status)
    if response.status == 302 and response.headers["Location"].startswith("/login"):
        return "login"
    if response.status != 200:
        return f"error {response.status}"
    return await _requests_counted(path, response)


async def _user(make_user: Any, db_pool: Pool, role: Role, world: ReportWorld) -> Any:
    if role in NATIONAL:
        return await make_user(role)
    official = (
        await make_official(db_pool, world.hamedan, "مسئول") if role is Role.OFFICIAL else None
    )
    agency = world.agency_a if role is Role.AGENCY_STAFF else None
    return await make_user(role, world.hamedan, official_id=official, agency_id=agency)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
async def test_every_report_endpoint_follows_the_role_and_province_rule(
    role: Role | None,
    web_client: Any,
    make_user: Any,
    login: Any,
    db_pool: Pool,
    world: ReportWorld,
) -> None:
    if role is not None:
        await login(web_client, await _user(make_user, db_pool, role, world))
    scopes = {"all": {}, "own": {"center_id": world.hamedan}, "other": {"center_id": world.tehran}}
    wrong = []
    for path in ENDPOINTS:
        for scope, extra in scopes.items():
            got = await _outcome(web_client, path, {**RANGE, **extra})
            want = _expected(role, scope, path.startswith("/api/"))
            if got != want:
                wrong.append(f"{path} ({scope}): {got}, want {want}")
    assert not wrong, "\n".join(wrong)
