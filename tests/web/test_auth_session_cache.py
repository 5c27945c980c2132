"""The in-process session copy (storage.session_cache) never outlives a logout or a
disabled account in this process, and sees changes made elsewhere within its lifetime."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from samad_ivr.storage.accounts import Role, User
from samad_ivr.storage.db import Pool
from samad_ivr.storage.session_cache import SESSION_CACHE_SECONDS
from samad_ivr.web.security import ACCOUNTS

from .conftest import Client, MakeUser, do_login


def session_cookie(client: Client) -> dict[str, str]:
    jar = client.session.cookie_jar.filter_cookies(client.make_url("/"))
    return {"samad_session": jar["samad_session"].value}


async def me_status(client: Client, cookies: dict[str, str]) -> int:
    response = await client.get("/api/v1/me", cookies=cookies)
    return response.status


async def cached_session(
    client: Client, make_user: MakeUser, role: Role
) -> tuple[User, dict[str, str]]:
    """A logged-in user whose session the app has already looked up (and so cached)."""
    user = await make_user(role)
    await do_login(client, user)
    cookies = session_cookie(client)
    assert await me_status(client, cookies) == 200
    return user, cookies


async def test_a_cached_session_stops_working_at_the_first_request_after_logout(
    web_client: Client, make_user: MakeUser, csrf_token_of: Any
) -> None:
    _user, cookies = await cached_session(web_client, make_user, Role.SUPERUSER)
    assert await me_status(web_client, cookies) == 200  # answered from the copy
    token = await csrf_token_of(web_client)
    response = await web_client.post("/logout", data={"_csrf": token}, allow_redirects=False)
    assert response.status == 303
    assert await me_status(web_client, cookies) == 401


async def test_a_user_disabled_in_this_process_is_refused_at_the_next_request(
    web_client: Client, make_user: MakeUser
) -> None:
    user, cookies = await cached_session(web_client, make_user, Role.NATIONAL_LISTENER)
    await web_client.app[ACCOUNTS].set_active(user.id, False)
    assert await me_status(web_client, cookies) == 401


async def test_a_password_change_in_this_process_drops_the_users_cached_sessions(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user, cookies = await cached_session(web_client, make_user, Role.SUPERUSER)
    # The server-side session is ended too (as an admin reset would), so a stale copy
    # would be the only thing still letting the request in.
    await db_pool.execute("DELETE FROM web_sessions WHERE user_id = $1", user.id)
    await web_client.app[ACCOUNTS].set_password_hash(user.id, "$argon2id$v=19$other")
    assert await me_status(web_client, cookies) == 401


async def test_a_user_disabled_by_another_process_is_refused_within_the_cache_lifetime(
    web_client: Client, make_user: MakeUser, db_pool: Pool
) -> None:
    user, cookies = await cached_session(web_client, make_user, Role.SUPERUSER)
    await db_pool.execute("UPDATE users SET is_active = false WHERE id = $1", user.id)
    deadline = time.monotonic() + SESSION_CACHE_SECONDS + 1.0
    while await me_status(web_client, cookies) == 200:
        assert time.monotonic() < deadline, "a disabled user kept access past the cache lifetime"
        await asyncio.sleep(0.1)
