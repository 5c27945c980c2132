"""/national/listen-endpoint: the phone a live listen-in rings.

National listeners and superusers set their own; a superuser also sets anyone's
(POST /national/listen-endpoint/{user_id}).  The endpoint becomes the Channel of an AMI
Originate, so it is checked with `valid_listen_endpoint` (technology/resource, as desk
endpoints are) and refused with a Persian message otherwise.  Forms carry the CSRF token
(the security middleware refuses them without it).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from samad_ivr.admin.jalali import normalise
from samad_ivr.national.listen import allowed_endpoint
from samad_ivr.storage.listen_audit import ListenerEndpoint, valid_listen_endpoint
from samad_ivr.web.admin.common import form_fields
from samad_ivr.web.app import DEPS
from samad_ivr.web.national.common import AUDIT, not_found, path_id, render
from samad_ivr.web.national.listen import LISTEN_ROLES
from samad_ivr.web.security import Role, User, require_user

PAGE = "/national/listen-endpoint"
OWN_ROLES = (Role.NATIONAL_LISTENER, Role.SUPERUSER)
MAX_LENGTH = 120
INVALID = (
    "نقطهٔ شنود نامعتبر است. آن را به شکل «فناوری/نام» بنویسید، مثلاً PJSIP/listener-1 "
    "یا Local/1001@samad-listeners (فناوری: PJSIP، SIP، IAX2 یا Local؛ "
    "فقط حروف لاتین، رقم و _ . @ + -)."
)
NOT_ALLOWED = (
    "این تلفن در فهرست تلفن‌های مجاز شنود نیست؛ فقط تلفن‌های خود شنوندگان که مدیر سامانه "
    "در SAMAD_LISTEN_ENDPOINTS ثبت کرده پذیرفته می‌شوند."
)
SAVED = "نقطهٔ شنود ذخیره شد؛ شنود زندهٔ بعدی همین تلفن را زنگ می‌زند."
ROLE_NAMES = {
    Role.SUPERUSER.value: "مدیر کل",
    Role.NATIONAL_LISTENER.value: "شنود ملی",
    Role.PROVINCE_ADMIN.value: "مدیر استان",
}


def parse_endpoint(raw: str, allow: Sequence[str]) -> tuple[str, str | None]:
    """The endpoint as typed (Persian digits made ASCII) and a Persian error, if any."""
    endpoint = normalise(raw)
    if not endpoint or len(endpoint) > MAX_LENGTH or not valid_listen_endpoint(endpoint):
        return endpoint, INVALID
    if not allowed_endpoint(endpoint, allow):
        return endpoint, NOT_ALLOWED
    return endpoint, None


async def _one(request: web.Request, user_id: int) -> ListenerEndpoint | None:
    found = await request.config_dict[AUDIT].listener_endpoints(user_id=user_id)
    return found[0] if found else None


async def _page(
    request: web.Request,
    user: User,
    *,
    errors: list[str] | None = None,
    typed: tuple[int, str] | None = None,
) -> web.Response:
    """The page; after a refused form, `typed` is (whose, what they typed) to show again."""
    audit = request.config_dict[AUDIT]
    own = await _one(request, user.id)
    others: list[ListenerEndpoint] = []
    if user.role is Role.SUPERUSER:
        others = await audit.listener_endpoints(roles=[r.value for r in LISTEN_ROLES])
    response = render(
        request, "national/listen_endpoint.html", user,
        own=own, others=others, typed=typed or (0, ""), role_names=ROLE_NAMES,
        errors=errors or [],
        notice=SAVED if request.query.get("done") == "saved" else None,
    )  # fmt: skip
    if errors:
        response.set_status(422)
    return response


async def endpoint_page(request: web.Request) -> web.Response:
    return await _page(request, require_user(request, *OWN_ROLES))


async def _save(request: web.Request, user: User, target: ListenerEndpoint) -> web.Response:
    allow = request.config_dict[DEPS].settings.listen_endpoints
    endpoint, error = parse_endpoint((await form_fields(request)).get("endpoint", ""), allow)
    if error is not None:
        if target.user_id != user.id:
            error = f"{target.username}: {error}"
        return await _page(request, user, errors=[error], typed=(target.user_id, endpoint))
    await request.config_dict[AUDIT].set_listen_endpoint(target.user_id, endpoint)
    raise web.HTTPSeeOther(f"{PAGE}?done=saved")


async def set_own_endpoint(request: web.Request) -> web.Response:
    user = require_user(request, *OWN_ROLES)
    own = await _one(request, user.id)
    if own is None:  # deactivated between the session check and now
        raise not_found(request)
    return await _save(request, user, own)


async def set_user_endpoint(request: web.Request) -> web.Response:
    user = require_user(request, Role.SUPERUSER)
    target = await _one(request, path_id(request, "user_id"))
    if target is None:
        raise not_found(request)
    return await _save(request, user, target)


def setup_listen_endpoint(app: web.Application) -> None:
    app.router.add_get(PAGE, endpoint_page)
    app.router.add_post(PAGE, set_own_endpoint)
    app.router.add_post(PAGE + r"/{user_id:\d+}", set_user_endpoint)
