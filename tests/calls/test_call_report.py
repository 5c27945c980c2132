"""Call reports cross a trust boundary (channel variables, spool files): parse strictly."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.calls.report import (
    CHANNEL_FIELDS,
    build_report,
    channel_expression,
    report_from_json,
    split_channel_values,
)


def values(**overrides: str) -> dict[str, str]:
    base = {key: "" for key in CHANNEL_FIELDS}
    base.update(
        linkedid="1795894849.0",
        started_epoch="1795894849",
        answered_epoch="1795894850",
        ended_epoch="1795894899",
        leg="desk",
        dialstatus="ANSWER",
        recording="1795894849.1.wav",
        official_id="7",
    )
    base.update(overrides)
    return base


def test_one_expression_fetches_every_field_in_order() -> None:
    expression = channel_expression()
    assert expression.count("${") == len(CHANNEL_FIELDS)
    assert expression.startswith("${CHANNEL(linkedid)}|${SAMAD_STARTED}")


def test_values_containing_the_separator_are_all_discarded() -> None:
    joined = "|".join(["a|b"] + [""] * (len(CHANNEL_FIELDS) - 1))
    assert split_channel_values(joined) == {}
    assert split_channel_values(None) == {}


def test_a_valid_report_keeps_its_facts() -> None:
    report = build_report(
        uniqueid="1795894849.1",
        caller_raw="09181234567",
        caller_name_raw="x",
        values=values(),
        source="fastagi",
    )
    assert report.started_at == datetime.fromtimestamp(1795894849, tz=UTC)
    assert report.leg == "desk"
    assert report.official_id == 7
    assert report.recording == "1795894849.1.wav"


@pytest.mark.parametrize(
    ("field", "hostile"),
    [
        ("recording", "../../etc/passwd.wav"),
        ("message", "a b.wav"),
        ("leg", "desk;rm"),
        ("official_id", "7 OR 1=1"),
        ("started_epoch", "99999999999999"),
        ("member_interface", "Local/x\nAction: Originate"),
    ],
)
def test_hostile_values_become_empty(field: str, hostile: str) -> None:
    report = build_report(
        uniqueid="1.2",
        caller_raw="",
        caller_name_raw="",
        values=values(**{field: hostile}),
        source="fastagi",
    )
    assert getattr(report, {"started_epoch": "started_at"}.get(field, field)) in (None, "")


def test_a_bad_unique_id_is_refused() -> None:
    with pytest.raises(ValueError, match="unique id"):
        build_report(uniqueid="../x", caller_raw="", caller_name_raw="", values={}, source="x")


def test_a_report_survives_the_spool_round_trip() -> None:
    report = build_report(
        uniqueid="1795894849.1",
        caller_raw='"\\evil\n',
        caller_name_raw="نام",
        values=values(message="1795894849.1-message.wav"),
        source="fastagi",
    )
    assert report_from_json(report.to_json()) == report


def test_the_fallback_scripts_format_is_read() -> None:
    spooled = values(message="1.2-message.wav", leg="fallback")
    spooled.update(
        version=1, source="fallback", uniqueid="1.2", caller_raw="0918", caller_name_raw=""
    )  # type: ignore[arg-type]
    report = report_from_json(json.dumps(spooled))
    assert report.source == "fallback"
    assert report.leg == "fallback"
    assert report.answered_at == datetime.fromtimestamp(1795894850, tz=UTC)


@given(st.text(max_size=300))
def test_garbage_spool_files_raise_value_error_only(text: str) -> None:
    with contextlib.suppress(ValueError):
        report_from_json(text)
