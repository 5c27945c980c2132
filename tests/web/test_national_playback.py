"""Recording playback, audit and search access: every role and province gets exactly
what it should; refusals send no audio and leave no audit row."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from national.factories import StoredCall, make_call

from samad_ivr.national.signing import PlaybackGrant, playback_url
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

SECRET = "s" * 40  # tests/web/conftest.py's web secret


@pytest.fixture
def web_features() -> Sequence[Feature]:
    return [national_feature()]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
    })  # fmt: skip


@pytest.fixture
async def calls(
    db_pool: Pool, center_ids: dict[str, int], settings: Settings
) -> dict[str, StoredCall]:
    d = settings.recordings_dir
    return {
        "hamedan": await make_call(db_pool, center_ids["hamedan"], d),
        "tehran": await make_call(db_pool, center_ids["tehran"], d),
    }


async def audit_count(pool: Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM listen_audit"))


async def signed_url(client: Any, recording_id: int) -> str:
    response = await client.get(f"/api/v1/recordings/{recording_id}/url")
    assert response.status == 200, await response.text()
    url: str = (await response.json())["url"]
    return url


# role, own province, may it see hamedan's call, may it see tehran's call
MATRIX = [
    (Role.SUPERUSER, None, True, True),
    (Role.NATIONAL_LISTENER, None, True, True),
    (Role.PROVINCE_ADMIN, "hamedan", True, False),
    (Role.PROVINCE_ADMIN, "tehran", False, True),
    (Role.OFFICIAL, "hamedan", False, False),
    (Role.AGENCY_STAFF, "hamedan", False, False),
    (Role.INSPECTOR, "hamedan", False, False),
]
# Who hears calls without searching them (the case file's player, issue 11): inspectors
# in their own province.  Agency staff hear only calls of requests assigned to their
# agency (tests/agency/test_agency_access.py); these calls have none.
PLAYS_WITHOUT_SEARCH = {(Role.INSPECTOR, "hamedan"): {"hamedan"}}


@pytest.mark.parametrize(("role", "province", "sees_hamedan", "sees_tehran"), MATRIX)
async def test_each_role_gets_exactly_its_recordings_searches_and_audit(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, center_ids: dict[str, int],
    calls: dict[str, StoredCall], role: Role, province: str | None,
    sees_hamedan: bool, sees_tehran: bool,
) -> None:  # fmt: skip
    user = await make_user(role, center_ids[province] if province else None)
    await login(web_client, user)
    national = sees_hamedan or sees_tehran
    for name, sees in (("hamedan", sees_hamedan), ("tehran", sees_tehran)):
        call = calls[name]
        before = await audit_count(db_pool)
        plays = sees or name in PLAYS_WITHOUT_SEARCH.get((role, province), set())
        url_reply = await web_client.get(f"/api/v1/recordings/{call.recording_id}/url")
        assert url_reply.status == (200 if plays else 403)
        # A URL signed for this user (as if leaked or guessed) still plays nothing.
        grant = PlaybackGrant(call.recording_id, user.id, int(time.time()) + 60, False)
        audio = await web_client.get(playback_url(SECRET, grant))
        body = await audio.read()
        if plays:
            assert audio.status == 200
            assert audio.content_type == "audio/mpeg"
            assert body[:3] == b"ID3" or body[:2] == b"\xff\xfb" or len(body) > 100
            assert await audit_count(db_pool) == before + 1
        else:
            assert audio.status == 403
            assert audio.content_type == "application/json"
            assert b"error" in body
            assert await audit_count(db_pool) == before
        listing = await web_client.get("/api/v1/calls", params={"center_id": center_ids[name]})
        assert listing.status == (200 if sees else 403)
        if sees:
            ids = [c["id"] for c in (await listing.json())["calls"]]
            assert ids == [call.call_id]
    everything = await web_client.get("/api/v1/calls")
    assert everything.status == (200 if national else 403)
    if national:
        ids = {c["id"] for c in (await everything.json())["calls"]}
        expected = {calls[n].call_id for n, s in (("hamedan", sees_hamedan),
                                                  ("tehran", sees_tehran)) if s}  # fmt: skip
        assert ids == expected
    page = await web_client.get("/national/audit", allow_redirects=False)
    assert page.status == (200 if national else 403)
    calls_page = await web_client.get("/national/calls", allow_redirects=False)
    assert calls_page.status == (200 if national else 403)


async def test_province_admin_sees_only_their_province_in_the_audit(
    web_client: Any, make_user: Any, login: Any, center_ids: dict[str, int],
    calls: dict[str, StoredCall],
) -> None:  # fmt: skip
    listener = await make_user(Role.NATIONAL_LISTENER, username="listener-one")
    await login(web_client, listener)
    for call in calls.values():
        assert (await web_client.get(await signed_url(web_client, call.recording_id))).status == 200
    await web_client.post("/logout", data={})
    admin = await make_user(Role.PROVINCE_ADMIN, center_ids["hamedan"])
    web_client.session.cookie_jar.clear()
    await login(web_client, admin)
    text = await (await web_client.get("/national/audit")).text()
    assert "همدان" in text
    assert "تهران" not in text
    assert "listener-one" in text


async def test_anonymous_gets_401_json_and_no_audio(
    web_client: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    grant = PlaybackGrant(calls["hamedan"].recording_id, 1, int(time.time()) + 60, False)
    response = await web_client.get(playback_url(SECRET, grant))
    assert response.status == 401
    assert response.content_type == "application/json"
    assert await audit_count(db_pool) == 0


async def _listener(web_client: Any, make_user: Any, login: Any) -> Any:
    user = await make_user(Role.NATIONAL_LISTENER)
    await login(web_client, user)
    return user


async def test_range_requests_answer_206_with_exact_bytes(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    await _listener(web_client, make_user, login)
    url = await signed_url(web_client, calls["hamedan"].recording_id)
    whole = await web_client.get(url)
    data = await whole.read()
    assert whole.headers["Accept-Ranges"] == "bytes"
    size = len(data)
    first = await web_client.get(url, headers={"Range": "bytes=0-99"})
    assert first.status == 206
    assert first.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert await first.read() == data[:100]
    suffix = await web_client.get(url, headers={"Range": "bytes=-50"})
    assert suffix.status == 206
    assert suffix.headers["Content-Range"] == f"bytes {size - 50}-{size - 1}/{size}"
    assert await suffix.read() == data[-50:]
    before = await audit_count(db_pool)
    bad = await web_client.get(url, headers={"Range": f"bytes={size}-"})
    assert bad.status == 416
    assert bad.headers["Content-Range"] == f"bytes */{size}"
    assert bad.content_type == "application/json"
    assert await audit_count(db_pool) == before
    async with db_pool.acquire() as conn:
        ranges = await conn.fetch("SELECT byte_range, action FROM listen_audit ORDER BY id")
    assert [r["byte_range"] for r in ranges] == [None, "0-99", f"{size - 50}-{size - 1}"]
    assert {r["action"] for r in ranges} == {"play"}


async def test_download_links_are_audited_as_downloads(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    await _listener(web_client, make_user, login)
    reply = await web_client.get(f"/api/v1/recordings/{calls['tehran'].recording_id}/url")
    response = await web_client.get((await reply.json())["download_url"])
    assert response.status == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT action FROM listen_audit") == "download"


async def test_tampered_expired_or_other_users_urls_are_refused(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    user = await _listener(web_client, make_user, login)
    rid = calls["hamedan"].recording_id
    good = await signed_url(web_client, rid)
    tampered = [
        good.replace(f"/recordings/{rid}/", f"/recordings/{calls['tehran'].recording_id}/"),
        good[:-1] + ("0" if good[-1] != "0" else "1"),
        good + "&download=1",
        good.replace("exp=", "exp=9"),
        playback_url(SECRET, PlaybackGrant(rid, user.id, int(time.time()) - 1, False)),
        playback_url(SECRET, PlaybackGrant(rid, user.id + 1000, int(time.time()) + 60, False)),
        playback_url("x" * 40, PlaybackGrant(rid, user.id, int(time.time()) + 60, False)),
        f"/national/recordings/{rid}/audio",
    ]
    for url in tampered:
        response = await web_client.get(url)
        assert response.status == 403, url
        assert b"error" in await response.read()
    assert await audit_count(db_pool) == 0


async def test_when_the_audit_insert_fails_no_audio_byte_is_sent(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    await _listener(web_client, make_user, login)
    url = await signed_url(web_client, calls["hamedan"].recording_id)
    async with db_pool.acquire() as conn:
        await conn.execute(
            "ALTER TABLE listen_audit ADD CONSTRAINT refuse_all CHECK (false) NOT VALID"
        )
    response = await web_client.get(url, headers={"Range": "bytes=0-99"})
    body = await response.read()
    assert response.status == 500
    assert response.content_type == "application/json"
    assert b"audit_failed" in body
    assert b"ID3" not in body
    assert await audit_count(db_pool) == 0


async def test_the_audit_table_refuses_update_and_delete(
    web_client: Any, make_user: Any, login: Any, db_pool: Pool, calls: dict[str, StoredCall]
) -> None:
    await _listener(web_client, make_user, login)
    await web_client.get(await signed_url(web_client, calls["hamedan"].recording_id))
    async with db_pool.acquire() as conn:
        for sql in ("UPDATE listen_audit SET ip = 'x'", "DELETE FROM listen_audit",
                    "TRUNCATE listen_audit"):  # fmt: skip
            with pytest.raises(Exception, match="append-only"):
                await conn.execute(sql)
    assert await audit_count(db_pool) == 1


async def test_the_mp3_is_made_once_and_cached(
    web_client: Any, make_user: Any, login: Any, settings: Settings,
    calls: dict[str, StoredCall],
) -> None:  # fmt: skip
    await _listener(web_client, make_user, login)
    url = await signed_url(web_client, calls["hamedan"].recording_id)
    await web_client.get(url)
    cached = list((settings.recordings_dir / ".cache").glob("*.mp3"))
    assert len(cached) == 1
    mtime = cached[0].stat().st_mtime_ns
    await web_client.get(url)
    assert cached[0].stat().st_mtime_ns == mtime


async def test_a_recording_still_being_written_is_not_played_and_nothing_is_cached(
    web_client: Any, make_user: Any, login: Any, settings: Settings, db_pool: Pool,
    calls: dict[str, StoredCall],
) -> None:  # fmt: skip
    await _listener(web_client, make_user, login)
    recording_id = calls["hamedan"].recording_id
    url = await signed_url(web_client, recording_id)  # signed while it was finished
    await db_pool.execute("UPDATE recordings SET finished_at = NULL WHERE id = $1", recording_id)
    response = await web_client.get(f"/api/v1/recordings/{recording_id}/url")
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "recording_in_progress"
    response = await web_client.get(url)
    assert response.status == 409
    assert response.content_type == "application/json"
    assert not list((settings.recordings_dir / ".cache").glob("*.mp3"))
    assert await audit_count(db_pool) == 0
