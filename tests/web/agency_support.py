"""What the agency portal's web tests share: settings with small attachment limits, the
portal feature, and a world of two provinces with agencies and assigned requests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from national.factories import make_call

from samad_ivr.domain.deadlines import DeadlinePolicy
from samad_ivr.settings import Settings
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle
from samad_ivr.storage.roster import RosterRepository
from samad_ivr.web.agency.routes import setup_agency
from samad_ivr.web.app import Feature
from samad_ivr.web.national.routes import national_feature

PER_FILE = 4096
PER_ANSWER = 6144
MAX_FILES = 2
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DESK = Actor(job="desk_test")
_codes = itertools.count(1)


@pytest.fixture(name="settings")
def settings_fixture(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SAMAD_DATABASE_URL": database_url, "SAMAD_WEB_BIND": "127.0.0.1:0",
        "SAMAD_RECORDINGS_DIR": str(tmp_path / "recordings"),
        "SAMAD_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SAMAD_ATTACHMENT_MAX_BYTES": str(PER_FILE),
        "SAMAD_ATTACHMENTS_MAX_BYTES": str(PER_ANSWER),
        "SAMAD_ATTACHMENTS_MAX_FILES": str(MAX_FILES),
    })  # fmt: skip


@pytest.fixture(name="web_features")
def web_features_fixture() -> Sequence[Feature]:
    return [setup_agency, national_feature()]


@dataclass(frozen=True, slots=True)
class Case:
    request_id: int
    call_id: int
    recording_id: int


@dataclass(frozen=True, slots=True)
class AgencyWorld:
    hamedan: int
    tehran: int
    agency: int  # Hamedan's roads agency: the one under test
    neighbour: int  # another agency of Hamedan
    far: int  # an agency of Tehran
    own: Case  # assigned to `agency`
    neighbours: Case  # assigned to `neighbour`
    far_case: Case  # assigned to `far`


async def assigned_case(
    pool: Pool, settings: Settings, center_id: int, agency_id: int, *,
    caller: str = "+989181234567", now: datetime | None = None,
) -> Case:  # fmt: skip
    call = await make_call(
        pool, center_id, settings.recordings_dir, caller=caller,
        tracking_code=f"{5000000000 + next(_codes):010d}",
    )  # fmt: skip
    async with pool.acquire() as conn:
        request_id = int(
            await conn.fetchval("SELECT id FROM requests WHERE call_id = $1", call.call_id)
        )
        await conn.execute(
            "UPDATE requests SET summary = 'جادهٔ روستا خراب است' WHERE id = $1", request_id
        )
    await RequestLifecycle(pool, DeadlinePolicy()).assign(
        request_id, agency_id=agency_id, topic="housing", actor=DESK,
        now=now or datetime.now(UTC) - timedelta(hours=1),
    )  # fmt: skip
    return Case(request_id, call.call_id, call.recording_id)


@pytest.fixture(name="agency_world")
async def agency_world_fixture(db_pool: Pool, settings: Settings) -> AgencyWorld:
    roster = RosterRepository(db_pool)
    hamedan = await roster.ensure_center("hamedan", "همدان", "samad-hamedan")
    tehran = await roster.ensure_center("tehran", "تهران", "samad-tehran")
    agency = await roster.ensure_agency(hamedan, "ادارهٔ کل راه و شهرسازی")
    neighbour = await roster.ensure_agency(hamedan, "ادارهٔ کل آموزش و پرورش")
    far = await roster.ensure_agency(tehran, "شهرداری تهران")
    return AgencyWorld(
        hamedan, tehran, agency, neighbour, far,
        own=await assigned_case(db_pool, settings, hamedan, agency),
        neighbours=await assigned_case(db_pool, settings, hamedan, neighbour),
        far_case=await assigned_case(db_pool, settings, tehran, far),
    )  # fmt: skip


async def count(pool: Pool, table: str) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # a fixed name


def stored_files(root: Path) -> list[Path]:
    """Every file under the attachments directory (staging included)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
