"""Admin notifications (`admin_notifications`): the list and marking one as read.

Who sees what is decided in `storage/notification_feed.py`: a superuser sees every row;
a province admin their center's rows and the global ones (which name no center).  A
province admin marks their center's rows as read; global rows only a superuser, since
"read" is one flag shared by everyone.
"""

from __future__ import annotations

from aiohttp import web

from samad_ivr.sms.notifications import AdminNotifications
from samad_ivr.storage.notification_feed import NotificationFeed, Scope
from samad_ivr.web.admin.common import path_int, pool, redirect
from samad_ivr.web.admin.sms_common import Console, console_user, render_console
from samad_ivr.web.security import Role, http_error

PAGE_SIZE = 50
NOTIFICATION_ROLES = (Role.SUPERUSER, Role.PROVINCE_ADMIN)
KIND_NAMES = {
    "four_visits_at_risk": "خطر نرسیدن به چهار حضور",
    "sms_failed": "پیامک فرستاده نشد",
    "sms_daily_cap": "سقف روزانهٔ پیامک یک شماره",
    "sms_daily_ceiling": "سقف روزانهٔ پیامک‌های اطلاع‌رسانی",
    "desk_endpoint_conflict": "میز تلفن متعلق به مرکز دیگر",
    "sms_provider": "درگاه پیامک",
}
NOT_FOUND = "اعلانی با این شناسه پیدا نشد."
GLOBAL_ONLY_SUPERUSER = "اعلان‌های سراسری را فقط مدیر ارشد سامانه خوانده‌شده علامت می‌زند."


def _viewer_center(c: Console) -> int | None:
    """None (every row) for a superuser; a province admin's center id.

    A province admin without a center sees only the global rows (center id 0 names none).
    """
    if c.user.role is Role.SUPERUSER:
        return None
    return c.user.center_id if c.user.center_id is not None else 0


def _page_number(request: web.Request) -> int:
    text = request.query.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < int(text) < 100000 else 1


async def notifications_page(request: web.Request) -> web.Response:
    c = await console_user(request, *NOTIFICATION_ROLES)
    page = _page_number(request)
    feed = await NotificationFeed(pool(request)).page(
        _viewer_center(c), PAGE_SIZE, (page - 1) * PAGE_SIZE
    )
    superuser = c.user.role is Role.SUPERUSER
    rows = [
        {
            "id": n.id,
            "kind": KIND_NAMES.get(n.kind, n.kind),
            "subject": n.subject,
            "body": n.body,
            "created": n.created_at,
            "read_at": n.acknowledged_at,
            "read_by": n.acknowledged_by or "—",
            "global": n.scope is Scope.GLOBAL,
            "can_mark": n.acknowledged_at is None and (superuser or n.scope is Scope.OWN),
        }
        for n in feed.items
    ]
    return render_console(
        request, "admin/notifications.html", c, rows=rows, page=page, has_next=feed.has_next
    )


async def mark_read(request: web.Request) -> web.Response:
    c = await console_user(request, *NOTIFICATION_ROLES)
    notification_id = path_int(request, "notification_id")
    feed = NotificationFeed(pool(request))
    item = await feed.get(_viewer_center(c), notification_id)
    superuser = c.user.role is Role.SUPERUSER
    if item is None or (item.scope is Scope.OTHER and not superuser):
        raise http_error(request, 404, "not_found", NOT_FOUND)
    if item.scope is Scope.GLOBAL and not superuser:
        raise http_error(request, 403, "forbidden_role", GLOBAL_ONLY_SUPERUSER)
    await AdminNotifications(pool(request)).acknowledge(notification_id, c.user.username)
    page = _page_number(request)
    raise redirect("/admin/notifications" + (f"?page={page}" if page > 1 else ""), "read")


def setup_notification_routes(app: web.Application) -> None:
    app.router.add_get("/admin/notifications", notifications_page)
    app.router.add_post("/admin/notifications/{notification_id}/read", mark_read)
