"""Follow-up (tracking) codes that citizens hear once and later type on a keypad.

A code is nine random digits plus a Verhoeff check digit. Verhoeff rather than Luhn
because it catches every single-digit error *and* every adjacent transposition, the
two mistakes people make when copying a number from a voice prompt to a keypad.
"""

from __future__ import annotations

import random
import re

__all__ = ["CODE_LENGTH", "is_valid_tracking_code", "new_tracking_code", "verhoeff_check_digit"]

CODE_LENGTH = 10

_PAYLOAD_LENGTH = CODE_LENGTH - 1
# A leading zero would be lost when staff paste codes into a spreadsheet.
_CODE = re.compile(rf"[1-9][0-9]{{{CODE_LENGTH - 1}}}")
_ASCII_DIGITS = re.compile(r"[0-9]+")

# Verhoeff: multiplication table of the dihedral group D5 and its inverses.
_D: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
# Position permutations are the powers of one permutation (period 8); deriving them
# rather than copying an 8x10 table removes a whole class of transcription slips.
_SIGMA = (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)


def _powers_of_sigma() -> tuple[tuple[int, ...], ...]:
    rows = [tuple(range(10))]
    for _ in range(7):
        rows.append(tuple(_SIGMA[digit] for digit in rows[-1]))
    return tuple(rows)


_P = _powers_of_sigma()
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _verhoeff_checksum(digits: str, offset: int) -> int:
    check = 0
    for position, char in enumerate(reversed(digits)):
        check = _D[check][_P[(position + offset) % 8][int(char)]]
    return check


def verhoeff_check_digit(payload: str) -> str:
    """Return the Verhoeff check digit to append to ``payload`` (ASCII digits).

    Raises ``ValueError`` if ``payload`` is empty or contains anything but ASCII digits.
    """
    if not _ASCII_DIGITS.fullmatch(payload):
        raise ValueError("payload must be one or more ASCII digits")
    # Offset 1: the check digit itself will occupy position 0 of the full code.
    return str(_INV[_verhoeff_checksum(payload, 1)])


def is_valid_tracking_code(code: str) -> bool:
    """True if ``code`` is exactly ``CODE_LENGTH`` ASCII digits, not starting with 0,
    whose Verhoeff checksum holds.

    Persian or Arabic-Indic digits, spaces and separators are rejected: normalising
    what a person typed is the caller's job, at the edge.
    """
    if not _CODE.fullmatch(code):
        return False
    return _verhoeff_checksum(code, 0) == 0


def new_tracking_code(rng: random.Random) -> str:
    """Draw a fresh random tracking code.

    Production passes ``secrets.SystemRandom()`` so codes cannot be predicted from
    earlier ones; tests pass a seeded ``random.Random``. Uniqueness is the storage
    layer's job (a unique index and a retry): about one billion codes exist.
    """
    payload = str(rng.randrange(10 ** (_PAYLOAD_LENGTH - 1), 10**_PAYLOAD_LENGTH))
    return payload + verhoeff_check_digit(payload)
