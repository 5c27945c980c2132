from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from persiantools.digits import to_word

from samad_ivr.audio.prompts import read_manifest
from samad_ivr.domain.errors import DomainError, NaiveInstant
from samad_ivr.domain.spoken import (
    AND,
    SPOKEN_WORDS,
    NotSpeakable,
    digit_prompts,
    format_jalali,
    format_jalali_date,
    jalali_date_prompts,
    number_prompts,
    queue_position_prompts,
    time_prompts,
    who_answers_prompts,
)

TEHRAN = ZoneInfo("Asia/Tehran")
MANIFEST = Path(__file__).resolve().parents[2] / "recordings" / "manifest.tsv"
ZWNJ = "\u200c"
# Built from code points so the expected text does not depend on persiantools.
PERSIAN_DIGITS = str.maketrans("0123456789", "".join(chr(0x06F0 + d) for d in range(10)))


def fa(text: str) -> str:
    return text.translate(PERSIAN_DIGITS)


def spoken(prompts: list[str]) -> str:
    return " ".join(SPOKEN_WORDS[name] for name in prompts)


def persiantools_reading(n: int) -> str:
    """persiantools' wording, brought to the spoken register the prompts use."""
    # persiantools writes the formal "یکصد" and "یک هزار"; callers hear "صد" and "هزار".
    text = re.sub(r"\bیکصد\b", "صد", to_word(n))
    text = re.sub(r"^یک هزار", "هزار", text)
    return " ".join(text.replace(ZWNJ, " ").split())


def test_manifest_names_cover_every_required_prompt_and_nothing_else() -> None:
    expected = {f"digits/{n}" for n in range(21)}
    expected |= {f"digits/{n}" for n in range(30, 100, 10)}
    expected |= {f"digits/{n}" for n in range(100, 1000, 100)}
    expected |= {"digits/1000", "digits/and", "time/hour", "time/minute"}
    expected |= {f"months/{n}" for n in range(1, 13)}
    expected |= {f"weekdays/{n}" for n in range(7)}
    assert set(SPOKEN_WORDS) == expected


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("digits/0", "صفر"),
        ("digits/15", "پانزده"),
        ("digits/16", "شانزده"),
        ("digits/18", "هجده"),
        ("digits/60", "شصت"),
        ("digits/100", "صد"),
        ("digits/200", "دویست"),
        ("digits/500", "پانصد"),
        ("digits/1000", "هزار"),
        ("digits/and", "و"),
        ("months/1", "فروردین"),
        ("months/9", "آذر"),
        ("months/12", "اسفند"),
        ("weekdays/0", "دوشنبه"),
        ("weekdays/1", f"سه{ZWNJ}شنبه"),
        ("weekdays/3", "پنجشنبه"),
        ("weekdays/4", "جمعه"),
        ("weekdays/5", "شنبه"),
        ("time/hour", "ساعت"),
        ("time/minute", "دقیقه"),
    ],
)
def test_manifest_spells_words_in_standard_persian(name: str, word: str) -> None:
    assert SPOKEN_WORDS[name] == word


def test_manifest_cannot_be_modified_at_runtime() -> None:
    with pytest.raises(TypeError):
        SPOKEN_WORDS["digits/0"] = "zero"  # type: ignore[index]


@pytest.mark.parametrize(
    ("n", "prompts"),
    [
        (0, ["digits/0"]),
        (7, ["digits/7"]),
        (20, ["digits/20"]),
        (21, ["digits/20", AND, "digits/1"]),
        (100, ["digits/100"]),
        (225, ["digits/200", AND, "digits/20", AND, "digits/5"]),
        (1000, ["digits/1000"]),
        (1405, ["digits/1000", AND, "digits/400", AND, "digits/5"]),
        (2000, ["digits/2", "digits/1000"]),
        (2019, ["digits/2", "digits/1000", AND, "digits/19"]),
        (9999, ["digits/9", "digits/1000", AND, "digits/900", AND, "digits/90", AND, "digits/9"]),
    ],
)
def test_numbers_follow_persian_grammar(n: int, prompts: list[str]) -> None:
    assert number_prompts(n) == prompts


def test_every_number_to_9999_reads_like_persiantools() -> None:
    for n in range(10_000):
        assert spoken(number_prompts(n)) == persiantools_reading(n), n


@pytest.mark.parametrize("n", [-1, 10_000, True])
def test_numbers_outside_the_recorded_range_are_not_speakable(n: int) -> None:
    with pytest.raises(DomainError):
        number_prompts(n)


def test_codes_are_read_digit_by_digit() -> None:
    assert digit_prompts("1405") == ["digits/1", "digits/4", "digits/0", "digits/5"]
    assert digit_prompts("007") == ["digits/0", "digits/0", "digits/7"]


@pytest.mark.parametrize("code", ["", "12a", fa("12"), "1 2", "12\n", "²"])
def test_digit_reading_refuses_anything_but_ascii_digits(code: str) -> None:
    with pytest.raises(DomainError):
        digit_prompts(code)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_every_date_prompt_is_in_the_manifest(day: date) -> None:
    assert all(name in SPOKEN_WORDS for name in jalali_date_prompts(day))


def test_leap_day_1403_12_30_is_read_as_thursday_thirty_esfand() -> None:
    assert spoken(jalali_date_prompts(date(2025, 3, 20))) == "پنجشنبه سی اسفند هزار و چهارصد و سه"


def test_nowruz_1404_01_01_is_read_as_friday_one_farvardin() -> None:
    assert spoken(jalali_date_prompts(date(2025, 3, 21))) == "جمعه یک فروردین هزار و چهارصد و چهار"


def test_date_prompts_use_month_and_weekday_names() -> None:
    assert jalali_date_prompts(date(2026, 11, 28)) == [
        "weekdays/5",
        "digits/7",
        "months/9",
        "digits/1000",
        AND,
        "digits/400",
        AND,
        "digits/5",
    ]


def test_on_the_hour_is_read_without_minutes() -> None:
    assert time_prompts(time(9)) == ["time/hour", "digits/9"]
    assert spoken(time_prompts(time(9))) == "ساعت نه"


def test_half_past_ten_is_read_with_minutes() -> None:
    assert spoken(time_prompts(time(10, 30))) == "ساعت ده و سی دقیقه"


def test_afternoon_hour_and_odd_minutes_are_read_on_the_24_hour_clock() -> None:
    assert spoken(time_prompts(time(14, 45, 59))) == "ساعت چهارده و چهل و پنج دقیقه"


def test_midnight_is_read_as_hour_zero() -> None:
    assert spoken(time_prompts(time(0))) == "ساعت صفر"


def test_format_jalali_uses_persian_digits_and_the_given_zone() -> None:
    instant = datetime(2026, 11, 28, 5, 30, tzinfo=UTC)
    assert format_jalali(instant, TEHRAN) == fa("1405/09/07 ساعت 09:00")


def test_format_jalali_rolls_the_date_over_at_tehran_midnight() -> None:
    # 21:00 UTC on 2025-03-20 is already 00:30 on Nowruz in Tehran.
    instant = datetime(2025, 3, 20, 21, 0, tzinfo=UTC)
    assert format_jalali(instant, TEHRAN) == fa("1404/01/01 ساعت 00:30")
    assert format_jalali(instant - timedelta(minutes=31), TEHRAN) == fa("1403/12/30 ساعت 23:59")


def test_format_jalali_refuses_naive_datetimes() -> None:
    with pytest.raises(NaiveInstant):
        format_jalali(datetime(2025, 3, 20, 9), TEHRAN)


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2025, 3, 20), fa("1403/12/30")),
        (date(2025, 3, 21), fa("1404/01/01")),
        (date(2026, 11, 28), fa("1405/09/07")),
    ],
)
def test_format_jalali_date_is_zero_padded_persian_digits(day: date, text: str) -> None:
    assert format_jalali_date(day) == text


def test_who_answers_names_up_to_three_officials_with_and_before_the_last() -> None:
    assert who_answers_prompts(["officials/1"]) == [
        "oncall-intro",
        "officials/1",
        "oncall-connecting",
    ]
    assert who_answers_prompts(["officials/1", "officials/2", "officials/3"]) == [
        "oncall-intro", "officials/1", "officials/2", "digits/and", "officials/3",
        "oncall-connecting",
    ]  # fmt: skip


def test_who_answers_with_many_desks_is_the_first_and_n_colleagues() -> None:
    prompts = who_answers_prompts([f"officials/{i}" for i in range(1, 23)])
    # "the first official and twenty-one of their colleagues", Persian grammar
    assert prompts == [
        "oncall-intro", "officials/1", "digits/and", "digits/20", "digits/and", "digits/1",
        "oncall-colleagues", "oncall-connecting",
    ]  # fmt: skip
    assert all(p in SPOKEN_WORDS for p in prompts if p.startswith("digits/"))


def test_queue_position_and_wait_are_spoken_with_persian_number_grammar() -> None:
    assert queue_position_prompts(1, 20) == [
        "queue-youarenext",
        "queue-holdtime",
        "queue-under-a-minute",
    ]
    # 24 callers ahead ("بیست و چهار", not "بیست چهار"), about 35 minutes
    assert queue_position_prompts(25, 35 * 60 + 10) == [
        "queue-thereare", "digits/20", "digits/and", "digits/4", "queue-callswaiting",
        "queue-holdtime", "digits/30", "digits/and", "digits/5", "queue-minutes",
    ]  # fmt: skip
    with pytest.raises(NotSpeakable):
        queue_position_prompts(0, 10)


@given(st.integers(1, 5000), st.floats(0, 10 * 3600))
def test_every_queue_announcement_prompt_is_recorded(position: int, wait: float) -> None:
    recorded = set(SPOKEN_WORDS) | set(read_manifest(MANIFEST))
    assert set(queue_position_prompts(position, wait)) <= recorded
