"""The Persian text of the tracking-code SMS."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from samad_ivr.domain.spoken import format_jalali


def tracking_code_sms(code: str, registered_at: datetime, tz: ZoneInfo) -> str:
    """Two UCS-2 parts at most; the code stands alone on its line in ASCII digits so phones
    offer to copy it and keypads can type it."""
    return "\n".join(
        (
            "سامد: درخواست شما ثبت شد.",
            "کد پیگیری:",
            code,
            format_jalali(registered_at, tz),
            "پیگیری وضعیت: تماس با ۱۱۱",
        )
    )
