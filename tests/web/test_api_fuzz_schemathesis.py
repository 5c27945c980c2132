"""schemathesis against the running app's OpenAPI document, signed in as each role
(issue 15): no 5xx, and no response that breaks the document (status code, content type,
body schema).  Bounded: a few examples per operation and role, derandomized.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from samad_ivr.live.hub import LiveHub
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.web.admin.routes import setup_admin
from samad_ivr.web.admin.sms import setup_admin_sms
from samad_ivr.web.admin.visits import reports_feature
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.app import Feature
from samad_ivr.web.desk.views import desk_feature
from samad_ivr.web.inspector.routes import inspector_feature
from samad_ivr.web.national.routes import national_feature
from samad_ivr.web.open311.views import open311_feature
from samad_ivr.web.public.status import status_feature
from samad_ivr.web.public.views import public_feature
from samad_ivr.web.reports import agency_reports_feature

from .conftest import DEFAULT_PASSWORD, MakeUser
from .test_admin_support import World, world_fixture  # noqa: F401  (fixture)

EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Signed:
    role: Role | None  # None: an anonymous visitor
    cookies: dict[str, str]
    csrf: str


def every_feature(settings: Settings) -> list[Feature]:
    """The consoles the service serves (samad_ivr/app.py), without AMI."""
    return [
        setup_admin, setup_admin_sms, reports_feature(), agency_reports_feature(),
        public_feature(), open311_feature(), status_feature(), inspector_feature(), setup_agency,
        desk_feature(LiveHub(), settings.softphone), national_feature(),
    ]  # fmt: skip


async def sign_in(base: str, user: User) -> Signed:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(f"{base}/login") as page:
            match = _CSRF_INPUT.search(await page.text())
        assert match is not None
        form = {"username": user.username, "password": DEFAULT_PASSWORD, "_csrf": match.group(1)}
        async with session.post(f"{base}/login", data=form, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
        async with session.get(f"{base}/api/v1/me") as me:
            csrf = (await me.json())["csrf_token"]
        cookies = {c.key: c.value for c in jar}
    return Signed(user.role, cookies, csrf)


def without_security(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its auth schemes removed: we sign in ourselves, and schemathesis
    would otherwise send made-up session cookies and CSRF headers in place of ours."""
    copy = json.loads(json.dumps(document))
    copy["components"].pop("securitySchemes", None)
    for methods in copy["paths"].values():
        for operation in methods.values():
            operation.pop("security", None)
    return copy


def fuzz(
    document: dict[str, Any], base: str, signed: list[Signed], known: dict[str, int]
) -> tuple[list[str], int]:
    """Run every operation for every role: (the failures found, requests sent).  Blocking.

    Besides random ids, positive cases also run with ids that exist (`known`), so the
    handlers behind the province check are reached too."""
    schema = schemathesis.openapi.from_dict(without_security(document))
    failures: list[str] = []
    sent = [0]
    for result in schema.get_all_operations():
        operation = result.ok()
        for who in signed:
            session = requests.Session()
            session.cookies.update(who.cookies)
            session.headers["X-CSRF-Token"] = who.csrf
            names = set(re.findall(r"{(\w+)}", operation.path))
            real = {name: known[name] for name in names if name in known}
            for mode, fixed in (
                (GenerationMode.POSITIVE, {}),
                (GenerationMode.NEGATIVE, {}),
                *([(GenerationMode.POSITIVE, real)] if real else []),
            ):
                strategy = operation.as_strategy(mode, path_parameters=fixed or None)
                _run(operation, strategy, mode, session, f"{base}/api/v1", (who, failures, sent))
            session.close()
    return failures, sent[0]


def _run(
    operation: Any,
    strategy: Any,
    mode: GenerationMode,
    session: requests.Session,
    base_url: str,
    record: tuple[Signed, list[str], list[int]],
) -> None:
    who, failures, sent = record

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, session=session, timeout=10)
        sent[0] += 1
        # Negative data may break the request itself; only the server's answer must hold.
        checks = CHECKS if mode is GenerationMode.POSITIVE else [not_a_server_error]
        try:
            case.validate_response(response, checks=checks)
        except BaseException as exc:  # schemathesis groups its failures (an exception group)
            if not isinstance(exc, Exception | BaseExceptionGroup):
                raise
            role = who.role.value if who.role else "anonymous"
            failures.append(
                f"{role} {mode.value} {operation.label}: {response.status_code} "
                f"{str(exc).splitlines()[0][:300]}"
            )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing to make invalid (no parameters, no body): the positive run covers it.
        assert mode is GenerationMode.NEGATIVE, operation.label


async def test_every_api_operation_holds_its_document_for_every_role(
    db_pool: Pool,
    settings: Settings,
    serve_app: Any,
    make_user: MakeUser,
    world: World,
) -> None:
    async with serve_app(settings, db_pool, every_feature(settings)) as base:
        async with aiohttp.ClientSession() as client, client.get(f"{base}/api/openapi.json") as r:
            document = await r.json()
        assert len(document["paths"]) > 5
        users = [
            await make_user(Role.SUPERUSER),
            await make_user(Role.NATIONAL_LISTENER),
            await make_user(Role.PROVINCE_ADMIN, world.hamedan),
            await make_user(Role.OFFICIAL, world.hamedan, official_id=world.official_h),
            await make_user(Role.AGENCY_STAFF, world.hamedan, agency_id=world.agency_h),
            await make_user(Role.INSPECTOR, world.hamedan),
        ]
        signed = [await sign_in(base, user) for user in users]
        signed.append(Signed(None, {}, ""))
        known = {"center_id": world.hamedan, "user_id": users[2].id}
        failures, sent = await asyncio.to_thread(fuzz, document, base, signed, known)
    operations = sum(len(methods) for methods in document["paths"].values())
    assert sent >= operations * len(signed)  # every operation and role was tried
    assert failures == []


async def test_an_id_too_large_for_its_column_is_a_404_not_a_500(
    db_pool: Pool, settings: Settings, serve_app: Any, make_user: MakeUser, world: World
) -> None:
    """Found by the fuzzing above: /centers/8522528115/slots overflowed int4 in the driver."""
    async with serve_app(settings, db_pool, every_feature(settings)) as base:
        who = await sign_in(base, await make_user(Role.SUPERUSER))
        async with aiohttp.ClientSession(cookies=who.cookies) as client:
            for path in ("/centers/8522528115/slots", "/recordings/99999999999999999999/url"):
                async with client.get(f"{base}/api/v1{path}") as response:
                    assert response.status == 404, path
                    assert (await response.json())["error"]["code"] == "not_found"
