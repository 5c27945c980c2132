"""Pure parts of playback: HTTP Range parsing and signed URL grants."""

from __future__ import annotations

import pytest

from samad_ivr.national.ranges import ByteRange, RangeNotSatisfiable, parse_range
from samad_ivr.national.signing import PlaybackGrant, sign, verify

SECRET = "k" * 40


def test_no_range_header_means_the_whole_file() -> None:
    assert parse_range(None, 100) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", ByteRange(0, 9)),
        ("bytes=90-", ByteRange(90, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-1000", ByteRange(0, 99)),
        ("bytes=95-1000", ByteRange(95, 99)),
    ],
)
def test_single_byte_ranges_are_clamped_to_the_file(header: str, expected: ByteRange) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=5-2", "bytes=-0", "bytes=-", "bytes=x-1"])
def test_unsatisfiable_ranges_raise(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_other_units_and_multiple_ranges_get_the_whole_file() -> None:
    assert parse_range("items=0-1", 100) is None
    assert parse_range("bytes=0-1,5-6", 100) is None


def test_a_grant_verifies_only_unchanged_and_before_expiry() -> None:
    grant = PlaybackGrant(7, 3, 1_000, download=False)
    sig = sign(SECRET, grant)
    assert verify(SECRET, grant, sig, now=999)
    assert not verify(SECRET, grant, sig, now=1_001)
    assert not verify(SECRET, PlaybackGrant(8, 3, 1_000, False), sig, now=999)
    assert not verify(SECRET, PlaybackGrant(7, 4, 1_000, False), sig, now=999)
    assert not verify(SECRET, PlaybackGrant(7, 3, 2_000, False), sig, now=999)
    assert not verify(SECRET, PlaybackGrant(7, 3, 1_000, True), sig, now=999)
    assert not verify("x" * 40, grant, sig, now=999)
