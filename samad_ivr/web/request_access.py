"""Who may read a request (its case file, attachments and recording), for every console.

- national roles (superuser, national listener): every request and call;
- province admins and inspectors: those of their own province;
- agency staff: only requests assigned to their own agency (and those requests' calls);
- everyone else (officials at the desk): none through these views.

Refusals of a single request are 404, so that nobody learns which ids exist.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.storage.request_scope import Scope, ScopeRepository
from samad_ivr.web.app import DEPS
from samad_ivr.web.security import Role, User

__all__ = ["PROVINCE_ROLES", "READ_ROLES", "may_play_call", "may_read"]

PROVINCE_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.INSPECTOR})
READ_ROLES = (
    Role.SUPERUSER, Role.NATIONAL_LISTENER, Role.PROVINCE_ADMIN, Role.INSPECTOR,
    Role.AGENCY_STAFF,
)  # fmt: skip


def may_read(user: User, scope: Scope) -> bool:
    """Whether `user` may read the request (or call) of `scope`."""
    if user.is_national:
        return True
    if user.role in PROVINCE_ROLES:
        return user.center_id is not None and scope.center_id == user.center_id
    if user.role is Role.AGENCY_STAFF:
        return user.agency_id is not None and scope.agency_id == user.agency_id
    return False


async def may_play_call(
    request: web.Request, user: User, call_id: int, center_id: int | None
) -> bool:
    """The playback rule: `may_read` over the call's province and its request's agency
    (looked up only for agency staff, the one role that needs it)."""
    if user.role is not Role.AGENCY_STAFF:
        return may_read(user, Scope(center_id, None))
    scope = await ScopeRepository(request.config_dict[DEPS].pool).of_call(call_id)
    return scope is not None and may_read(user, scope)
