"""Only the files our dialplan names for a call can reach intake (issue 15, item 6/8)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from samad_ivr.calls.report import CHANNEL_FIELDS, build_report, report_from_json

UNIQUEID = "1795894849.1"


def report_with(**values: str) -> tuple[str | None, str | None]:
    base = {key: "" for key in CHANNEL_FIELDS}
    base.update(values)
    report = build_report(
        uniqueid=UNIQUEID, caller_raw="", caller_name_raw="", values=base, source="fastagi"
    )
    return report.recording, report.message


def test_the_dialplans_own_file_names_for_the_call_are_kept() -> None:
    assert report_with(recording=f"{UNIQUEID}.wav", message=f"{UNIQUEID}-message.wav") == (
        f"{UNIQUEID}.wav",
        f"{UNIQUEID}-message.wav",
    )


@pytest.mark.parametrize(
    "forged",
    [
        "1795894849.2.wav",  # another call's recording
        "1795894849.1-message.wav",  # this call's message named as its recording
        "prompt.wav",
        f"{UNIQUEID}.wav\n",
    ],
)
def test_a_recording_named_for_another_file_is_dropped(forged: str) -> None:
    assert report_with(recording=forged) == (None, None)


@pytest.mark.parametrize("forged", ["1795894849.2-message.wav", f"{UNIQUEID}.wav", "x.wav"])
def test_a_message_named_for_another_file_is_dropped(forged: str) -> None:
    assert report_with(message=forged) == (None, None)


def test_a_unique_id_with_a_trailing_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="unique id"):
        build_report(
            uniqueid=UNIQUEID + "\n", caller_raw="", caller_name_raw="", values={}, source="x"
        )


@pytest.mark.parametrize("field", ["leg", "stage", "route", "center", "linkedid"])
def test_word_fields_with_a_trailing_newline_are_dropped(field: str) -> None:
    base = {key: "" for key in CHANNEL_FIELDS}
    base[field] = "desk\n" if field == "leg" else "abc\n"
    report = build_report(uniqueid=UNIQUEID, caller_raw="", caller_name_raw="", values=base,
                          source="fastagi")  # fmt: skip
    assert getattr(report, field) in (None, "")


def test_a_spool_file_cannot_name_another_calls_recording() -> None:
    spooled = (
        '{"version": 1, "uniqueid": "1.2", "recording": "1.3.wav", "message": "1.3-message.wav"}'
    )
    report = report_from_json(spooled)
    assert (report.recording, report.message) == (None, None)


@given(st.text(max_size=120))
def test_no_name_but_the_calls_own_ever_survives(name: str) -> None:
    recording, message = report_with(recording=name, message=name)
    assert recording in (None, f"{UNIQUEID}.wav")
    assert message in (None, f"{UNIQUEID}-message.wav")
