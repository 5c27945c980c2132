"""Persian messages for roster clashes, shared by the pages and the JSON API."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from samad_ivr.admin.jalali import fa_digits, jalali_text, time_text
from samad_ivr.admin.planning import PlannedSlot
from samad_ivr.storage.roster_edit import Slot

__all__ = ["clash_messages", "overlap_message", "slot_text"]

ONE_DESK = "یک مسئول در هر زمان فقط یک نوبت کشیک دارد."


def slot_text(slot: Slot, tz: ZoneInfo) -> str:
    start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
    return (
        f"«{slot.official_name}» در {jalali_text(start.date())} "
        f"ساعت {time_text(start.time())} تا {time_text(end.time())}"
    )


def overlap_message(other: Slot, tz: ZoneInfo) -> str:
    """The message for one new or moved slot that collides with ``other``."""
    return f"این نوبت با نوبت {slot_text(other, tz)} هم‌پوشانی دارد؛ {ONE_DESK}"


def clash_messages(
    plan: Sequence[PlannedSlot], clashes: Sequence[tuple[int, Slot]], tz: ZoneInfo
) -> list[str]:
    """One line per clashing planned slot, naming its date (or CSV row) and the other slot."""
    if len(plan) == 1 and len(clashes) == 1:
        return [overlap_message(clashes[0][1], tz)]
    count = fa_digits(len(clashes))
    lines = [f"هیچ نوبتی ثبت نشد: {count} مورد با نوبت‌های موجود هم‌پوشانی دارد."]
    for index, other in clashes:
        planned = plan[index]
        where = planned.label if planned.row else planned.when
        lines.append(f"{where}: با نوبت {slot_text(other, tz)} هم‌پوشانی دارد.")
    return lines
