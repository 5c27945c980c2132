"""What the pages of every console share beyond the base template.

- The `phone` template filter: ``{{ call.caller_e164|phone }}`` shows a number the way
  people in Iran read it (``۰۹۱۸ ۱۲۳ ۴۵۶۷``, samad_ivr.domain.phone.display_phone) in a
  left-to-right ``<bdi>``, so the right-to-left page does not reorder its groups.
"""

from __future__ import annotations

import jinja2
from aiohttp import web
from markupsafe import Markup

from samad_ivr.domain.phone import display_phone


def phone_html(number: str | None) -> Markup:
    """``number`` for a page: national format, Persian digits, isolated left to right."""
    return Markup('<bdi class="phone" dir="ltr">{}</bdi>').format(display_phone(number))


def setup_widgets(_app: web.Application, env: jinja2.Environment) -> None:
    env.filters["phone"] = phone_html
