"""The desk's note form assigns: request first (the same save), refusals, the card's state."""

from __future__ import annotations

from datetime import UTC, datetime

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.domain.lifecycle import Action, Status
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.storage.topics import TopicRepository

from . import test_desk
from .conftest import Client, MakeUser
from .test_desk import CsrfOf, Login, Seeded, add_call, official_of, register, ringing

# The desk tests' fixtures: the live hub, the desk feature on it, a seeded province.
hub = test_desk.hub
web_features = test_desk.web_features
seeded = test_desk.seeded


async def _request_of(db_pool: Pool, call: int) -> int:
    return int(await db_pool.fetchval("SELECT id FROM requests WHERE call_id = $1", call))


async def _save(client: Client, call: int, token: str, **form: str) -> tuple[int, dict[str, str]]:
    response = await client.post(
        f"/desk/calls/{call}/note", data=form, headers={"X-CSRF-Token": token}
    )
    return response.status, await response.json()


async def test_a_save_after_registration_assigns_the_request_in_the_same_save(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "a1", official_id=seeded.official)
    await register(db_pool, call, seeded.official)
    user = await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    status, body = await _save(
        web_client, call, token, summary="وام مسکن", topic="housing",
        agency_id=str(seeded.agency),
    )  # fmt: skip
    assert status == 200, body
    assert body["assigned"] is True
    assert body["status"] == "assigned"
    assert "مهلت پاسخ دستگاه" in body["state_line"]
    assert "۱۰ روز مانده" in body["state_line"]
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    request_id = await _request_of(db_pool, call)
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.agency_id, state.topic, state.summary) == (
        Status.ASSIGNED, seeded.agency, "housing", "وام مسکن",
    )  # fmt: skip
    [_, assign] = await lifecycle.history(request_id)
    assert (assign.action, assign.user_id, assign.note) == ("assign", user.id, "وام مسکن")
    note = await db_pool.fetchrow(
        "SELECT topic, agency_id FROM desk_notes WHERE call_id = $1", call
    )
    assert note is not None
    assert (note["topic"], note["agency_id"]) == ("housing", seeded.agency)

    # Saving the same choices again keeps the deadline; another agency reassigns.
    status, body = await _save(
        web_client, call, token, summary="وام مسکن مهر", topic="housing",
        agency_id=str(seeded.agency),
    )  # fmt: skip
    assert (status, body["assigned"]) == (200, False)
    assert len(await lifecycle.history(request_id)) == 2
    other = await RosterRepository(db_pool).ensure_agency(seeded.center, "بنیاد مسکن")
    status, body = await _save(
        web_client, call, token, summary="وام مسکن مهر", topic="housing", agency_id=str(other),
    )  # fmt: skip
    assert (status, body["assigned"], body["message"]) == (200, True, "درخواست دوباره ارجاع شد.")
    history = await lifecycle.history(request_id)
    assert history[-1].details["previous_agency_id"] == seeded.agency
    assert (await lifecycle.get(request_id)).agency_id == other  # type: ignore[union-attr]


async def test_an_answered_request_refuses_a_new_agency_and_keeps_everything_as_it_was(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "a2", official_id=seeded.official)
    await register(db_pool, call, seeded.official)
    request_id = await _request_of(db_pool, call)
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    now = datetime.now(UTC)
    await lifecycle.assign(
        request_id, agency_id=seeded.agency, topic="employment", actor=Actor.named("test"), now=now
    )
    await lifecycle.act(request_id, Action.ANSWER, actor=Actor.named("agency_test"), now=now)
    other = await RosterRepository(db_pool).ensure_agency(seeded.center, "ادارهٔ کار")
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    status, body = await _save(
        web_client, call, token, summary="تغییر", topic="industry", agency_id=str(other)
    )
    assert status == 409
    assert body["error"]["code"] == "transition_conflict"
    assert "پاسخ داده شده" in body["error"]["message"]
    state = await lifecycle.get(request_id)
    assert state is not None
    assert (state.status, state.agency_id, state.summary) == (
        Status.ANSWERED, seeded.agency, None,
    )  # fmt: skip
    assert await db_pool.fetchval("SELECT count(*) FROM desk_notes WHERE call_id = $1", call) == 0


async def test_a_retired_topic_or_another_provinces_agency_is_refused(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "a3", official_id=seeded.official)
    await TopicRepository(db_pool).set_active(seeded.center, "industry", False)
    tehran_agency = await RosterRepository(db_pool).ensure_agency(seeded.other_center, "تهران")
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    status, body = await _save(web_client, call, token, topic="industry")
    assert (status, body["error"]["message"]) == (422, "موضوع انتخاب‌شده در فهرست این استان نیست.")
    status, body = await _save(web_client, call, token, agency_id=str(tehran_agency))
    assert (status, body["error"]["message"]) == (422, "دستگاه انتخاب‌شده در این استان نیست.")
    status, _ = await _save(web_client, call, token, agency_id="۹۹۹۹۹۹۹۹۹۹۹۹۹۹")
    assert status == 422


async def test_a_note_before_registration_says_the_request_will_be_assigned(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    csrf_token_of: CsrfOf,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "a4", official_id=seeded.official)
    await login(web_client, await official_of(make_user, seeded))
    token = await csrf_token_of(web_client)
    status, body = await _save(
        web_client, call, token, summary="کشاورزی", topic="agriculture",
        agency_id=str(seeded.agency),
    )  # fmt: skip
    assert (status, body["in_request"], body["assigned"]) == (200, False, False)
    assert "ارجاع می‌شود" in body["message"]


async def test_the_caller_card_offers_active_topics_and_shows_the_requests_deadline(
    web_client: Client, make_user: MakeUser, login: Login, seeded: Seeded, db_pool: Pool,
    hub: object,
) -> None:  # fmt: skip
    call = await add_call(db_pool, seeded, "a5", linkedid="link-a5", official_id=seeded.official)
    await register(db_pool, call, seeded.official)
    topics = TopicRepository(db_pool)
    await topics.set_active(seeded.center, "industry", False)
    await topics.add(seeded.center, "آب و فاضلاب")
    lifecycle = RequestLifecycle(db_pool, DeadlinePolicy())
    await lifecycle.assign(
        await _request_of(db_pool, call), agency_id=seeded.agency, topic="family",
        actor=Actor.named("test"), now=datetime.now(UTC),
    )  # fmt: skip
    await login(web_client, await official_of(make_user, seeded))
    ringing(hub, "a5", "link-a5")  # type: ignore[arg-type]
    card = await (await web_client.get("/desk/call", params={"uniqueid": "a5"})).text()
    assert 'value="topic_1"' in card
    assert "آب و فاضلاب" in card
    assert 'value="industry"' not in card
    assert "وضعیت درخواست: ارجاع شده به دستگاه — مهلت پاسخ دستگاه:" in card
