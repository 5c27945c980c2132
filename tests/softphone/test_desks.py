"""Which desks are browser softphones, their derived passwords, and the PJSIP text."""

from __future__ import annotations

import pytest

from samad_ivr.softphone.desks import browser_desk, desk_password, render_desks

SECRET = "s" * 40


@pytest.mark.parametrize(
    ("endpoint", "name"),
    [
        ("PJSIP/samad-web-7", "samad-web-7"),
        ("PJSIP/samad-web-desk.hamedan_1", "samad-web-desk.hamedan_1"),
        ("PJSIP/desk-7", None),  # a hardware phone: configured by the PBX admin
        ("SIP/samad-web-7", None),
        ("Local/answer@samad-test-desk", None),
        ("PJSIP/samad-web-7]\n[evil", None),
        ("PJSIP/samad-web-x;password=1", None),
        ("PJSIP/samad-web-" + "x" * 60, None),
    ],
)
def test_only_pjsip_endpoints_with_the_prefix_and_a_plain_name_are_browser_desks(
    endpoint: str, name: str | None
) -> None:
    assert browser_desk(endpoint, "samad-web-") == name


def test_the_password_depends_on_the_secret_and_the_desk_only() -> None:
    one = desk_password(SECRET, "samad-web-1")
    assert one == desk_password(SECRET, "samad-web-1")
    assert one != desk_password(SECRET, "samad-web-2")
    assert one != desk_password("t" * 40, "samad-web-1")
    assert len(one) == 24
    assert one.isascii()


def test_rendered_config_has_auth_aor_and_endpoint_per_desk_in_a_stable_order() -> None:
    text = render_desks(["samad-web-2", "samad-web-1", "samad-web-2"], SECRET)
    assert text == render_desks(["samad-web-1", "samad-web-2"], SECRET)
    assert text.count("[samad-web-1](samad-webrtc-auth)") == 1
    assert "[samad-web-1](samad-webrtc-aor)" in text
    assert "[samad-web-1](samad-webrtc-desk)\nauth = samad-web-1\naors = samad-web-1\n" in text
    assert f"password = {desk_password(SECRET, 'samad-web-2')}" in text
    assert text.index("samad-web-1") < text.index("samad-web-2")


def test_a_name_that_could_break_the_config_is_refused() -> None:
    with pytest.raises(ValueError, match="not a desk name"):
        render_desks(["ok", "bad]\n[global"], SECRET)


def test_no_desks_render_only_the_header() -> None:
    assert "[" not in render_desks([], SECRET)
