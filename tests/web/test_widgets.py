"""What every console's pages share: the `phone` filter."""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from samad_ivr.web.widgets import phone_html


def test_the_phone_filter_wraps_the_national_form_left_to_right() -> None:
    assert phone_html("+989181234567") == Markup('<bdi class="phone" dir="ltr">۰۹۱۸ ۱۲۳ ۴۵۶۷</bdi>')


def test_the_phone_filter_escapes_caller_id_that_is_not_a_number() -> None:
    env = jinja2.Environment(autoescape=True)
    env.filters["phone"] = phone_html
    html = env.from_string("{{ raw|phone }}").render(raw='<script>"1"</script>')
    assert html == '<bdi class="phone" dir="ltr">&lt;script&gt;&#34;۱&#34;&lt;/script&gt;</bdi>'
