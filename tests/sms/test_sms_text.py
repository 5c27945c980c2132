from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.settings import SettingsError
from samad_ivr.sms.templates import DEFAULT_TRACKING_CODE, TemplateRepository
from samad_ivr.sms.text import (
    TemplateError,
    normalise_reply,
    render_tracking_code,
    sms_parts,
    ucs2_parts,
    validate_template,
)
from samad_ivr.storage.db import Pool

from .conftest import sms_settings

TEHRAN = ZoneInfo("Asia/Tehran")
AT = datetime(2025, 3, 20, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "parts"),
    [("", 1), ("س" * 70, 1), ("س" * 71, 2), ("س" * 134, 2), ("س" * 135, 3),
     ("a" * 160, 1), ("a" * 161, 2), ("€" * 80, 1), ("€" * 81, 2), ("a" * 69 + "س", 1)],
)  # fmt: skip
def test_persian_is_ucs2_with_70_characters_for_one_part_and_67_per_part_when_split(
    text: str, parts: int
) -> None:
    assert ucs2_parts(text) == parts


def test_persian_text_is_detected_as_ucs2_and_latin_as_gsm7() -> None:
    assert sms_parts("سلام").encoding == "ucs2"
    assert sms_parts("Samad 111").encoding == "gsm7"


@given(st.text(max_size=400))
def test_part_counts_never_undercount_the_text(text: str) -> None:
    info = sms_parts(text)
    per_part = (
        (160 if info.parts == 1 else 153)
        if info.encoding == "gsm7"
        else (70 if info.parts == 1 else 67)
    )
    assert info.units <= info.parts * per_part


def test_the_default_template_renders_the_whole_tracking_code_sms() -> None:
    text = render_tracking_code(DEFAULT_TRACKING_CODE, "1234567890", AT, TEHRAN)
    assert text.splitlines()[:3] == ["سامد: درخواست شما ثبت شد.", "کد پیگیری:", "1234567890"]
    assert text.splitlines()[-1] == "پیگیری وضعیت: تماس با ۱۱۱"


def test_the_tracking_code_stands_alone_on_its_line_in_ascii_digits() -> None:
    text = render_tracking_code(DEFAULT_TRACKING_CODE, "1234567890", AT, TEHRAN)
    assert "1234567890" in text.splitlines()
    assert "۱۴۰۳/۱۲/۳۰" in text  # Jalali, the last day of 1403 (a leap year)


@pytest.mark.parametrize(
    "body",
    ["کد: {code}", "{code}\n{name}", "{code!r}\n", "\n{code:>12}\n", "{code}\n{code.__class__}",
     "{code}\n{", "  ", "{code}\n" + "س" * 300],
)  # fmt: skip
def test_bad_admin_templates_are_refused_with_a_reason(body: str) -> None:
    with pytest.raises(TemplateError):
        validate_template("tracking_code", body)


def test_unknown_template_keys_are_refused() -> None:
    with pytest.raises(TemplateError):
        validate_template("marketing", "{code}")


async def test_templates_are_stored_only_when_valid_and_render_from_the_database(
    db_pool: Pool,
) -> None:
    repo = TemplateRepository(db_pool)
    with pytest.raises(TemplateError):
        await repo.save("tracking_code", "no code here", "admin")
    saved = await repo.save("tracking_code", "کد پیگیری شما:\n{code}\n{registered_at}", "admin")
    assert saved.updated_by == "admin"
    render = await repo.tracking_code_renderer(AT, TEHRAN)
    assert render("1234567890").splitlines()[:2] == ["کد پیگیری شما:", "1234567890"]


def test_replies_are_normalised_before_matching() -> None:
    assert normalise_reply("\u200f ۱۱ ") == "11"
    assert normalise_reply("لغو!") == "لغو"
    assert normalise_reply("STOP") == "stop"
    assert normalise_reply("كي") == "کی"


def test_settings_come_from_the_environment_and_refuse_unsafe_combinations() -> None:
    s = sms_settings(provider="kavenegar", kavenegar_api_key="secret-key-123")
    assert s.kavenegar.api_key is not None
    assert "secret-key-123" not in repr(s)
    assert s.daily_cap == 5
    with pytest.raises(SettingsError):
        sms_settings(provider="kavenegar")
    with pytest.raises(SettingsError):
        sms_settings(provider="smpp")
    with pytest.raises(SettingsError):
        sms_settings(callback_token="short")
    with pytest.raises(SettingsError):
        sms_settings(lease_seconds="20", send_timeout_seconds="15")
