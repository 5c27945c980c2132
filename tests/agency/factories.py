"""Rows the agency portal's tests share (beside lifecycle.factories)."""

from __future__ import annotations

import itertools

from samad_ivr.storage.accounts import AccountRepository, NewUser, Role, User
from samad_ivr.storage.db import Pool

_names = itertools.count(1)


async def make_staff(
    pool: Pool, center_id: int, agency_id: int | None, full_name: str = "مریم احمدی"
) -> User:
    """An agency_staff account (no password anyone knows; storage tests never log in)."""
    new = NewUser(f"staff-{next(_names)}", full_name, Role.AGENCY_STAFF, center_id, None, agency_id)
    return await AccountRepository(pool).create_user(new, "x")
