"""HTTP Range (RFC 9110 section 14) for one byte range, which is what browsers' media
elements ask for.  Multiple ranges are answered with the whole body (allowed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE_RE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


class RangeNotSatisfiable(ValueError):
    """The Range header is syntactically a byte range we cannot serve (answer 416)."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """None: send everything (no header, or one we ignore); raises RangeNotSatisfiable."""
    if header is None:
        return None
    text = header.strip()
    if "," in text and text.startswith("bytes="):
        return None
    match = _RANGE_RE.fullmatch(text)
    if match is None:
        if text.startswith("bytes="):
            raise RangeNotSatisfiable(text)
        return None  # another unit: ignore, as RFC 9110 allows
    first, last = match[1], match[2]
    if not first and not last:
        raise RangeNotSatisfiable(text)
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(text)
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiable(text)
    return ByteRange(start, min(end, size - 1))
