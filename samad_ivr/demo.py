"""`samad-ivr seed-demo`: a demo center whose official is on duty right now.

The official's desk is the demo desk in dialplan/demo (it answers and plays a recorded
reply), so a local run can place a full call with `samad-ivr call` at any hour.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from samad_ivr.audio.prompts import PromptError, synthesize_async
from samad_ivr.settings import Settings
from samad_ivr.storage.db import create_pool
from samad_ivr.storage.migrations import apply_migrations, migrations_dir
from samad_ivr.storage.roster import RosterRepository, SlotOverlap

log = logging.getLogger(__name__)

DEMO_DESK = "Local/official@samad-demo-desk"


async def seed_demo(settings: Settings) -> int:
    pool = await create_pool(settings.database_url.value, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn, migrations_dir())
        roster = RosterRepository(pool)
        center = await roster.ensure_center(settings.center_code, "مرکز سامد همدان", "samad-desk")
        # The demo official answers any day, weekends included.
        await roster.set_weekend(center, frozenset())
        agency = await roster.ensure_agency(center, "استانداری همدان")
        official = await roster.find_official_by_desk(center, DEMO_DESK)
        if official is None:
            official = await roster.add_official(
                center, "استاندار همدان", "استاندار همدان", agency, DEMO_DESK
            )
        now = datetime.now(UTC)
        try:
            await roster.add_slot(
                center, official, now - timedelta(minutes=1), now + timedelta(hours=8)
            )
        except SlotOverlap:
            log.info("the demo roster already covers now")
    finally:
        await pool.close()
    try:
        # The announcement "you are talking to <title and agency>" for this official.
        await synthesize_async(
            "استاندار همدان، استانداری همدان", settings.sounds_dir / "officials" / str(official)
        )
    except PromptError as exc:
        log.warning("official prompt not generated (%s); the generic one is used", exc)
    print(f"demo center {settings.center_code!r}: official {official} on duty for 8 hours")
    return 0
