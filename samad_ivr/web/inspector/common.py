"""What the inspector console's views share: who may look and who may act, the
long-lived repositories as typed AppKeys, input parsing, and rendering.

Rights (issue 11): an inspector sees and acts on the requests of their own province;
the province admin of that province sees them too and may (re)assign, as everywhere
else; national roles (superuser, national listener) see every province and choose one.
Only inspectors record visits and decide outcomes: the decision is theirs by regulation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from persiantools import characters

from samad_ivr.admin.jalali import InputError, fa_digits, normalise
from samad_ivr.storage.casefile import CaseFileRepository
from samad_ivr.storage.inspection import InspectionRepository
from samad_ivr.storage.lifecycle import RequestLifecycle
from samad_ivr.web.paths import path_int
from samad_ivr.web.security import Role, User, http_error, require_user

__all__ = [
    "ACT_ROLES",
    "ASSIGN_ROLES",
    "CASEFILES",
    "CLOCK",
    "INSPECTION",
    "LIFECYCLE",
    "VIEW_ROLES",
    "form_int",
    "form_text",
    "free_text",
    "may_act",
    "may_assign",
    "now",
    "path_id",
    "render",
    "viewer",
]

VIEW_ROLES = (Role.INSPECTOR, Role.PROVINCE_ADMIN, Role.SUPERUSER, Role.NATIONAL_LISTENER)
ACT_ROLES = (Role.INSPECTOR,)
ASSIGN_ROLES = (Role.INSPECTOR, Role.PROVINCE_ADMIN)
NOT_FOUND = "درخواستی با این مشخصات پیدا نشد."

INSPECTION = web.AppKey("inspector_inspection", InspectionRepository)
LIFECYCLE = web.AppKey("inspector_lifecycle", RequestLifecycle)
CASEFILES = web.AppKey("inspector_casefiles", CaseFileRepository)
# The console's clock (tests pass a fixed one); always an aware UTC instant.
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("inspector_clock")

_INT_RE = re.compile(r"[0-9]{1,9}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def now(request: web.Request) -> datetime:
    clock = request.config_dict.get(CLOCK)
    return clock() if clock is not None else datetime.now(UTC)


def viewer(request: web.Request, center_id: int | None = None) -> User:
    """A user who may read the inspector console (of `center_id`, when given)."""
    user = require_user(request, *VIEW_ROLES)
    if center_id is not None:
        require_user(request, center_id=center_id)
    return user


def may_act(user: User, center_id: int | None) -> bool:
    return user.role in ACT_ROLES and center_id is not None and user.center_id == center_id


def may_assign(user: User, center_id: int | None) -> bool:
    return user.role in ASSIGN_ROLES and center_id is not None and user.center_id == center_id


def not_found(request: web.Request) -> web.HTTPException:
    return http_error(request, 404, "not_found", NOT_FOUND)


def path_id(request: web.Request, name: str) -> int:
    return path_int(request, name, not_found)


def free_text(raw: object) -> str:
    """What a person wrote, kept as written (Persian digits stay) but with Arabic ي/ك as
    Persian letters, line ends unified and control characters (NUL included, which
    PostgreSQL refuses) dropped."""
    if not isinstance(raw, str):
        return ""
    text = str(characters.ar_to_fa(raw.replace("\r\n", "\n")))
    return _CONTROL_RE.sub("", text).strip()


def form_text(values: Any, name: str, *, label: str, required: bool, limit: int) -> str:
    """A free-text field (see `free_text`), required or not, at most `limit` characters."""
    text = free_text(values.get(name, ""))
    if required and not text:
        raise InputError(f"«{label}» را بنویسید.")
    if len(text) > limit:
        raise InputError(f"«{label}» بیش از {fa_digits(limit)} نویسه است.")
    return text


def form_int(values: Any, name: str, *, label: str, low: int, high: int) -> int | None:
    """An integer field typed in any digits; None when empty."""
    raw = values.get(name)
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = normalise(raw) if isinstance(raw, str) else ""
        if not text:
            return None
        if not _INT_RE.fullmatch(text):
            raise InputError(f"«{label}» باید عدد باشد.")
        value = int(text)
    if not low <= value <= high:
        raise InputError(f"«{label}» باید بین {fa_digits(low)} و {fa_digits(high)} باشد.")
    return value


def render(
    request: web.Request, template: str, user: User, *, status: int = 200, **values: Any
) -> web.Response:
    context: dict[str, Any] = {
        "user": user, "fa": fa_digits, "errors": [], "notice": None, **values,
    }  # fmt: skip
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    return response
