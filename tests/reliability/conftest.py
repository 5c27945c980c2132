"""Fixtures of the reliability tests."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from .rig import Rig, rig_for


@pytest.fixture
def rig(db_pool: asyncpg.Pool, tmp_path: Path) -> Rig:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    return rig_for(db_pool, recordings)
