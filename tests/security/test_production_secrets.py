"""Item 7 of issue 15: development secrets never run where others can reach the service."""

from __future__ import annotations

import socket

import pytest

from samad_ivr.__main__ import main
from samad_ivr.settings import Settings
from samad_ivr.startup_checks import UnsafeStartup, startup_problems

SAFE = {
    "SAMAD_AMI_SECRET": "a-real-ami-secret-0123456789",
    "SAMAD_SMS_PROVIDER": "kannel",
    "SAMAD_SMS_CALLBACK_TOKEN": "t" * 24,
    "SAMAD_SMS_KANNEL_PASSWORD": "a-real-kannel-password",
    "SAMAD_WEB_SECRET": "w" * 40,
    "SAMAD_WEB_SECURE_COOKIES": "1",
}


def problems(env: dict[str, str]) -> list[str]:
    return startup_problems(Settings.from_env(env))


def test_loopback_development_defaults_start() -> None:
    assert problems({}) == []


def test_every_development_default_is_named_on_a_public_web_bind() -> None:
    found = problems({"SAMAD_WEB_BIND": "0.0.0.0:8080", "SAMAD_SMS_PROVIDER": "kannel",
                      "SAMAD_SMS_CALLBACK_TOKEN": "t" * 24})  # fmt: skip
    text = "\n".join(found)
    assert len(found) == 4, found
    for name in ("SAMAD_AMI_SECRET", "SAMAD_SMS_KANNEL_PASSWORD", "SAMAD_WEB_SECRET",
                 "SAMAD_WEB_SECURE_COOKIES"):  # fmt: skip
        assert name in text
    assert "0.0.0.0:8080" in text  # says why the check applies


def test_a_public_fastagi_bind_alone_makes_the_checks_apply() -> None:
    found = problems({"SAMAD_AGI_BIND": "10.1.2.3:4573"})
    assert any("SAMAD_AMI_SECRET" in p for p in found)


def test_production_env_makes_the_checks_apply_even_on_loopback() -> None:
    found = problems({"SAMAD_ENV": "production"})
    assert any("SAMAD_WEB_SECRET" in p for p in found)
    assert any("SAMAD_ENV=production" in p for p in found)


def test_a_configured_public_service_starts() -> None:
    assert problems({**SAFE, "SAMAD_ENV": "production", "SAMAD_WEB_BIND": "0.0.0.0:8080"}) == []


def test_secrets_never_appear_in_the_problems() -> None:
    found = problems({"SAMAD_ENV": "production", "SAMAD_AMI_SECRET": "samad-dev-secret"})
    assert all("samad-dev-secret" not in p for p in found)


def test_serve_refuses_before_anything_listens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    monkeypatch.setenv("SAMAD_ENV", "production")
    monkeypatch.setenv("SAMAD_WEB_BIND", f"127.0.0.1:{free}")
    monkeypatch.setenv("SAMAD_AGI_BIND", "127.0.0.1:0")
    monkeypatch.delenv("SAMAD_WEB_SECRET", raising=False)

    def no_serve(*_: object) -> None:  # reached only if the check let it through
        raise AssertionError("serve() was called")

    monkeypatch.setattr("samad_ivr.app.serve", no_serve)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "SAMAD_WEB_SECRET" in err
    assert "SAMAD_AMI_SECRET" in err
    with socket.socket() as client:
        assert client.connect_ex(("127.0.0.1", free)) != 0  # nothing is listening


async def test_service_start_refuses_unsafe_settings() -> None:
    from samad_ivr.app import Service

    service = Service(Settings.from_env({"SAMAD_WEB_BIND": "0.0.0.0:0"}))
    with pytest.raises(UnsafeStartup) as caught:
        await service.start()
    assert "SAMAD_AMI_SECRET" in str(caught.value)
    assert service.agi is None
