"""Item 2 of issue 15: a desk endpoint belongs to one center, and a browser desk's SIP
credential is random, stored as Asterisk's digest, never derivable from its name."""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg
import pytest

from samad_ivr.softphone.desks import render_desks
from samad_ivr.softphone.sync import DeskConfigSync
from samad_ivr.storage.db import Pool
from samad_ivr.storage.desk import DeskRepository
from samad_ivr.storage.desk_credentials import REALM, DeskCredential, DeskCredentialRepository
from samad_ivr.storage.officials import OfficialData, OfficialRejected, OfficialRepository
from samad_ivr.storage.roster import RosterRepository

from .test_sync import FakeAsterisk, settings


async def two_centers(db_pool: Pool) -> tuple[RosterRepository, int, int]:
    repo = RosterRepository(db_pool)
    a = await repo.ensure_center("hamedan", "مرکز سامد همدان", "samad-desk")
    b = await repo.ensure_center("tehran", "مرکز سامد تهران", "samad-desk-tehran")
    return repo, a, b


async def test_another_centers_official_cannot_take_a_desk_endpoint(db_pool: Pool) -> None:
    repo, a, b = await two_centers(db_pool)
    await repo.add_official(a, "الف", "استاندار", None, "PJSIP/samad-web-b1")
    await repo.add_official(a, "ب", "معاون", None, "PJSIP/samad-web-b1")  # same center: shared
    with pytest.raises(asyncpg.UniqueViolationError, match="another center"):
        await repo.add_official(b, "ج", "استاندار", None, "PJSIP/samad-web-b1")
    other = await repo.add_official(b, "د", "استاندار", None, "PJSIP/samad-web-t1")
    with pytest.raises(asyncpg.UniqueViolationError, match="another center"):
        await db_pool.execute(
            "UPDATE officials SET desk_endpoint = 'PJSIP/samad-web-b1' WHERE id = $1", other
        )


async def test_a_desk_credential_is_random_and_not_derivable_from_the_name(
    db_pool: Pool,
) -> None:
    creds = DeskCredentialRepository(db_pool)
    first = await creds.ensure(["samad-web-1", "samad-web-2"])
    assert first == await creds.ensure(["samad-web-1", "samad-web-2"]), "stable once made"
    assert first["samad-web-1"].ha1 != first["samad-web-2"].ha1
    await db_pool.execute("DELETE FROM desk_credentials")
    again = await creds.ensure(["samad-web-1"])
    assert again["samad-web-1"].ha1 != first["samad-web-1"].ha1, "same name, new secret"


async def test_rotating_changes_only_that_desks_credential(db_pool: Pool) -> None:
    creds = DeskCredentialRepository(db_pool)
    before = await creds.ensure(["samad-web-1", "samad-web-2"])
    rotated = await creds.rotate("samad-web-1")
    after = await creds.ensure(["samad-web-1", "samad-web-2"])
    assert after["samad-web-1"] == rotated != before["samad-web-1"]
    assert after["samad-web-2"] == before["samad-web-2"]


def test_the_pjsip_file_holds_asterisks_digest_and_no_password() -> None:
    ha1 = hashlib.md5(b"samad-web-1:samad:pw", usedforsecurity=False).hexdigest()
    text = render_desks([DeskCredential("samad-web-1", REALM, ha1)])
    assert "password" not in text.replace("; ", "")
    assert f"auth_type = md5\nmd5_cred = {ha1}\nrealm = {REALM}\n" in text
    with pytest.raises(ValueError, match="not a desk"):
        render_desks([DeskCredential("bad]\n[global", REALM, ha1)])
    with pytest.raises(ValueError, match="digest"):
        render_desks([DeskCredential("samad-web-1", REALM, "x\nallow=all")])


async def test_the_sync_writes_each_desks_stored_digest_and_rewrites_after_rotation(
    db_pool: Pool, tmp_path: Path
) -> None:
    repo, a, _ = await two_centers(db_pool)
    await repo.add_official(a, "الف", "استاندار", None, "PJSIP/samad-web-1")
    path = tmp_path / "pjsip_desks.conf"
    asterisk = FakeAsterisk()
    sync = DeskConfigSync(
        settings(path), DeskRepository(db_pool), asterisk, DeskCredentialRepository(db_pool)
    )
    assert await sync.sync()
    stored = await DeskCredentialRepository(db_pool).get("samad-web-1")
    assert stored is not None
    assert f"md5_cred = {stored.ha1}" in path.read_text()
    assert not await sync.sync()
    rotated = await DeskCredentialRepository(db_pool).rotate("samad-web-1")
    assert await sync.sync()
    assert f"md5_cred = {rotated.ha1}" in path.read_text()
    assert len(asterisk.reloads) == 2


async def test_the_official_repository_reports_another_centers_desk_as_a_rejection(
    db_pool: Pool,
) -> None:
    # What a form that lost the race with another center's save meets: no 500.
    repo, a, b = await two_centers(db_pool)
    await repo.add_official(a, "الف", "استاندار", None, "PJSIP/desk-a")
    data = OfficialData("ب", "استاندار", None, "PJSIP/desk-a", None, None)
    with pytest.raises(OfficialRejected) as caught:
        await OfficialRepository(db_pool).create(b, data)
    assert caught.value.constraint == "officials_desk_one_center"
