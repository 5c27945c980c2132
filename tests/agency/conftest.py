"""A province with an agency, and the lifecycle, for the agency portal's tests."""

from __future__ import annotations

import pytest
from lifecycle.factories import make_agency, make_center

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import RequestLifecycle


@pytest.fixture
async def center_id(db_pool: Pool) -> int:
    return await make_center(db_pool, "hamedan")


@pytest.fixture
async def agency_id(db_pool: Pool, center_id: int) -> int:
    return await make_agency(db_pool, center_id, "ادارهٔ کل راه و شهرسازی", "+989181110000")


@pytest.fixture
def lifecycle(db_pool: Pool) -> RequestLifecycle:
    return RequestLifecycle(db_pool, DeadlinePolicy())
