"""Repositories on a freshly migrated database, plus row factories."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from samad_ivr.storage.calls import CallRepository, CallUpsert
from samad_ivr.storage.db import Pool
from samad_ivr.storage.requests import RequestRepository
from samad_ivr.storage.roster import RosterRepository

T0 = datetime(2025, 3, 1, 5, 30, tzinfo=UTC)  # 09:00 in Tehran

MakeCall = Callable[..., Awaitable[int]]


@pytest.fixture
def roster(db_pool: Pool) -> RosterRepository:
    return RosterRepository(db_pool)


@pytest.fixture
def calls(db_pool: Pool) -> CallRepository:
    return CallRepository(db_pool)


@pytest.fixture
def requests_repo(db_pool: Pool) -> RequestRepository:
    return RequestRepository(db_pool)


@pytest.fixture
async def center_id(roster: RosterRepository) -> int:
    return await roster.ensure_center("hamedan", "مرکز سامد همدان", "samad-hamedan")


@pytest.fixture
def make_call(calls: CallRepository) -> MakeCall:
    """Insert a call with sensible defaults; keyword arguments override CallUpsert fields."""
    counter = itertools.count(1)

    async def make(**overrides: object) -> int:
        n = next(counter)
        fields: dict[str, object] = {
            "uniqueid": f"1740800000.{n}",
            "caller_raw": "09121234567",
            "caller_e164": "+989121234567",
            "started_at": T0,
        }
        fields.update(overrides)
        return await calls.upsert_call(CallUpsert(**fields))  # type: ignore[arg-type]

    return make
