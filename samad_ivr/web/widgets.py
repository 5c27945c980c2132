"""What the pages of every console share beyond the base template.

- The `phone` template filter: ``{{ call.caller_e164|phone }}`` shows a number the way
  people in Iran read it (``۰۹۱۸ ۱۲۳ ۴۵۶۷``, samad_ivr.domain.phone.display_phone) in a
  left-to-right ``<bdi>``, so the right-to-left page does not reorder its groups.
- The Jalali date picker: `/vendor/jalalidatepicker/…` serves the npm package
  @majidh1/jalalidatepicker (installed by scripts/bootstrap.sh, like SIP.js), and
  static/datepicker.js, included by base.html, opens it on every ``<input data-jdp>``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2
from aiohttp import web
from markupsafe import Markup

from samad_ivr.domain.phone import display_phone

log = logging.getLogger(__name__)

DATEPICKER_DIR = (
    Path(__file__).parent / "vendor" / "node_modules" / "@majidh1" / "jalalidatepicker" / "dist"
)
DATEPICKER_PREFIX = "/vendor/jalalidatepicker"


def phone_html(number: str | None) -> Markup:
    """``number`` for a page: national format, Persian digits, isolated left to right."""
    return Markup('<bdi class="phone" dir="ltr">{}</bdi>').format(display_phone(number))


def setup_widgets(app: web.Application, env: jinja2.Environment) -> None:
    env.filters["phone"] = phone_html
    if not DATEPICKER_DIR.is_dir():
        # Date fields then stay plain text fields; typing a date still works.
        log.error("date picker: %s is missing; run scripts/bootstrap.sh", DATEPICKER_DIR)
        return
    app.router.add_static(DATEPICKER_PREFIX, DATEPICKER_DIR, append_version=False)
