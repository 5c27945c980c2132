"""The admin's view of transcription: progress per recording, and the topic lexicon."""

from __future__ import annotations

from datetime import UTC, datetime

from lifecycle.factories import make_request

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.topic_lexicon import TopicLexicon

from .conftest import Client
from .test_admin_support import (  # noqa: F401  (fixtures)
    AdminClient,
    World,
    as_role_fixture,
    post_form,
    settings_fixture,
    web_features_fixture,
    world_fixture,
)


async def add_recording(pool: Pool, center_id: int, path: str) -> int:
    recording_id: int = await pool.fetchval(
        """WITH call AS (
               INSERT INTO calls (uniqueid, center_id, caller_raw, started_at)
               VALUES ('web.' || $2, $1, '09121234567', now()) RETURNING id)
           INSERT INTO recordings (call_id, kind, path, finished_at)
           SELECT id, 'call', $2, now() FROM call RETURNING id""",
        center_id,
        path,
    )
    return recording_id


async def test_the_admin_page_shows_backlog_failures_and_that_the_worker_is_off(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    await add_recording(db_pool, world.hamedan, "calls/a.wav")
    failed = await add_recording(db_pool, world.hamedan, "calls/b.wav")
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE transcription_jobs SET state = 'failed', attempts = 4,"
            " last_error = 'b.wav is not audio pydub can read' WHERE recording_id = $1",
            failed,
        )
    client: Client = await as_role(Role.PROVINCE_ADMIN)
    response = await client.get("/admin/transcription")
    assert response.status == 200
    html = await response.text()
    assert "خاموش: SAMAD_VOSK_MODEL تنظیم نشده است" in html
    assert '<strong id="backlog">۱</strong>' in html
    assert '<strong id="failed">۱</strong>' in html
    assert "b.wav is not audio pydub can read" in html

    again = await post_form(
        client, f"/admin/transcription/{failed}/requeue", {}, "/admin/transcription"
    )
    assert again.headers["Location"] == "/admin/transcription?done=requeued"
    async with db_pool.acquire() as conn:
        state = await conn.fetchval(
            "SELECT state FROM transcription_jobs WHERE recording_id = $1", failed
        )
    assert state == "queued"


async def test_an_official_cannot_see_the_transcription_queue(as_role: AdminClient) -> None:
    client: Client = await as_role(Role.OFFICIAL)
    assert (await client.get("/admin/transcription")).status == 403


async def test_an_admin_adds_and_removes_keywords_of_a_topic(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    client: Client = await as_role(Role.PROVINCE_ADMIN)
    page = f"/admin/centers/{world.hamedan}/topic-keywords"
    topic = (await db_pool.fetchval(
        "SELECT code FROM topics WHERE center_id = $1 ORDER BY position LIMIT 1", world.hamedan
    ))  # fmt: skip
    added = await post_form(
        client, page, {"topic": topic, "phrase": "بیمهٔ بيكاری", "weight": "3"}, page
    )
    assert added.status == 303, await added.text()
    assert added.headers["Location"] == page + "?done=keyword_added"
    [entry] = await TopicLexicon(db_pool).entries(world.hamedan)
    assert (entry.topic, entry.phrase, entry.normalised, entry.weight) == (
        topic, "بیمهٔ بيكاری", "بیمه بیکاری", 3,
    )  # fmt: skip
    assert "بیمهٔ بيكاری" in await (await client.get(page)).text()

    bad = await post_form(client, page, {"topic": topic, "phrase": "!!", "weight": "3"}, page)
    assert bad.status == 400
    removed = await post_form(
        client, page + "/remove", {"topic": topic, "normalised": "بیمه بیکاری"}, page
    )
    assert removed.headers["Location"] == page + "?done=keyword_removed"
    assert await TopicLexicon(db_pool).entries(world.hamedan) == []


async def test_an_admin_cannot_edit_another_provinces_lexicon(
    as_role: AdminClient, world: World
) -> None:
    client: Client = await as_role(Role.PROVINCE_ADMIN)
    assert (await client.get(f"/admin/centers/{world.tehran}/topic-keywords")).status == 403


async def _suggest(pool: Pool, request_id: int, center_id: int, topic: str) -> None:
    await pool.execute(
        "INSERT INTO topic_suggestions (call_id, center_id, topic, score, matched)"
        " SELECT call_id, $2, $3, 3, ARRAY['بیمه بیکاری'] FROM requests WHERE id = $1",
        request_id, center_id, topic,
    )  # fmt: skip


async def test_the_suggested_topic_fills_an_empty_choice_and_never_a_chosen_one(
    as_role: AdminClient, db_pool: Pool, world: World
) -> None:
    client: Client = await as_role(Role.PROVINCE_ADMIN)
    fresh = await make_request(db_pool, world.hamedan)
    await _suggest(db_pool, fresh, world.hamedan, "family")
    html = await (await client.get(f"/admin/centers/{world.hamedan}/requests/{fresh}")).text()
    assert 'id="topic-suggestion"' in html
    assert "کلیدواژه‌ها: بیمه بیکاری" in html
    assert '<option value="family" selected>' in html

    chosen = await make_request(db_pool, world.hamedan)
    await RequestLifecycle(db_pool, DeadlinePolicy()).assign(
        chosen, agency_id=world.agency_h, topic="housing", actor=Actor.named("official"),
        now=datetime.now(UTC),
    )  # fmt: skip
    await _suggest(db_pool, chosen, world.hamedan, "family")
    html = await (await client.get(f"/admin/centers/{world.hamedan}/requests/{chosen}")).text()
    assert "موضوع برگزیده تغییر نکرده است" in html
    assert '<option value="housing" selected>' in html
    assert '<option value="family" selected>' not in html
    topic = await db_pool.fetchval("SELECT topic FROM requests WHERE id = $1", chosen)
    assert topic == "housing"
