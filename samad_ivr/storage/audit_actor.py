"""Who is acting, for the audit triggers of migration 0022.

The web layer sets `acting_user` for the request it serves (session middleware); a write
that the triggers audit (officials, agencies, users, SMS templates) runs inside
`audited(pool)`, which opens a transaction and hands the actor to the triggers as
transaction-local settings.  Without an actor the change is still recorded, with no user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

from samad_ivr.storage.audit import Actor
from samad_ivr.storage.db import Pool, PoolConnection, connection

acting_user: ContextVar[Actor | None] = ContextVar("samad_acting_user", default=None)

SET_ACTOR_SQL = """
SELECT set_config('samad.actor_id', $1, true), set_config('samad.actor_name', $2, true)
"""


@asynccontextmanager
async def audited(pool: Pool) -> AsyncIterator[PoolConnection]:
    """A pooled connection in a transaction that the audit triggers attribute."""
    async with connection(pool) as conn, conn.transaction():
        actor = acting_user.get()
        if actor is not None:
            user_id = "" if actor.user_id is None else str(actor.user_id)
            await conn.execute(SET_ACTOR_SQL, user_id, actor.username or "")
        yield conn
