"""`samad-ivr user add`: create console users (the first superuser is made this way).

    samad-ivr user add --username U --role R [--center CODE] [--full-name NAME]
                       [--official-id N] [--agency ID-OR-NAME]

Agency staff (`--role agency_staff`) need `--agency`: the agency's id or its exact name
in that center (as the admin console lists it).

The password is read from `SAMAD_NEW_USER_PASSWORD` when set (scripts), otherwise asked
for twice on the terminal.  It is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from samad_ivr.admin.jalali import normalise
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import (
    NATIONAL_ROLES,
    AccountError,
    AccountRepository,
    NewUser,
    Role,
    validate_new_user,
)
from samad_ivr.storage.agencies import AgencyRepository
from samad_ivr.storage.db import Pool, StorageUnavailable, create_pool
from samad_ivr.web.auth_views import MAX_PASSWORD_LENGTH, hash_password, normalise_username

MIN_PASSWORD_LENGTH = 10
PASSWORD_ENV = "SAMAD_NEW_USER_PASSWORD"


class UsageError(Exception):
    """Bad arguments or password; the message is for the person at the terminal."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samad-ivr user add", description=__doc__.split("\n")[0])
    parser.add_argument("--username", required=True)
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--center", help="center code (every role except the national ones)")
    parser.add_argument("--full-name", default="")
    parser.add_argument("--official-id", type=int, help="the official this account belongs to")
    parser.add_argument(
        "--agency", "--agency-id", dest="agency",
        help="the agency of agency staff: its id or its exact name in the center",
    )  # fmt: skip
    return parser


def read_password(env: Mapping[str, str], prompt: Callable[[str], str]) -> str:
    password = env.get(PASSWORD_ENV)
    if password is None:
        password = prompt("Password: ")
        if prompt("Password again: ") != password:
            raise UsageError("the passwords do not match")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise UsageError(
            f"the password must be {MIN_PASSWORD_LENGTH}..{MAX_PASSWORD_LENGTH} characters long"
        )
    if password.strip() != password:
        raise UsageError("the password must not start or end with spaces")
    return password


async def _agency_id(pool: Pool, center_id: int, given: str) -> int | None:
    """The agency of the center named by `given` (id or exact name, Persian digits too)."""
    text = " ".join(normalise(given).split())
    return await AgencyRepository(pool).find(center_id, text) if text else None


async def user_add(
    settings: Settings,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] = getpass.getpass,
) -> int:
    """Create one user; 0 on success, 2 for bad input, 1 when the database fails."""
    try:
        args = _parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse has already printed why
        return 2 if exc.code else 0
    role = Role(args.role)
    new = NewUser(
        username=normalise_username(args.username),
        full_name=args.full_name.strip(),
        role=role,
        official_id=args.official_id,
    )
    try:
        if role not in NATIONAL_ROLES and not args.center:
            raise UsageError(f"role {role} needs --center CODE")
        if role in NATIONAL_ROLES and args.center:
            raise UsageError(f"role {role} sees every center; leave out --center")
        if role is Role.AGENCY_STAFF and not args.agency:
            raise UsageError("role agency_staff needs --agency (its id or name)")
        if role is not Role.AGENCY_STAFF and args.agency:
            raise UsageError("--agency is only for --role agency_staff")
        # Check everything but the center (resolved later) before asking for a password.
        validate_new_user(replace(new, center_id=0 if args.center else None))
        password = read_password(os.environ if env is None else env, prompt)
    except (UsageError, AccountError) as exc:
        print(f"samad-ivr user add: {exc}", file=sys.stderr)
        return 2
    try:
        pool = await create_pool(settings.database_url.value, min_size=1, max_size=1)
    except StorageUnavailable as exc:
        print(f"samad-ivr user add: {exc}", file=sys.stderr)
        return 1
    try:
        accounts = AccountRepository(pool)
        if args.center:
            center_id = await accounts.center_id(args.center)
            if center_id is None:
                print(f"samad-ivr user add: no center with code {args.center!r}", file=sys.stderr)
                return 2
            new = replace(new, center_id=center_id)
            if args.agency:
                agency_id = await _agency_id(pool, center_id, args.agency)
                if agency_id is None:
                    print(
                        f"samad-ivr user add: center {args.center!r} has no agency "
                        f"{args.agency!r} (give its id or exact name)",
                        file=sys.stderr,
                    )
                    return 2
                new = replace(new, agency_id=agency_id)
        if role is not Role.SUPERUSER and await accounts.count_with_role(Role.SUPERUSER) == 0:
            print("note: there is no superuser yet; create one with --role superuser")
        user = await accounts.create_user(new, await hash_password(password))
    except AccountError as exc:
        print(f"samad-ivr user add: {exc}", file=sys.stderr)
        return 2
    except StorageUnavailable as exc:
        print(f"samad-ivr user add: {exc}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    where = f"center {args.center}" if args.center else "all centers"
    print(f"created user {user.username} (id {user.id}, {user.role}, {where})")
    return 0
