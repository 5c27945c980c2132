"""`samad-ivr user add` against a real database."""

from __future__ import annotations

from typing import Any

import pytest

from samad_ivr.accounts_cli import user_add
from samad_ivr.settings import Settings
from samad_ivr.storage.accounts import AccountRepository, Role
from samad_ivr.storage.db import Pool
from samad_ivr.web.auth_views import verify_password

PASSWORD = "a long enough password"


def no_prompt(_text: str) -> str:
    raise AssertionError("the password came from the environment; no prompt expected")


async def test_first_superuser_is_created_from_the_environment_password(
    settings: Settings, db_pool: Pool, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SAMAD_NEW_USER_PASSWORD": PASSWORD}
    argv = ["--username", "Root", "--role", "superuser", "--full-name", " مدیر کل "]
    assert await user_add(settings, argv, env=env, prompt=no_prompt) == 0
    found = await AccountRepository(db_pool).credentials("root")
    assert found is not None
    user, password_hash = found
    assert (user.role, user.center_id, user.full_name) == (Role.SUPERUSER, None, "مدیر کل")
    assert password_hash.startswith("$argon2id$")
    assert await verify_password(password_hash, PASSWORD)
    output = capsys.readouterr()
    assert "created user root" in output.out
    assert PASSWORD not in output.out + output.err


async def test_province_user_gets_the_center_named_by_its_code(
    settings: Settings, db_pool: Pool, center_ids: dict[str, int]
) -> None:
    answers = iter([PASSWORD, PASSWORD])
    argv = ["--username", "hamedan-admin", "--role", "province_admin", "--center", "hamedan"]
    assert await user_add(settings, argv, env={}, prompt=lambda _t: next(answers)) == 0
    found = await AccountRepository(db_pool).credentials("hamedan-admin")
    assert found is not None
    assert found[0].center_id == center_ids["hamedan"]


@pytest.mark.parametrize(
    ("argv", "env", "complaint"),
    [
        (["--username", "x1x", "--role", "official"], {}, "needs --center"),
        (["--username", "n1", "--role", "national_listener", "--center", "hamedan"], {},
         "leave out --center"),
        (["--username", "ok-name", "--role", "official", "--center", "nowhere"],
         {"SAMAD_NEW_USER_PASSWORD": PASSWORD}, "no center with code"),
        (["--username", "ab", "--role", "superuser"], {}, "username must be"),
        (["--username", "short", "--role", "superuser"], {"SAMAD_NEW_USER_PASSWORD": "short"},
         "password must be"),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_with_a_reason_and_exit_code_2(
    settings: Settings,
    center_ids: dict[str, int],
    argv: list[str],
    env: dict[str, str],
    complaint: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await user_add(settings, argv, env=env, prompt=no_prompt) == 2
    assert complaint in capsys.readouterr().err


async def test_duplicate_username_and_mismatched_prompts_are_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SAMAD_NEW_USER_PASSWORD": PASSWORD}
    argv = ["--username", "root", "--role", "superuser"]
    assert await user_add(settings, argv, env=env) == 0
    assert await user_add(settings, argv, env=env) == 2
    assert "is taken" in capsys.readouterr().err
    answers: Any = iter(["first password!", "second password"])
    assert await user_add(settings, ["--username", "other", "--role", "superuser"], env={},
                          prompt=lambda _t: next(answers)) == 2  # fmt: skip
    assert "do not match" in capsys.readouterr().err
