"""Softphone settings: off by default, strict when on."""

from __future__ import annotations

from pathlib import Path

import pytest

from samad_ivr.settings import SettingsError
from samad_ivr.softphone.settings import SoftphoneSettings

ON = {"SAMAD_WEBRTC_WS_URL": "wss://pbx.example.org:8089/ws", "SAMAD_WEBRTC_SECRET": "x" * 32}


def test_the_softphone_is_off_unless_a_websocket_url_is_set() -> None:
    settings = SoftphoneSettings.from_env({})
    assert not settings.enabled
    assert settings.desks_file is None


def test_an_enabled_softphone_takes_its_domain_from_the_url() -> None:
    settings = SoftphoneSettings.from_env({**ON, "SAMAD_PJSIP_DESKS_FILE": "/etc/x.conf"})
    assert settings.enabled
    assert settings.sip_domain == "pbx.example.org"
    assert settings.prefix == "samad-web-"
    assert settings.desks_file == Path("/etc/x.conf")
    assert "x" * 32 not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({**ON, "SAMAD_WEBRTC_WS_URL": "https://pbx/ws"}, "ws:// or wss://"),
        ({**ON, "SAMAD_WEBRTC_SECRET": "short"}, "at least 32"),
        ({**ON, "SAMAD_WEBRTC_PREFIX": "Web"}, "SAMAD_WEBRTC_PREFIX"),
        ({**ON, "SAMAD_WEBRTC_ICE_SERVERS": "stun:ok.example:3478, http://x"}, "STUN/TURN"),
    ],
)
def test_bad_softphone_settings_are_refused_with_the_variable_named(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        SoftphoneSettings.from_env(env)


def test_ice_servers_are_a_comma_separated_list() -> None:
    env = {**ON, "SAMAD_WEBRTC_ICE_SERVERS": "stun:stun.example:3478, turns:turn.example:5349"}
    settings = SoftphoneSettings.from_env(env)
    assert settings.ice_servers == ("stun:stun.example:3478", "turns:turn.example:5349")
