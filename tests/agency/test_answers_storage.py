"""Answers on a real PostgreSQL and a real directory: rows, files and SMS together or not
at all; content types from bytes; names that are safe to show and to download."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lifecycle.factories import make_request

from agency.factories import make_staff
from samad_ivr.domain.lifecycle import Status
from samad_ivr.sms.templates import TemplateRepository
from samad_ivr.sms.text import TemplateError
from samad_ivr.storage.answers import AnswerWriter, NotTheAgencysRequest
from samad_ivr.storage.attachments import (
    AttachmentStore,
    StagedFile,
    clean_filename,
    detect_type,
)
from samad_ivr.storage.db import Pool
from samad_ivr.storage.lifecycle import Actor, RequestLifecycle, StaleRequest, TransitionConflict

NOW = datetime(2025, 3, 2, 7, 0, tzinfo=UTC)
PDF = b"%PDF-1.7\n" + b"x" * 300_000  # more than one flush of the staging buffer
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


@pytest.fixture
def store(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "attachments")


@pytest.fixture
def writer(db_pool: Pool, lifecycle: RequestLifecycle, store: AttachmentStore) -> AnswerWriter:
    return AnswerWriter(db_pool, lifecycle, store, TemplateRepository(db_pool))


async def stage(store: AttachmentStore, data: bytes, name: str) -> StagedFile:
    incoming = await store.incoming(name)
    for i in range(0, len(data), 64 * 1024):
        await incoming.write(data[i : i + 64 * 1024])
    return await incoming.finish()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def assigned(pool: Pool, lifecycle: RequestLifecycle, center_id: int, agency_id: int) -> int:
    request_id = await make_request(pool, center_id)
    await lifecycle.assign(request_id, agency_id=agency_id, topic="other",
                           actor=Actor.named("desk_test"), now=NOW)  # fmt: skip
    return request_id


def test_types_come_from_the_first_bytes_only() -> None:
    assert detect_type(b"%PDF-1.4 ...") == "application/pdf"
    assert detect_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert detect_type(JPEG) == "image/jpeg"
    assert detect_type(b"<html><script>") is None
    assert detect_type(b"GIF89a") is None
    assert detect_type(b"") is None


def test_names_lose_paths_and_controls_and_take_their_real_extension() -> None:
    assert clean_filename("..\\..\\C:\\evil/گزارش.pdf", "application/pdf") == "گزارش.pdf"
    assert clean_filename("photo.PNG", "image/jpeg") == "photo.jpg"
    assert clean_filename("run.exe", "application/pdf") == "run.exe.pdf"
    assert clean_filename("a\x00b\u202e.pdf", "application/pdf") == "ab.pdf"
    assert clean_filename("", "image/png") == "پیوست.png"
    assert len(clean_filename("ن" * 400 + ".pdf", "application/pdf")) == 255


async def test_an_answer_stores_rows_files_by_hash_and_the_sms_in_one_go(
    db_pool: Pool, writer: AnswerWriter, store: AttachmentStore, lifecycle: RequestLifecycle,
    center_id: int, agency_id: int,
) -> None:  # fmt: skip
    request_id = await assigned(db_pool, lifecycle, center_id, agency_id)
    staff = await make_staff(db_pool, center_id, agency_id)
    files = [await stage(store, PDF, "a.pdf"), await stage(store, JPEG, "b.jpg")]
    state = await lifecycle.get(request_id)
    assert state is not None
    saved = await writer.answer(request_id, user=staff, body="پاسخ", files=files,
                                expected_version=state.version, now=NOW)  # fmt: skip
    assert saved.state.status is Status.ANSWERED
    assert len(saved.attachment_ids) == 2
    assert saved.sms_id is not None
    sha = hashlib.sha256(PDF).hexdigest()
    assert store.path_of(sha).read_bytes() == PDF
    assert files_under(store.root) == sorted(
        [store.path_of(sha), store.path_of(hashlib.sha256(JPEG).hexdigest())]
    )  # the staging files are gone
    history = await lifecycle.history(request_id)
    assert history[-1].details["attachments"] == 2


async def test_a_refused_answer_leaves_no_row_and_no_file(
    db_pool: Pool, writer: AnswerWriter, store: AttachmentStore, lifecycle: RequestLifecycle,
    center_id: int, agency_id: int,
) -> None:  # fmt: skip
    request_id = await assigned(db_pool, lifecycle, center_id, agency_id)
    staff = await make_staff(db_pool, center_id, agency_id)
    files = [await stage(store, PDF, "a.pdf")]
    with pytest.raises(StaleRequest):
        await writer.answer(request_id, user=staff, body="پاسخ", files=files,
                            expected_version=0, now=NOW)  # fmt: skip
    other = await make_staff(db_pool, center_id, None)
    with pytest.raises(NotTheAgencysRequest):
        await writer.answer(request_id, user=other, body="پاسخ", files=[],
                            expected_version=1, now=NOW)  # fmt: skip
    assert files_under(store.root) == []
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM request_answers") == 0


async def test_a_failure_after_the_files_were_placed_removes_only_files_nobody_needs(
    db_pool: Pool, writer: AnswerWriter, store: AttachmentStore, lifecycle: RequestLifecycle,
    center_id: int, agency_id: int,
) -> None:  # fmt: skip
    first = await assigned(db_pool, lifecycle, center_id, agency_id)
    second = await assigned(db_pool, lifecycle, center_id, agency_id)
    staff = await make_staff(db_pool, center_id, agency_id)
    await writer.answer(first, user=staff, body="پاسخ", files=[await stage(store, JPEG, "x.jpg")],
                        expected_version=1, now=NOW)  # fmt: skip
    # A template that cannot be filled fails the second save after its files are in place.
    async with db_pool.acquire() as conn:
        await conn.execute(
            "UPDATE sms_templates SET body = '{nope}' WHERE key = 'request_answered'"
        )
    files = [await stage(store, JPEG, "same.jpg"), await stage(store, PDF, "new.pdf")]
    with pytest.raises(TemplateError):
        await writer.answer(second, user=staff, body="پاسخ", files=files,
                            expected_version=1, now=NOW)  # fmt: skip
    # The JPEG is the first answer's too and stays; the new PDF is gone with its row.
    assert files_under(store.root) == [store.path_of(hashlib.sha256(JPEG).hexdigest())]
    state = await lifecycle.get(second)
    assert state is not None
    assert state.status is Status.ASSIGNED
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM answer_attachments") == 1


async def test_two_answers_at_once_one_wins_and_the_other_writes_nothing(
    db_pool: Pool, writer: AnswerWriter, store: AttachmentStore, lifecycle: RequestLifecycle,
    center_id: int, agency_id: int,
) -> None:  # fmt: skip
    request_id = await assigned(db_pool, lifecycle, center_id, agency_id)
    staff = await make_staff(db_pool, center_id, agency_id)
    files = [[await stage(store, PDF, "a.pdf")], [await stage(store, PDF, "b.pdf")]]
    results = await asyncio.gather(
        *(writer.answer(request_id, user=staff, body=f"پاسخ {i}", files=files[i],
                        expected_version=1, now=NOW) for i in range(2)),
        return_exceptions=True,
    )  # fmt: skip
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], StaleRequest | TransitionConflict)
    assert files_under(store.root) == [store.path_of(hashlib.sha256(PDF).hexdigest())]
    async with db_pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM request_answers") == 1
        assert await conn.fetchval("SELECT count(*) FROM sms_outbox") == 1


async def test_staging_files_left_by_a_stopped_process_are_swept_and_fresh_ones_kept(
    store: AttachmentStore,
) -> None:
    fresh = await store.incoming("new.pdf")  # an upload in progress
    await fresh.write(PDF[:100])
    left = store.root / ".incoming" / ("0" * 32)  # what a process that died left behind
    left.write_bytes(PDF[:100])
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    assert await store.sweep_incoming(3600) == 1
    assert not left.exists()
    assert len(list((store.root / ".incoming").iterdir())) == 1
    await fresh.discard()
    assert list((store.root / ".incoming").iterdir()) == []
