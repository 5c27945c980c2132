"""A superuser creates a province's center: GET /admin/centers/new, POST /admin/centers.

The form takes code, Persian name, time zone, duty window, weekend days (Persian week
order) and queue; a bad field shows the form again with a Persian message (422) and
what was typed.  On success the page says what was made and whether Asterisk has the
center's queue (SAMAD_QUEUES_FILE written and app_queue reloaded over the service's AMI
connection), or shows the exact lines to add.  CSRF is checked by the security
middleware; the creation is audited (center_create).
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp_jinja2
from aiohttp import web

from samad_ivr.admin.jalali import WEEKDAY_NAMES, InputError, normalise
from samad_ivr.admin.new_center import DEFAULT_TIMEZONE, PERSIAN_WEEK, parse_new_center
from samad_ivr.ami.queue_config import apply_queue_config
from samad_ivr.softphone.sync import Reloader
from samad_ivr.storage.accounts import Role
from samad_ivr.storage.audit import Actor
from samad_ivr.storage.centers import CenterExists, CenterRepository
from samad_ivr.web.admin.common import deps, pool
from samad_ivr.web.security import User, require_user

# The service's AMI connection, when the app runs inside `samad-ivr serve`.
QUEUE_RELOADER = web.AppKey("queue_reloader", Reloader)
_DEFAULTS = {"timezone": DEFAULT_TIMEZONE, "duty_start": "09:00", "duty_end": "11:00"}


def _page(
    request: web.Request, user: User, template: str, status: int = 200, **values: object
) -> web.Response:
    context = {"user": user, "errors": [], "notice": None, **values}
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def _form(
    request: web.Request, user: User, form: dict[str, str], weekend: set[int],
    errors: list[str] | None = None, status: int = 200,
) -> web.Response:  # fmt: skip
    days = [(n, WEEKDAY_NAMES[i], n in weekend) for i, n in enumerate(PERSIAN_WEEK)]
    return _page(
        request, user, "admin/center_new.html", status, form=form, weekdays=days,
        errors=errors or [],
    )  # fmt: skip


async def new_center_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.SUPERUSER)
    return _form(request, user, dict(_DEFAULTS), {4})


async def create_center(request: web.Request) -> web.Response:
    user = require_user(request, Role.SUPERUSER)
    posted = await request.post()
    form = {k: v for k, v in posted.items() if isinstance(v, str) and k != "_csrf"}
    weekend_raw = [v for v in posted.getall("weekend", []) if isinstance(v, str)]
    chosen = {int(t) for v in weekend_raw if (t := normalise(v)).isdigit() and int(t) < 7}
    try:
        new = parse_new_center(form, weekend_raw)
        centers = CenterRepository(pool(request))
        center_id = await centers.create(new, Actor(user.id, user.username))
    except InputError as exc:
        return _form(request, user, form, chosen, [str(exc)], 422)
    except CenterExists as exc:
        return _form(request, user, form, chosen, [exc.message_fa], 409)
    result = await apply_queue_config(
        await centers.queue_names(), deps(request).settings.queues_file,
        request.config_dict.get(QUEUE_RELOADER),
    )  # fmt: skip
    return _page(
        request, user, "admin/center_created.html", 201, created=new, center_id=center_id,
        queue=result,
    )  # fmt: skip


def queue_reloader_feature(reloader: Reloader) -> Callable[[web.Application], None]:
    """For `samad-ivr serve`: the console reloads app_queue over the service's AMI."""

    def setup(app: web.Application) -> None:
        app[QUEUE_RELOADER] = reloader

    return setup


def setup_new_center_routes(app: web.Application) -> None:
    app.router.add_get("/admin/centers/new", new_center_page)
    app.router.add_post("/admin/centers", create_center)
