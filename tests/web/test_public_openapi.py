"""The public endpoints' OpenAPI document (/api/openapi-public.json): a valid OpenAPI 3.1
document, and schemathesis against it finds no 5xx and no answer outside it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.web.open311.openapi import PUBLIC_OPENAPI_PATH
from samad_ivr.web.open311.views import open311_feature
from samad_ivr.web.public.status import status_feature

from .citizen_support import citizen_request

EXAMPLES = 25
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')


def _run(
    operation: Any,
    mode: GenerationMode,
    session: requests.Session,
    base: str,
    failures: list[str],
    statuses: list[int],
) -> None:
    checks = POSITIVE_CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error]

    @hypothesis.settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @hypothesis.given(operation.as_strategy(mode))
    def run(case: Any) -> None:
        response = case.call(base_url=base, session=session, timeout=10)
        statuses.append(response.status_code)
        try:
            case.validate_response(response, checks=checks)
        except BaseException as exc:  # schemathesis groups its failures
            if not isinstance(exc, Exception | BaseExceptionGroup):
                raise
            failures.append(
                f"{mode.value} {operation.label}: {response.status_code} "
                f"{str(exc).splitlines()[0][:300]}"
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, operation.label


def _fuzz(
    document: dict[str, Any], base: str, cookies: dict[str, str], csrf: str, statuses: list[int]
) -> list[str]:
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        session = requests.Session()
        session.cookies.update(cookies)
        session.headers["X-CSRF-Token"] = csrf
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, session, base, failures, statuses)
        session.close()
    return failures


async def test_the_public_document_is_valid_and_holds_under_fuzzing(
    database_url: str, db_pool: Pool, serve_app: Any, tmp_path: Path
) -> None:
    settings = Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SAMAD_STATUS_WEB_PER_ADDRESS_HOUR": "100000",
    })  # fmt: skip
    await citizen_request(db_pool)
    async with serve_app(settings, db_pool, [open311_feature(), status_feature()]) as base:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.get(f"{base}{PUBLIC_OPENAPI_PATH}") as response:
                document = await response.json()
            async with client.get(f"{base}/status") as page:
                match = _CSRF_INPUT.search(await page.text())
            assert match is not None
            cookies = {c.key: c.value for c in client.cookie_jar}
        validate(document)
        assert len(document["paths"]) == 5
        statuses: list[int] = []
        failures = await asyncio.to_thread(_fuzz, document, base, cookies, match.group(1), statuses)
    assert failures == []
    # Every operation was tried, and both successes and refusals were seen.
    assert len(statuses) >= 5 * EXAMPLES
    assert {200, 400, 404} <= set(statuses)
