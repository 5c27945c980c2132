"""Which desks are browser softphones, and the PJSIP text of their credentials."""

from __future__ import annotations

import pytest

from samad_ivr.softphone.desks import browser_desk, render_desks
from samad_ivr.storage.desk_credentials import REALM, DeskCredential


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


def test_rendered_config_has_auth_aor_and_endpoint_per_desk_in_a_stable_order() -> None:
    one, two = (DeskCredential(f"samad-web-{n}", REALM, f"{n}" * 32) for n in (1, 2))
    text = render_desks([two, one, two])
    assert text == render_desks([one, two])
    assert text.count("[samad-web-1](samad-webrtc-auth)") == 1
    assert "[samad-web-1](samad-webrtc-aor)" in text
    assert "[samad-web-1](samad-webrtc-desk)\nauth = samad-web-1\naors = samad-web-1\n" in text
    assert f"md5_cred = {'2' * 32}" in text
    assert text.index("samad-web-1") < text.index("samad-web-2")


def test_no_desks_render_only_the_header() -> None:
    assert "[" not in render_desks([])
