"""Topics of a center: seeded, added, renamed, reordered, retired, never deleted."""

from __future__ import annotations

import asyncpg
import pytest

from lifecycle.factories import make_center, make_request
from samad_ivr.storage.db import Pool
from samad_ivr.storage.topics import (
    TopicCatalog,
    TopicExists,
    TopicNotFound,
    TopicRepository,
    next_generated_code,
)


async def test_every_center_starts_with_the_topics_of_the_source_document(
    db_pool: Pool, center_id: int
) -> None:
    topics = await TopicRepository(db_pool).list(center_id)
    assert [t.code for t in topics] == [
        "employment", "preschool_teachers", "housing", "bank_loans", "industry",
        "agriculture", "family", "other",
    ]  # fmt: skip
    assert all(t.active for t in topics)


async def test_a_new_topic_gets_a_generated_code_and_goes_before_other(
    db_pool: Pool, center_id: int
) -> None:
    repo = TopicRepository(db_pool)
    first = await repo.add(center_id, "آب و فاضلاب")
    second = await repo.add(center_id, "برق")
    named = await repo.add(center_id, "گاز", code="gas_supply")
    assert (first, second, named) == ("topic_1", "topic_2", "gas_supply")
    codes = [t.code for t in await repo.list(center_id)]
    assert codes[-4:] == ["topic_1", "topic_2", "gas_supply", "other"]
    with pytest.raises(TopicExists):
        await repo.add(center_id, "برق")
    with pytest.raises(TopicExists):
        await repo.add(center_id, "گاز دوم", code="gas_supply")


async def test_a_new_topic_goes_last_once_other_is_no_longer_last(
    db_pool: Pool, center_id: int
) -> None:
    repo = TopicRepository(db_pool)
    await repo.move(center_id, "other", -3)
    await repo.add(center_id, "برق")
    topics = await repo.list(center_id)
    assert topics[-1].code == "topic_1"
    assert [t.position for t in topics] == list(range(1, 10))


def test_generated_codes_count_on_from_the_highest_in_use() -> None:
    assert next_generated_code([]) == "topic_1"
    assert next_generated_code(["topic_2", "topic_10"]) == "topic_11"


async def test_renaming_to_a_name_in_use_is_refused_and_unknown_codes_are_not_found(
    db_pool: Pool, center_id: int
) -> None:
    repo = TopicRepository(db_pool)
    await repo.rename(center_id, "housing", "مسکن")
    assert (await repo.get(center_id, "housing")).name == "مسکن"  # type: ignore[union-attr]
    with pytest.raises(TopicExists):
        await repo.rename(center_id, "housing", "اشتغال")
    with pytest.raises(TopicNotFound):
        await repo.rename(center_id, "no_such", "x")
    with pytest.raises(TopicNotFound):
        await repo.set_active(center_id, "no_such", False)
    assert await repo.get(center_id, "DROP TABLE") is None


async def test_moving_a_topic_renumbers_the_list_and_stops_at_its_ends(
    db_pool: Pool, center_id: int
) -> None:
    repo = TopicRepository(db_pool)
    await repo.move(center_id, "other", -1)
    await repo.move(center_id, "employment", -1)  # already first
    codes = [t.code for t in await repo.list(center_id)]
    assert codes[0] == "employment"
    assert codes[-2:] == ["other", "family"]
    assert [t.position for t in await repo.list(center_id)] == list(range(1, 9))


async def test_a_retired_topic_keeps_its_name_on_old_requests_and_cannot_be_deleted(
    db_pool: Pool, center_id: int
) -> None:
    request_id = await make_request(db_pool, center_id)
    await db_pool.execute("UPDATE requests SET topic = 'family' WHERE id = $1", request_id)
    repo = TopicRepository(db_pool)
    await repo.set_active(center_id, "family", False)
    catalog = TopicCatalog(repo)
    assert "family" not in [t.code for t in await catalog.active(center_id)]
    assert (await catalog.names(center_id))["family"] == "ازدواج و فرزندآوری"
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await db_pool.execute(
            "DELETE FROM topics WHERE center_id = $1 AND code = 'family'", center_id
        )
    await repo.set_active(center_id, "family", True)
    catalog.forget(center_id)
    assert "family" in [t.code for t in await catalog.active(center_id)]


async def test_the_catalog_answers_from_its_copy_until_it_expires_or_is_told(
    db_pool: Pool, center_id: int
) -> None:
    now = [0.0]
    repo = TopicRepository(db_pool)
    catalog = TopicCatalog(repo, ttl=30, clock=lambda: now[0])
    assert (await catalog.names(center_id))["housing"] == "نهضت ملی مسکن"
    await repo.rename(center_id, "housing", "مسکن ملی")
    assert (await catalog.names(center_id))["housing"] == "نهضت ملی مسکن"
    now[0] = 31.0
    assert (await catalog.names(center_id))["housing"] == "مسکن ملی"
    await repo.rename(center_id, "housing", "مسکن")
    catalog.forget(center_id)
    assert (await catalog.names(center_id))["housing"] == "مسکن"


async def test_country_wide_labels_prefer_an_active_topics_name(db_pool: Pool) -> None:
    hamedan = await make_center(db_pool, "hamedan")
    tehran = await make_center(db_pool, "tehran")
    repo = TopicRepository(db_pool)
    await repo.rename(tehran, "industry", "صنعت و معدن")
    await repo.set_active(hamedan, "industry", False)
    await repo.add(tehran, "حمل و نقل عمومی", code="transit")
    labels = await repo.labels()
    assert labels["industry"] == "صنعت و معدن"
    assert labels["transit"] == "حمل و نقل عمومی"
