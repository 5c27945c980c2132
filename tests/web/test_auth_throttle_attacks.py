"""Login throttling under attack (issue 15, item 5): parallel guesses, lockout of others."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.web.config import WebSettings

from .conftest import DEFAULT_PASSWORD, Client, MakeUser, login_form_token

ATTACKER = "203.0.113.9"
OFFICE = "198.51.100.7"
SLOWDOWN_MS = 400


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings.from_env(
        {
            "SAMAD_WEB_SECRET": "s" * 40,
            "SAMAD_WEB_TRUST_X_FORWARDED_FOR": "1",
            "SAMAD_WEB_LOGIN_SLOWDOWN_MS": str(SLOWDOWN_MS),
        }
    )


async def attempt(
    client: Client, user: User, address: str, password: str = DEFAULT_PASSWORD, token: str = ""
) -> Any:
    token = token or await login_form_token(client)
    form = {"username": user.username, "password": password, "_csrf": token, "next": "/"}
    return await client.post(
        "/login", data=form, allow_redirects=False, headers={"X-Forwarded-For": address}
    )


async def outcomes(pool: Pool, user: User) -> Counter[str]:
    rows = await pool.fetch("SELECT outcome FROM login_attempts WHERE username = $1", user.username)
    return Counter(r["outcome"] for r in rows)


async def test_parallel_wrong_passwords_get_no_more_tries_than_the_limit(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user = await make_user(Role.SUPERUSER)
    token = await login_form_token(web_client)
    responses = await asyncio.gather(
        *(attempt(web_client, user, ATTACKER, "wrong", token) for _ in range(20))
    )
    statuses = Counter(r.status for r in responses)
    assert statuses == {200: 5, 429: 15}
    assert await outcomes(db_pool, user) == {"failure": 5, "throttled": 15}


async def test_an_attack_from_elsewhere_only_slows_the_admin_at_their_usual_address(
    web_client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(Role.SUPERUSER)
    assert (await attempt(web_client, admin, OFFICE)).status == 303  # the usual address
    for _ in range(12):
        await attempt(web_client, admin, ATTACKER, "wrong")
    assert (await attempt(web_client, admin, ATTACKER)).status == 429  # even the right one
    started = time.monotonic()
    response = await attempt(web_client, admin, OFFICE)
    assert response.status == 303
    assert time.monotonic() - started >= SLOWDOWN_MS / 1000


async def test_an_attacked_username_is_refused_from_a_new_address(
    web_client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(Role.SUPERUSER)
    assert (await attempt(web_client, admin, OFFICE)).status == 303
    for number in range(1, 6):  # five addresses, one guess each: no pair, no address limit
        await attempt(web_client, admin, f"192.0.2.{number}", "wrong")
    assert (await attempt(web_client, admin, "192.0.2.99")).status == 429
    assert (await attempt(web_client, admin, OFFICE)).status == 303


async def test_a_success_from_the_usual_address_does_not_reset_the_attackers_count(
    web_client: Client, make_user: MakeUser
) -> None:
    admin = await make_user(Role.SUPERUSER)
    for _ in range(4):
        await attempt(web_client, admin, ATTACKER, "wrong")
    assert (await attempt(web_client, admin, OFFICE)).status == 303
    assert (await attempt(web_client, admin, ATTACKER, "wrong")).status == 200
    assert (await attempt(web_client, admin, ATTACKER, "wrong")).status == 429
