"""The SQLite store when its file is locked, its disk is full, or a writer is killed mid-write.

Every failure must name the file and the record and say that nothing was saved; the file must
pass `PRAGMA integrity_check` afterwards and hold exactly the last saves that returned.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from specagent_runtime import SQLiteStore, StoreError

from tests.storage import _child
from tests.storage.conftest import FullStore, child, integrity, locked, release

# --- locked by another process ---------------------------------------------------------------


async def test_a_write_to_a_locked_file_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path, busy_timeout=0.3)
    await store.put("conversation", "c1", {"turn": 1}, version=0)

    with locked(path):
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            await store.put("conversation", "c1", {"turn": 2}, version=1)
        waited = time.monotonic() - started
        # Reads go on: WAL readers do not wait for a writer.
        during = await store.get("conversation", "c1")

    assert 0.25 <= waited < 5
    message = str(caught.value)
    assert str(path) in message and "conversation 'c1'" in message
    assert "locked by another process" in message and "nothing was saved" in message
    assert (caught.value.kind, caught.value.key) == ("conversation", "c1")
    assert during is not None and during.value == {"turn": 1}
    after = await store.get("conversation", "c1")
    assert after is not None and (after.value, after.version) == ({"turn": 1}, 1)
    assert await store.put("conversation", "c1", {"turn": 2}, version=1) == 2
    assert integrity(path) == "ok"


async def test_a_writer_waits_for_a_lock_released_within_the_busy_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path, busy_timeout=10)
    with locked(path) as holder:
        timer = threading.Timer(0.4, release, (holder,))
        timer.start()
        started = time.monotonic()
        version = await store.put("conversation", "c1", {"turn": 1}, version=0)
        waited = time.monotonic() - started
        timer.join()
    assert version == 1
    assert waited >= 0.3  # it really waited for the other process
    assert integrity(path) == "ok"


async def test_a_locked_file_can_still_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    SQLiteStore(path)
    with locked(path):
        store = SQLiteStore(path, busy_timeout=0.3)  # a worker starting while another writes
        assert await store.get("conversation", "c1") is None


# --- a full disk -----------------------------------------------------------------------------


async def test_a_full_database_refuses_the_save_and_keeps_the_old_value(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = FullStore(path)
    await store.put("conversation", "c1", {"text": "a" * 5000}, version=0)
    store.fill()

    with pytest.raises(StoreError) as grown:
        await store.put("conversation", "c1", {"text": "b" * 20_000}, version=1)
    with pytest.raises(StoreError) as created:
        await store.put("conversation", "c2", {"text": "c" * 20_000}, version=0)

    for error, key in ((grown.value, "c1"), (created.value, "c2")):
        assert f"conversation {key!r}" in str(error) and "full" in str(error)
        assert "nothing was saved" in str(error)
        # The cause is the disk, not a rollback of a transaction SQLite had already ended.
        assert "rollback" not in str(error).lower()
    kept = await store.get("conversation", "c1")
    assert kept is not None and (kept.value, kept.version) == ({"text": "a" * 5000}, 1)
    assert await store.get("conversation", "c2") is None
    assert integrity(path) == "ok"

    store.free()  # space freed: the same saves go through
    assert await store.put("conversation", "c1", {"text": "b" * 20_000}, version=1) == 2
    assert await store.put("conversation", "c2", {"text": "c"}, version=0) == 1


def test_a_file_size_limit_fails_the_save_with_the_record_named(tmp_path: Path) -> None:
    """A real write error from the OS (EFBIG under RLIMIT_FSIZE), in a child process."""
    path = tmp_path / "store.db"
    asyncio.run(SQLiteStore(path).put("stress", "small", {"n": 1}, version=0))
    process = child("limited", str(path), stdout=subprocess.PIPE)
    out, _ = process.communicate(timeout=30)

    result = json.loads(out)
    assert (result.get("kind"), result.get("key")) == ("stress", "big"), result
    assert str(path) in result["error"] and "nothing was saved" in result["error"]
    assert "SQLITE_IOERR" in result["error"] or "full" in result["error"]
    assert integrity(path) == "ok"
    store = SQLiteStore(path)
    assert asyncio.run(store.get("stress", "big")) is None
    small = asyncio.run(store.get("stress", "small"))
    assert small is not None and small.value == {"n": 1}


# --- a corrupt record ------------------------------------------------------------------------


async def test_a_record_that_is_not_json_is_reported_by_name(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path)
    await store.put("conversation", "c1", {"turn": 1}, version=0)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE specagent_records SET value = '{\"turn\": 1' WHERE key = 'c1'")

    with pytest.raises(StoreError) as caught:
        await store.get("conversation", "c1")
    assert str(caught.value).startswith(f"{path}: conversation 'c1' is not valid JSON")


# --- killed while writing --------------------------------------------------------------------

ROUNDS = 4


def test_writers_killed_at_random_moments_leave_every_record_whole(tmp_path: Path) -> None:
    """Two processes update the same 20 records (version-checked) until each is SIGKILLed at a
    random moment, four rounds on one file. Afterwards the file is intact, every value is
    whole (its digest matches), no update was lost (a record's version equals the number of
    writes it counts) and every save a writer saw return is there."""
    path = tmp_path / "store.db"
    SQLiteStore(path)
    rng = random.Random(9)
    acknowledged: dict[str, int] = {}
    for round_number in range(ROUNDS):
        writers = [
            child("write", str(path), f"w{round_number}{n}", stdout=subprocess.PIPE)
            for n in range(2)
        ]
        for writer in writers:
            time.sleep(rng.uniform(0.3, 0.9))
            writer.send_signal(signal.SIGKILL)
        for writer in writers:
            out, _ = writer.communicate(timeout=10)
            assert writer.returncode == -signal.SIGKILL
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 2:  # the last line may be cut by the kill
                    key, writes = parts[0], int(parts[1])
                    acknowledged[key] = max(acknowledged.get(key, 0), writes)

    assert integrity(path) == "ok"
    assert sum(acknowledged.values()) > ROUNDS  # the writers did get going
    store = SQLiteStore(path)
    for number in range(_child.KEYS):
        key = f"r{number}"
        found = asyncio.run(store.get(_child.KIND, key))
        if found is None:
            assert key not in acknowledged
            continue
        value = found.value
        assert value["digest"] == _child.digest(value), key
        assert value["key"] == key
        assert found.version == value["writes"], key  # no lost or doubled update
        assert value["writes"] >= acknowledged.get(key, 0), key  # acknowledged saves kept
