"""The desks' PJSIP file follows the officials table; Asterisk reloads after each change."""

from __future__ import annotations

from pathlib import Path

import pytest

from samad_ivr.softphone.settings import SoftphoneSettings
from samad_ivr.softphone.sync import DeskConfigSync
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.desk_credentials import DeskCredentialRepository
from samad_ivr.storage.roster import RosterRepository


class FakeAsterisk:
    def __init__(self) -> None:
        self.reloads: list[str] = []
        self.refuse = False

    async def reload_module(self, module: str) -> None:
        if self.refuse:
            raise RuntimeError("AMI is not connected")
        self.reloads.append(module)


def settings(path: Path) -> SoftphoneSettings:
    return SoftphoneSettings.from_env(
        {
            "SAMAD_WEBRTC_WS_URL": "ws://127.0.0.1:8088/ws",
            "SAMAD_WEBRTC_SECRET": "k" * 40,
            "SAMAD_PJSIP_DESKS_FILE": str(path),
        }
    )


@pytest.fixture
async def roster(db_pool: Pool) -> tuple[RosterRepository, int, int]:
    repo = RosterRepository(db_pool)
    center = await repo.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    agency = await repo.ensure_agency(center, "استانداری")
    return repo, center, agency


async def test_browser_desks_are_written_and_asterisk_reloads_once_per_change(
    db_pool: Pool, roster: tuple[RosterRepository, int, int], tmp_path: Path
) -> None:
    repo, center, agency = roster
    await repo.add_official(center, "الف", "استاندار", agency, "PJSIP/samad-web-1")
    await repo.add_official(center, "ب", "معاون", agency, "PJSIP/desk-hardware")
    path = tmp_path / "pjsip_desks.conf"
    asterisk = FakeAsterisk()
    sync = DeskConfigSync(
        settings(path), DeskRepository(db_pool), asterisk, DeskCredentialRepository(db_pool)
    )

    assert await sync.sync()
    text = path.read_text()
    assert "[samad-web-1](samad-webrtc-desk)" in text
    assert "desk-hardware" not in text
    assert path.stat().st_mode & 0o777 == 0o640
    assert asterisk.reloads == ["res_pjsip.so"]

    assert not await sync.sync(), "nothing changed: no rewrite, no reload"
    assert asterisk.reloads == ["res_pjsip.so"]

    await repo.add_official(center, "ج", "فرماندار", agency, "PJSIP/samad-web-2")
    assert await sync.sync()
    assert "[samad-web-2](samad-webrtc-desk)" in path.read_text()
    assert len(asterisk.reloads) == 2


async def test_a_reload_asterisk_refused_is_retried_on_the_next_round(
    db_pool: Pool, roster: tuple[RosterRepository, int, int], tmp_path: Path
) -> None:
    repo, center, agency = roster
    await repo.add_official(center, "الف", "استاندار", agency, "PJSIP/samad-web-1")
    path = tmp_path / "pjsip_desks.conf"
    asterisk = FakeAsterisk()
    asterisk.refuse = True
    sync = DeskConfigSync(
        settings(path), DeskRepository(db_pool), asterisk, DeskCredentialRepository(db_pool)
    )

    assert not await sync.sync()
    assert "samad-web-1" in path.read_text(), "the file is written even if Asterisk is down"
    asterisk.refuse = False
    assert await sync.sync(), "the pending reload is sent although the file did not change"
    assert asterisk.reloads == ["res_pjsip.so"]
