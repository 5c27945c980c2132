"""Answer attachments on disk: content-addressed files outside the web root.

An upload is streamed into a staging file under `<root>/.incoming/` while it is hashed
(both in a worker thread, a bounded buffer at a time), so nothing holds a whole file in
memory and the event loop never hashes or writes.  Its type comes from its first bytes
(PDF, JPEG, PNG), never from its name or the browser's word.  A staged file becomes
`<root>/<sha[:2]>/<sha256>` only inside the transaction that writes its row
(samad_ivr.storage.answers, under an advisory lock on the hash), so that a file is
never removed while a row that needs it is being written.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "AttachmentStore",
    "IncomingFile",
    "StagedFile",
    "clean_filename",
    "detect_type",
]

# First bytes of each accepted type.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
MAGIC_BYTES = max(len(m) for m, _ in _MAGIC)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_FLUSH_BYTES = 256 * 1024
_SHA_RE = re.compile(r"[0-9a-f]{64}")
_INCOMING = ".incoming"
MAX_FILENAME = 255
DEFAULT_FILENAME = "پیوست"
_KNOWN_EXTENSIONS = frozenset({".pdf", ".jpg", ".jpeg", ".png"})


def detect_type(head: bytes) -> str | None:
    """The content type the file's first bytes prove, or None for anything else."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def clean_filename(raw: str | None, content_type: str) -> str:
    """A name to show and to offer on download: no path, no control characters, at most
    255 characters, and the extension of its real type."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    ext = EXTENSIONS[content_type]
    # A known extension is replaced by the real type's; anything else stays in the name.
    stem, dot, given = name.rpartition(".")
    if not (dot and stem and f".{given.lower()}" in _KNOWN_EXTENSIONS):
        stem = name
    stem = stem.strip(" .") or DEFAULT_FILENAME
    return stem[: MAX_FILENAME - len(ext)] + ext


@dataclass(frozen=True, slots=True)
class StagedFile:
    """An upload written and hashed, not yet in place."""

    path: Path
    sha256: str
    size: int
    content_type: str
    filename: str


def _write(handle: BinaryIO, digest: hashlib._Hash, data: bytes) -> None:
    digest.update(data)
    handle.write(data)


def _finish(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


class IncomingFile:
    """One upload being streamed to a staging file; `finish()` or `discard()` it."""

    def __init__(self, path: Path, handle: BinaryIO, filename: str | None) -> None:
        self._path = path
        self._handle = handle
        self._filename = filename
        self._digest = hashlib.sha256()
        self._buffer = bytearray()
        self._head = b""
        self.size = 0

    @property
    def content_type(self) -> str | None:
        """Known once MAGIC_BYTES have arrived (or the file ended)."""
        return detect_type(self._head)

    @property
    def head_complete(self) -> bool:
        return len(self._head) >= MAGIC_BYTES

    async def write(self, chunk: bytes) -> None:
        if not self.head_complete:
            self._head = (self._head + chunk)[:MAGIC_BYTES]
        self.size += len(chunk)
        self._buffer += chunk
        if len(self._buffer) >= _FLUSH_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        data, self._buffer = bytes(self._buffer), bytearray()
        await asyncio.to_thread(_write, self._handle, self._digest, data)

    async def finish(self) -> StagedFile:
        """The staged file; raises ValueError when it is empty or of no accepted type."""
        content_type = self.content_type
        if self.size == 0 or content_type is None:
            raise ValueError("not a PDF, JPEG or PNG file")
        await self._flush()
        await asyncio.to_thread(_finish, self._handle)
        name = clean_filename(self._filename, content_type)
        return StagedFile(self._path, self._digest.hexdigest(), self.size, content_type, name)

    async def discard(self) -> None:
        self._buffer = bytearray()
        await asyncio.to_thread(self._close_and_remove)

    def _close_and_remove(self) -> None:
        self._handle.close()
        self._path.unlink(missing_ok=True)


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        return self._root

    def path_of(self, sha256: str) -> Path:
        if not _SHA_RE.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self._root / sha256[:2] / sha256

    async def incoming(self, filename: str | None) -> IncomingFile:
        def open_staging() -> tuple[Path, BinaryIO]:
            folder = self._root / _INCOMING
            folder.mkdir(parents=True, exist_ok=True, mode=0o750)
            path = folder / secrets.token_hex(16)
            return path, path.open("xb")

        path, handle = await asyncio.to_thread(open_staging)
        return IncomingFile(path, handle, filename)

    async def place(self, staged: StagedFile) -> bool:
        """Move the staged file to its final name; True when that name is new (this
        upload created it), False when the same content was already stored."""

        def move() -> bool:
            final = self.path_of(staged.sha256)
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
            if final.exists():
                staged.path.unlink(missing_ok=True)
                return False
            os.replace(staged.path, final)
            return True

        return await asyncio.to_thread(move)

    async def remove(self, sha256: str) -> None:
        await asyncio.to_thread(self.path_of(sha256).unlink, missing_ok=True)

    async def remove_staged(self, staged: StagedFile) -> None:
        await asyncio.to_thread(staged.path.unlink, missing_ok=True)

    async def sweep_incoming(self, older_than_seconds: float) -> int:
        """Remove staging files left by a process that stopped mid-upload (nothing names
        them); returns how many.  Younger ones may belong to an upload in progress."""

        def sweep() -> int:
            folder = self._root / _INCOMING
            if not folder.is_dir():
                return 0
            cutoff = time.time() - older_than_seconds
            removed = 0
            for path in folder.iterdir():
                try:
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue  # finished or discarded meanwhile
            return removed

        return await asyncio.to_thread(sweep)

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)
