"""Settings every test shares."""

from __future__ import annotations

from pathlib import Path

import pytest

# Shared fixtures: the PostgreSQL server the suite starts, and stores of every kind.
from tests.support.postgres import postgres_server, postgres_store_url, postgres_url
from tests.support.stores import any_store, store_kind, store_location

__all__ = [
    "any_store",
    "postgres_server",
    "postgres_store_url",
    "postgres_url",
    "store_kind",
    "store_location",
]


@pytest.fixture(autouse=True)
def _isolated_default_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`build_agent` persists conversations in SQLite by default; a test that passes no store
    must not leave (or later read) a `specagent.sqlite3` in the working directory."""
    folder: Path = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("SPECAGENT_STORE", str(folder / "specagent.sqlite3"))
