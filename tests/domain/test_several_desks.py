"""Several desks: slots of different officials overlap, one official is never in two."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.domain.queue_members import (
    DEPUTY_PENALTY,
    QueueMember,
    changes,
    desired_members,
)
from samad_ivr.domain.roster import (
    CenterCalendar,
    Closed,
    DutySlot,
    Official,
    OnDuty,
    decide,
    overlaps_same_official,
)

TEHRAN = ZoneInfo("Asia/Tehran")
OPEN = CenterCalendar(tz=TEHRAN, closed_days=frozenset())
BASE = datetime(2025, 11, 30, 8, 0, tzinfo=TEHRAN)
DEPUTY = Official(7, "مریم احمدی", "معاون", "استانداری", "Local/d7@desks")
OFFICIALS = tuple(
    Official(i, f"مسئول {i}", "مدیر", "استانداری", f"Local/d{i}@desks", DEPUTY if i == 1 else None)
    for i in range(1, 5)
)


def slot(slot_id: int, official: Official, start_min: int, length_min: int) -> DutySlot:
    start = BASE + timedelta(minutes=start_min)
    return DutySlot(slot_id, official, start, start + timedelta(minutes=length_min))


slots_strategy = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 240), st.integers(1, 180)), max_size=8
).map(lambda specs: [slot(i, OFFICIALS[o], s, n) for i, (o, s, n) in enumerate(specs)])


def brute_clash(a: DutySlot, b: DutySlot) -> bool:
    return a.official.id == b.official.id and a.starts_at < b.ends_at and b.starts_at < a.ends_at


@given(slots_strategy)
def test_only_slots_of_the_same_official_clash(slots: list[DutySlot]) -> None:
    found = overlaps_same_official(slots)
    assert all(brute_clash(a, b) for a, b in found)
    any_clash = any(brute_clash(a, b) for i, a in enumerate(slots) for b in slots[i + 1 :])
    assert bool(found) == any_clash


@given(slots_strategy, st.integers(-10, 430))
def test_everyone_whose_slot_covers_the_instant_is_on_duty_once(
    slots: list[DutySlot], minute: int
) -> None:
    instant = BASE + timedelta(minutes=minute)
    decision = decide(instant, slots, OPEN)
    covering = {s.official.id for s in slots if s.covers(instant)}
    if not covering:
        assert isinstance(decision, Closed)
        return
    assert isinstance(decision, OnDuty)
    ids = [o.id for o in decision.officials]
    assert sorted(ids) == sorted(covering)  # every desk on duty, none twice
    assert all(s.covers(instant) for s in decision.slots)
    starts = [s.starts_at for s in decision.slots]
    assert starts == sorted(starts)


def test_back_to_back_slots_of_one_official_do_not_clash() -> None:
    a = slot(1, OFFICIALS[0], 0, 60)
    b = slot(2, OFFICIALS[0], 60, 60)
    assert overlaps_same_official([a, b]) == []
    assert overlaps_same_official([a, slot(3, OFFICIALS[0], 59, 10)]) != []


def test_desks_on_duty_are_members_and_deputies_ring_after_them() -> None:
    decision = decide(
        BASE + timedelta(minutes=30),
        [slot(1, OFFICIALS[0], 0, 60), slot(2, OFFICIALS[1], 10, 60)],
        OPEN,
    )
    assert desired_members(decision) == (
        QueueMember("Local/d1@desks", 1, 0),
        QueueMember("Local/d2@desks", 2, 0),
        QueueMember("Local/d7@desks", 7, DEPUTY_PENALTY),
    )
    assert QueueMember("Local/d7@desks", 7).name == "7"  # MEMBERNAME = the official's id


def test_a_deputy_on_duty_in_their_own_slot_rings_as_a_desk() -> None:
    decision = decide(
        BASE + timedelta(minutes=5),
        [slot(1, OFFICIALS[0], 0, 60), slot(2, DEPUTY, 0, 60)],
        OPEN,
    )
    members = desired_members(decision)
    assert QueueMember("Local/d7@desks", 7, 0) in members
    assert len(members) == 2


def test_closed_center_has_no_members() -> None:
    assert desired_members(Closed(None)) == ()


def test_changes_add_the_missing_remove_the_extra_and_fix_a_changed_penalty() -> None:
    want = [QueueMember("A", 1), QueueMember("B", 2), QueueMember("C", 3, 1)]
    have = [QueueMember("B", 2), QueueMember("C", 3, 0), QueueMember("Z", 9)]
    todo = changes(want, have)
    assert set(todo.remove) == {"C", "Z"}
    assert set(todo.add) == {QueueMember("A", 1), QueueMember("C", 3, 1)}
    assert changes(want, want).empty


@given(
    st.lists(st.sampled_from("ABCD"), unique=True),
    st.lists(st.sampled_from("ABCD"), unique=True),
)
def test_applying_changes_yields_exactly_the_desired_members(w: list[str], h: list[str]) -> None:
    want = [QueueMember(i, ord(i)) for i in w]
    have = [QueueMember(i, ord(i) + (1 if i == "A" else 0)) for i in h]
    todo = changes(want, have)
    after = {m.interface: m for m in have if m.interface not in todo.remove}
    after.update({m.interface: m for m in todo.add})
    assert sorted(after.values(), key=lambda m: m.interface) == sorted(
        want, key=lambda m: m.interface
    )
