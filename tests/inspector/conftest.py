"""Two provinces, each with agencies, and the repositories the inspectors use."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lifecycle.factories import make_agency, make_center

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.storage.db import Pool
from samad_ivr.storage.inspection import InspectionRepository
from samad_ivr.storage.lifecycle import RequestLifecycle


@dataclass(frozen=True, slots=True)
class Province:
    center_id: int
    agency_id: int  # with a contact mobile
    quiet_agency_id: int  # without one


@pytest.fixture
async def hamedan(db_pool: Pool) -> Province:
    center = await make_center(db_pool, "hamedan")
    return Province(
        center,
        await make_agency(db_pool, center, "ادارهٔ کل راه و شهرسازی", "+989181110000"),
        await make_agency(db_pool, center, "ادارهٔ کل تعاون، کار و رفاه اجتماعی"),
    )


@pytest.fixture
async def tehran(db_pool: Pool) -> Province:
    center = await make_center(db_pool, "tehran")
    return Province(
        center,
        await make_agency(db_pool, center, "ادارهٔ کل راه تهران", "+989121110000"),
        await make_agency(db_pool, center, "بانک تهران"),
    )


@pytest.fixture
def lifecycle(db_pool: Pool) -> RequestLifecycle:
    return RequestLifecycle(db_pool, DeadlinePolicy())


@pytest.fixture
def inspection(db_pool: Pool) -> InspectionRepository:
    return InspectionRepository(db_pool)
