"""Browser desks' SIP credentials and which center owns a desk endpoint (0021).

A browser desk's credential was an HMAC of its name, so anyone who could name a desk got
its password.  Now each desk gets a random password when it first appears; only what
Asterisk needs to check it is kept — the MD5 digest of ``name:realm:password`` (pjsip's
``md5_cred``, SIP.js's ``authorizationHa1``) — and the password itself is never stored.
An admin rotates it on demand.  The digest is password-equivalent for this realm, so it
is as secret as the password would be: 0640 file, no-store JSON to the desk's official.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from samad_ivr.storage.db import Pool, connection

__all__ = ["REALM", "DeskCredential", "DeskCredentialRepository", "new_ha1"]

REALM = "samad"

GET_SQL = "SELECT endpoint, realm, ha1 FROM desk_credentials WHERE endpoint = ANY($1::text[])"
CREATE_SQL = """
INSERT INTO desk_credentials (endpoint, realm, ha1) VALUES ($1, $2, $3)
ON CONFLICT (endpoint) DO NOTHING
"""
ROTATE_SQL = """
INSERT INTO desk_credentials (endpoint, realm, ha1) VALUES ($1, $2, $3)
ON CONFLICT (endpoint) DO UPDATE SET realm = EXCLUDED.realm, ha1 = EXCLUDED.ha1,
                                     rotated_at = now()
"""
OWNER_SQL = "SELECT center_id FROM desk_owners WHERE endpoint = $1"


@dataclass(frozen=True, slots=True)
class DeskCredential:
    name: str  # the PJSIP endpoint, auth and aor name (and SIP user name)
    realm: str
    ha1: str  # md5(name:realm:password), lower-case hex


def new_ha1(name: str, realm: str = REALM) -> str:
    """The digest of a fresh random password; the password is forgotten at once."""
    password = secrets.token_urlsafe(24)
    # MD5 is what SIP digest (RFC 2617) and pjsip's md5_cred use, not a choice of ours.
    return hashlib.md5(f"{name}:{realm}:{password}".encode(), usedforsecurity=False).hexdigest()


class DeskCredentialRepository:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def ensure(self, names: Iterable[str]) -> dict[str, DeskCredential]:
        """The credential of every desk in `names`, creating those that have none."""
        wanted = sorted(set(names))
        async with connection(self._pool) as conn, conn.transaction():
            for name in wanted:
                await conn.execute(CREATE_SQL, name, REALM, new_ha1(name))
            rows = await conn.fetch(GET_SQL, wanted)
        return {r["endpoint"]: DeskCredential(r["endpoint"], r["realm"], r["ha1"]) for r in rows}

    async def get(self, name: str) -> DeskCredential | None:
        return (await self.ensure([name])).get(name)

    async def rotate(self, name: str) -> DeskCredential:
        """A new random credential for desk `name`; the old one stops working at the
        next desk sync (within a minute), and the desk's page registers again."""
        ha1 = new_ha1(name)
        async with connection(self._pool) as conn:
            await conn.execute(ROTATE_SQL, name, REALM, ha1)
        return DeskCredential(name, REALM, ha1)

    async def owner(self, endpoint: str) -> int | None:
        """The center that owns `endpoint` (None: nobody uses it yet)."""
        async with connection(self._pool) as conn:
            found = await conn.fetchval(OWNER_SQL, endpoint)
        return None if found is None else int(found)
