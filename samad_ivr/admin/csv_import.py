"""Roster CSV import: parse and validate every row before anything is stored.

Columns: ``jalali_date,start,end`` and one of ``official_id``, ``desk`` or ``name``
(several may be given; the first non-empty one in that order identifies the official).
Row numbers are file line numbers as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import InputError, fa_digits, normalise, parse_jalali_date, parse_time
from samad_ivr.admin.planning import PlannedSlot, internal_clashes, plan_slot

__all__ = [
    "MAX_CSV_BYTES",
    "MAX_CSV_ROWS",
    "CsvResult",
    "OfficialDirectory",
    "RowError",
    "parse_roster_csv",
    "row_label",
]

MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 2000
_REQUIRED = ("jalali_date", "start", "end")
_WHO = ("official_id", "desk", "name")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 0: the file as a whole
    message: str

    @property
    def text(self) -> str:
        if self.row == 0:
            return self.message
        return f"ردیف {fa_digits(self.row)}: {self.message}"


@dataclass(frozen=True, slots=True)
class OfficialDirectory:
    """The center's officials by id, desk endpoint and (normalised) name."""

    by_id: Mapping[int, str]
    by_desk: Mapping[str, Sequence[int]]
    by_name: Mapping[str, Sequence[int]]

    @classmethod
    def build(cls, officials: Sequence[tuple[int, str, str]]) -> OfficialDirectory:
        """From ``(id, name, desk_endpoint)`` triples."""
        by_desk: dict[str, list[int]] = {}
        by_name: dict[str, list[int]] = {}
        for official_id, name, desk in officials:
            by_desk.setdefault(desk, []).append(official_id)
            by_name.setdefault(_name_key(name), []).append(official_id)
        return cls({i: n for i, n, _ in officials}, by_desk, by_name)


@dataclass(frozen=True, slots=True)
class CsvResult:
    plan: list[PlannedSlot] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _name_key(name: str) -> str:
    return " ".join(normalise(name).split())


def row_label(row: int) -> str:
    return f"ردیف {fa_digits(row)}"


def _decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise InputError("پروندهٔ CSV بزرگ‌تر از ۱ مگابایت است.")
    try:
        # utf-8-sig: spreadsheet programs put a BOM before the header.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("پرونده با کدگذاری UTF-8 ذخیره نشده است.") from exc


def _official(row: Mapping[str, str], directory: OfficialDirectory) -> int:
    official_id = normalise(row.get("official_id") or "")
    if official_id:
        if not official_id.isdigit() or int(official_id) not in directory.by_id:
            raise InputError(f"مسئولی با شناسهٔ «{official_id}» در این مرکز نیست.")
        return int(official_id)
    desk = normalise(row.get("desk") or "")
    name = _name_key(row.get("name") or "")
    if desk:
        found, what = directory.by_desk.get(desk, ()), f"میز «{desk}»"
    elif name:
        found, what = directory.by_name.get(name, ()), f"نام «{name}»"
    else:
        raise InputError("شناسه، میز یا نام مسئول خالی است.")
    if not found:
        raise InputError(f"مسئولی با {what} در این مرکز نیست.")
    if len(found) > 1:
        raise InputError(f"چند مسئول با {what} هست؛ شناسهٔ مسئول را بنویسید.")
    return found[0]


def _row(
    number: int, row: Mapping[str, str], directory: OfficialDirectory, tz: ZoneInfo
) -> PlannedSlot:
    day = parse_jalali_date(row.get("jalali_date") or "")
    start = parse_time(row.get("start") or "", "ساعت شروع")
    end = parse_time(row.get("end") or "", "ساعت پایان")
    official_id = _official(row, directory)
    return plan_slot(official_id, day, start, end, tz, row_label(number), number)


def parse_roster_csv(data: bytes, directory: OfficialDirectory, tz: ZoneInfo) -> CsvResult:
    """Every row as a planned slot, or every problem found; a file with errors has no plan."""
    try:
        text = _decode(data)
    except InputError as exc:
        return CsvResult(errors=[RowError(0, str(exc))])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [normalise(h).lower() for h in (reader.fieldnames or [])]
    missing = [c for c in _REQUIRED if c not in header]
    if missing or not any(c in header for c in _WHO):
        wanted = "jalali_date,start,end و یکی از official_id، desk یا name"
        return CsvResult(errors=[RowError(1, f"سرستون‌ها باید {wanted} باشند.")])
    reader.fieldnames = header
    plan: list[PlannedSlot] = []
    errors: list[RowError] = []
    for index, row in enumerate(reader):
        number = index + 2
        if number - 1 > MAX_CSV_ROWS:
            errors.append(RowError(0, f"بیش از {fa_digits(MAX_CSV_ROWS)} ردیف در پرونده است."))
            break
        if None in row:
            errors.append(RowError(number, "تعداد ستون‌ها بیش از سرستون‌هاست."))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue  # blank line
        try:
            plan.append(_row(number, row, directory, tz))
        except InputError as exc:
            errors.append(RowError(number, str(exc)))
    for first, second in internal_clashes(plan):
        errors.append(RowError(second.row, f"با {first.label} هم‌پوشانی دارد."))
    if not plan and not errors:
        errors.append(RowError(0, "پرونده هیچ ردیفی ندارد."))
    errors.sort(key=lambda e: e.row)
    return CsvResult(plan=[] if errors else plan, errors=errors)
