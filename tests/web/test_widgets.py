"""What every console's pages share: the date picker's files and the `phone` filter."""

from __future__ import annotations

import jinja2
from markupsafe import Markup

from samad_ivr.web.widgets import phone_html

from .conftest import Client


async def test_every_page_loads_the_date_picker_and_its_files_are_served(
    web_client: Client,
) -> None:
    login = await (await web_client.get("/login")).text()
    for path in (
        "/vendor/jalalidatepicker/jalalidatepicker.min.js",
        "/vendor/jalalidatepicker/jalalidatepicker.min.css",
        "/static/datepicker.js",
    ):
        assert path in login
        response = await web_client.get(path)
        assert response.status == 200, path
    script = await (await web_client.get("/static/datepicker.js")).text()
    assert "data-jdp" in script  # the convention other consoles follow is written down


def test_the_phone_filter_wraps_the_national_form_left_to_right() -> None:
    assert phone_html("+989181234567") == Markup('<bdi class="phone" dir="ltr">۰۹۱۸ ۱۲۳ ۴۵۶۷</bdi>')


def test_the_phone_filter_escapes_caller_id_that_is_not_a_number() -> None:
    env = jinja2.Environment(autoescape=True)
    env.filters["phone"] = phone_html
    html = env.from_string("{{ raw|phone }}").render(raw='<script>"1"</script>')
    assert html == '<bdi class="phone" dir="ltr">&lt;script&gt;&#34;۱&#34;&lt;/script&gt;</bdi>'
