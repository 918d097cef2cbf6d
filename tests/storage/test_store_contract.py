"""The store contract, on every store: memory, SQLite and PostgreSQL (a real server).

Batches (all or nothing), snapshots and prefix scans, concurrent writers in tasks and in
separate processes (exactly one winner, no lost update), leases (races, expiry, recovery,
fencing a stale holder), the audit trail and purge.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from specagent_runtime import (
    AuditEntry,
    MemoryStore,
    PostgresStore,
    SpecagentError,
    SQLiteStore,
    Store,
    StoreConflict,
    StoreError,
    open_store,
)
from specagent_runtime._stores.base import Check, Delete, Fence, LeaseLost, Put, Retention
from specagent_runtime._stores.leases import keep_alive

from tests.support.stores import SHARED_KINDS

REPO = Path(__file__).resolve().parents[2]
shared = pytest.mark.parametrize("store_kind", SHARED_KINDS, indirect=True)


def entry(conversation: str = "c1", outcome: str = "done 204", **fields: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "conversation_id": conversation,
        "identity": "fp:3b1f",
        "confirmed_by": "message:m-7",
        "method": "DELETE",
        "path": "/orders/7",
        "outcome": outcome,
    }
    values.update(fields)
    return AuditEntry(**values)


# --- single records --------------------------------------------------------------------------


async def test_versions_and_compare_and_set(any_store: Store) -> None:
    assert await any_store.get("run", "a") is None
    assert await any_store.put("run", "a", {"n": 1}, version=0) == 1
    assert await any_store.put("run", "a", {"n": 2}, version=1) == 2
    with pytest.raises(StoreConflict) as stale:
        await any_store.put("run", "a", {"n": 3}, version=1)
    assert (stale.value.kind, stale.value.key) == ("run", "a")
    with pytest.raises(StoreConflict):
        await any_store.put("run", "a", {"n": 3}, version=0)  # a second create
    found = await any_store.get("run", "a")
    assert found is not None and (found.value, found.version) == ({"n": 2}, 2)
    assert await any_store.put("run", "a", "blind") == 3  # unconditional
    assert await any_store.get("other", "a") is None  # kinds are separate


async def test_delete_with_and_without_a_version(any_store: Store) -> None:
    await any_store.put("k", "x", 1, version=0)
    with pytest.raises(StoreConflict):
        await any_store.delete("k", "x", version=5)
    assert await any_store.get("k", "x") is not None
    await any_store.delete("k", "x", version=1)
    assert await any_store.get("k", "x") is None
    await any_store.delete("k", "x")  # twice is fine
    await any_store.delete("k", "never", version=0)  # "must not exist": nothing to do


async def test_values_round_trip_exactly(any_store: Store) -> None:
    value = {"z": 1, "a": [1.5, None, True], "text": "naïve ☃ \u0000 \ud800", "nested": {"b": 2}}
    await any_store.put("k", "x", value)
    found = await any_store.get("k", "x")
    assert found is not None
    assert found.value == value
    assert list(found.value) == ["z", "a", "text", "nested"]  # key order kept (no jsonb)


async def test_keys_must_be_storable_text(any_store: Store) -> None:
    for bad in ("a\x00b", "lone \ud800 surrogate"):
        with pytest.raises(ValueError, match="key"):
            await any_store.put("k", bad, 1)
    with pytest.raises(TypeError):
        await any_store.put("k", 7, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await any_store.put("k", "x", {1, 2})  # not JSON: refused before anything is written
    assert await any_store.scan("k") == []


# --- batches ---------------------------------------------------------------------------------


async def test_a_conflict_in_the_third_write_leaves_the_first_two_unwritten(
    any_store: Store,
) -> None:
    await any_store.put("conversation", "c1", {"turn": 1}, version=0)
    with pytest.raises(StoreConflict) as caught:
        await any_store.put_many(
            [
                Put("task_run", "r1", {"step": 0}, 0),
                Put("outbox", "c1/0001", {"text": "Done."}, 0),
                Put("conversation", "c1", {"turn": 2}, 7),  # stale
                entry(),
            ]
        )
    assert (caught.value.kind, caught.value.key) == ("conversation", "c1")
    assert await any_store.get("task_run", "r1") is None
    assert await any_store.get("outbox", "c1/0001") is None
    found = await any_store.get("conversation", "c1")
    assert found is not None and found.value == {"turn": 1}
    assert await any_store.audit_entries() == []


async def test_a_batch_writes_everything_and_returns_each_items_number(any_store: Store) -> None:
    await any_store.put("conversation", "c1", {"turn": 1}, version=0)
    await any_store.put("inbox", "c1/0001", {"text": "yes"}, version=0)
    lease = await any_store.acquire("conversation:c1", "worker-1", 30)
    assert lease is not None
    results = await any_store.put_many(
        [
            ("conversation", "c1", {"turn": 2}, 1),  # a plain tuple is a Put
            Put("task_run", "r1", {"step": 0}, 0),
            Put("task_run", "r1", {"step": 1}, 1),  # sees the write before it
            Delete("inbox", "c1/0001", 1),
            Check("conversation", "c1", 2),  # sees the first item
            lease.fence(),
            entry(),
        ]
    )
    assert results[:6] == [2, 1, 2, 0, 2, lease.token]
    assert results[6] >= 1  # the audit entry's seq
    conversation, run, inbox = await any_store.get_many(
        [("conversation", "c1"), ("task_run", "r1"), ("inbox", "c1/0001")]
    )
    assert conversation is not None and (conversation.value, conversation.version) == (
        {"turn": 2},
        2,
    )
    assert run is not None and (run.value, run.version) == ({"step": 1}, 2)
    assert inbox is None
    [audited] = await any_store.audit_entries("c1")
    assert audited.seq == results[6]
    assert await any_store.put_many([]) == []


async def test_a_failed_check_refuses_the_batch(any_store: Store) -> None:
    await any_store.put("conversation", "c1", {"turn": 1}, version=0)
    await any_store.put("conversation", "c1", {"turn": 2}, version=1)
    with pytest.raises(StoreConflict) as caught:
        await any_store.put_many([Put("task_run", "r1", {}, 0), Check("conversation", "c1", 1)])
    assert caught.value.key == "c1"
    assert await any_store.get("task_run", "r1") is None
    with pytest.raises(StoreConflict):
        await any_store.put_many([Check("conversation", "missing", 1)])
    assert await any_store.put_many([Check("conversation", "missing", 0)]) == [0]


async def test_bad_items_are_refused_before_anything_is_written(any_store: Store) -> None:
    with pytest.raises(TypeError, match="put_many takes"):
        await any_store.put_many([Put("k", "a", 1, 0), "not an item"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="version"):
        await any_store.put_many([Put("k", "a", 1, 0), Put("k", "b", 1, "1")])  # type: ignore[arg-type]
    assert await any_store.get("k", "a") is None


async def test_get_many_answers_in_the_order_asked(any_store: Store) -> None:
    await any_store.put_many([Put("k", "a", "A", 0), Put("k", "b", "B", 0)])
    found = await any_store.get_many([("k", "b"), ("k", "missing"), ("k", "a"), ("k", "b")])
    assert [item.value if item else None for item in found] == ["B", None, "A", "B"]
    assert await any_store.get_many([]) == []


async def test_scan_by_prefix_in_code_point_order(any_store: Store) -> None:
    keys = ["c1/0002", "c1/0010", "c1/0001", "c10/0001", "c1/\u00e9", "c1/\U0010ffff!", "c2/0001"]
    await any_store.put_many([Put("inbox", key, {"key": key}, 0) for key in keys])
    await any_store.put("outbox", "c1/0001", {"other": "kind"})

    found = await any_store.scan("inbox", "c1/")
    assert [key for key, _ in found] == sorted(k for k in keys if k.startswith("c1/"))
    assert all(item.value == {"key": key} and item.version == 1 for key, item in found)
    after = await any_store.scan("inbox", "c1/", after="c1/0002", limit=2)
    assert [key for key, _ in after] == ["c1/0010", "c1/\u00e9"]
    assert [key for key, _ in await any_store.scan("inbox", "c1")] == sorted(
        k for k in keys if k.startswith("c1")
    )
    assert len(await any_store.scan("inbox")) == len(keys)
    assert await any_store.scan("inbox", "zz") == []
    assert [key for key, _ in await any_store.scan("outbox", "c1/")] == ["c1/0001"]


async def test_one_winner_among_many_concurrent_batches(any_store: Store) -> None:
    async def claim(worker: int) -> bool:
        try:
            await any_store.put_many(
                [Put("claim", "action-1", worker, 0), Put("marker", f"action-1/{worker}", 1, 0)]
            )
        except StoreConflict:
            return False
        return True

    wins = await asyncio.gather(*(claim(worker) for worker in range(24)))
    assert wins.count(True) == 1
    winner = wins.index(True)
    claimed = await any_store.get("claim", "action-1")
    assert claimed is not None and claimed.value == winner
    assert [key for key, _ in await any_store.scan("marker")] == [f"action-1/{winner}"]


async def test_concurrent_batches_lose_no_update(any_store: Store) -> None:
    await any_store.put_many([Put("counter", "a", 0, 0), Put("counter", "b", 0, 0)])

    async def add(times: int) -> None:
        for _ in range(times):
            while True:
                a, b = await any_store.get_many([("counter", "a"), ("counter", "b")])
                assert a is not None and b is not None
                try:
                    await any_store.put_many(
                        [
                            Put("counter", "a", a.value + 1, a.version),
                            Put("counter", "b", b.value + 1, b.version),
                        ]
                    )
                    break
                except StoreConflict:
                    await asyncio.sleep(0)

    await asyncio.gather(*(add(10) for _ in range(6)))
    a, b = await any_store.get_many([("counter", "a"), ("counter", "b")])
    assert a is not None and b is not None
    assert (a.value, a.version, b.value, b.version) == (60, 61, 60, 61)


# --- separate processes ----------------------------------------------------------------------


def spawn(*args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage._store_child", *args],
        env=env,
        cwd=REPO,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish(process: subprocess.Popen[str], timeout: float = 60) -> str:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out.strip()


@shared
def test_one_winner_among_processes(store_location: str) -> None:
    start = f"{time.time() + 2.5:.3f}"  # every process imports and connects first
    workers = [spawn("claim", store_location, "order-42", start) for _ in range(5)]
    outcomes = [finish(worker) for worker in workers]
    assert sorted(outcomes) == ["lost"] * 4 + ["won"]
    store = open_store(store_location)
    markers = asyncio.run(store.scan("marker", "order-42/"))
    claimed = asyncio.run(store.get("claim", "order-42"))
    store.close()
    assert claimed is not None and [key for key, _ in markers] == [f"order-42/{claimed.value}"]


@shared
def test_processes_lose_no_update(store_location: str) -> None:
    store = open_store(store_location)
    asyncio.run(store.put_many([Put("counter", "a", 0, 0), Put("counter", "b", 0, 0)]))
    workers = [spawn("increment", store_location, "15") for _ in range(3)]
    for worker in workers:
        finish(worker, timeout=120)
    a, b = asyncio.run(store.get_many([("counter", "a"), ("counter", "b")]))
    store.close()
    assert a is not None and b is not None
    assert (a.value, a.version, b.value, b.version) == (45, 46, 45, 46)


@shared
def test_processes_racing_for_a_lease_get_one_holder(store_location: str) -> None:
    start = f"{time.time() + 2.5:.3f}"
    workers = [spawn("lease", store_location, "conversation:c9", "30", start) for _ in range(4)]
    outcomes = [finish(worker) for worker in workers]
    assert sorted(outcomes) == ["acquired 1"] + ["busy"] * 3


@shared
def test_a_stale_holder_in_another_process_is_fenced_off(store_location: str) -> None:
    """A worker holds a lease, stalls past its expiry; another takes over and saves; the stale
    worker's fenced save is refused and the new holder's data stays."""
    holder = spawn("hold", store_location, "run:r1", "0.5")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held 1"
    store = open_store(store_location)
    deadline = time.time() + 10
    taken = None
    while taken is None and time.time() < deadline:
        taken = asyncio.run(store.acquire("run:r1", "worker-new", 30))
        time.sleep(0.1)
    assert taken is not None and taken.token == 2
    asyncio.run(store.put_many([Put("guarded", "run:r1", "by 2"), taken.fence()]))

    assert holder.stdin is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()
    assert finish(holder) == "refused"
    found = asyncio.run(store.get("guarded", "run:r1"))
    store.close()
    assert found is not None and found.value == "by 2"


@shared
def test_a_killed_holders_lease_is_recovered_after_it_lapses(store_location: str) -> None:
    holder = spawn("hold", store_location, "run:r2", "1.0")
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "held 1"
    holder.kill()  # kill -9: no release
    holder.communicate(timeout=10)
    store = open_store(store_location)
    assert asyncio.run(store.acquire("run:r2", "worker-new", 30)) is None  # still live
    time.sleep(1.2)
    taken = asyncio.run(store.acquire("run:r2", "worker-new", 30))
    store.close()
    assert taken is not None and taken.token == 2


# --- leases ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def clocked(store: Store) -> Clock:
    clock = Clock()
    store.lease_clock = clock  # type: ignore[attr-defined]
    return clock


async def test_a_live_lease_is_refused_to_others(any_store: Store) -> None:
    clocked(any_store)
    first = await any_store.acquire("conversation:c1", "w1", 30)
    assert first is not None and (first.owner, first.token) == ("w1", 1)
    assert await any_store.acquire("conversation:c1", "w2", 30) is None
    again = await any_store.acquire("conversation:c1", "w1", 60)  # the holder renews
    assert again is not None and again.token == 1 and again.expires_at > first.expires_at
    held = await any_store.lease("conversation:c1")
    assert held is not None and (held.owner, held.token, held.ttl) == ("w1", 1, 60)
    assert await any_store.lease("conversation:other") is None


async def test_an_expired_lease_is_recovered_with_a_new_token(any_store: Store) -> None:
    clock = clocked(any_store)
    stale = await any_store.acquire("run:r1", "w1", 10)
    assert stale is not None
    clock.now += 10.5
    assert await any_store.lease("run:r1") is None
    taken = await any_store.acquire("run:r1", "w2", 10)
    assert taken is not None and taken.token == stale.token + 1

    await any_store.put_many([Put("task_run", "r1", {"by": "w2"}), taken.fence()])
    with pytest.raises(LeaseLost) as refused:
        await any_store.put_many([Put("task_run", "r1", {"by": "w1"}), stale.fence()])
    assert isinstance(refused.value, StoreConflict)
    assert (refused.value.kind, refused.value.key, refused.value.held) == ("lease", "run:r1", 2)
    assert "nothing was saved" in str(refused.value)
    found = await any_store.get("task_run", "r1")
    assert found is not None and found.value == {"by": "w2"}
    with pytest.raises(LeaseLost):
        await any_store.renew(stale)
    assert await any_store.release(stale) is False
    assert await any_store.lease("run:r1") == taken.__class__(
        "run:r1", "w2", 2, taken.expires_at, 10.0
    )


async def test_renew_keeps_the_token_and_a_lapsed_untaken_lease_can_be_renewed(
    any_store: Store,
) -> None:
    clock = clocked(any_store)
    lease = await any_store.acquire("run:r1", "w1", 10)
    assert lease is not None
    clock.now += 5
    renewed = await any_store.renew(lease)
    assert (renewed.token, renewed.expires_at) == (1, clock.now + 10)
    clock.now += 60  # lapsed, but nobody took it: the holder may carry on
    again = await any_store.renew(renewed, ttl=20)
    assert (again.token, again.ttl) == (1, 20)
    await any_store.put_many([Put("task_run", "r1", 1), lease.fence()])  # same token: accepted


async def test_release_lets_the_next_holder_in_at_once_and_the_token_never_goes_back(
    any_store: Store,
) -> None:
    clocked(any_store)
    first = await any_store.acquire("run:r1", "w1", 30)
    assert first is not None
    assert await any_store.release(first) is True
    assert await any_store.release(first) is False  # already released
    second = await any_store.acquire("run:r1", "w2", 30)
    assert second is not None and second.token == 2
    with pytest.raises(LeaseLost):
        await any_store.put_many([Put("task_run", "r1", 1), first.fence()])
    with pytest.raises(LeaseLost) as missing:
        await any_store.put_many([Fence("never-acquired", 1)])
    assert missing.value.held is None


async def test_acquire_can_wait_for_the_holder_to_release(any_store: Store) -> None:
    first = await any_store.acquire("conversation:c1", "w1", 30)
    assert first is not None

    async def release_soon() -> None:
        await asyncio.sleep(0.2)
        await any_store.release(first)

    releasing = asyncio.create_task(release_soon())
    started = time.monotonic()
    second = await any_store.acquire("conversation:c1", "w2", 30, wait=5)
    await releasing
    assert second is not None and second.token == 2
    assert 0.15 < time.monotonic() - started < 4
    assert await any_store.acquire("conversation:c1", "w3", 30, wait=0.1) is None


async def test_concurrent_acquirers_get_one_holder(any_store: Store) -> None:
    got = await asyncio.gather(*(any_store.acquire("run:r1", f"w{n}", 30) for n in range(12)))
    holders = [lease for lease in got if lease is not None]
    assert len(holders) == 1 and holders[0].token == 1


async def test_keep_alive_renews_while_a_call_is_in_flight(any_store: Store) -> None:
    lease = await any_store.acquire("run:r1", "w1", 0.6)
    assert lease is not None
    async with keep_alive(any_store, lease) as kept:
        await asyncio.sleep(1.5)  # longer than the ttl
        assert await any_store.acquire("run:r1", "w2", 30) is None
        assert not kept.lost and kept.lease.expires_at > lease.expires_at
    await asyncio.sleep(0.7)
    taken = await any_store.acquire("run:r1", "w2", 30)
    assert taken is not None and taken.token == 2
    async with keep_alive(any_store, lease, every=0.05) as kept:
        await asyncio.wait_for(kept.lost_event.wait(), 5)
    assert kept.lost


def test_lease_arguments_are_checked() -> None:
    store = open_store("memory:")
    for ttl in (0, -1, float("nan")):
        with pytest.raises((ValueError, TypeError)):
            asyncio.run(store.acquire("x", "w", ttl))
    with pytest.raises(ValueError, match="owner"):
        asyncio.run(store.acquire("x", "", 5))


# --- the audit trail -------------------------------------------------------------------------


async def test_the_audit_trail_appends_and_reads_back(any_store: Store) -> None:
    before = time.time()
    first = await any_store.audit(
        entry(body={"reason": "[redacted]"}, action="cancel_order", detail={"status": 204})
    )
    second = await any_store.audit(entry("c2", "failed 409"))
    third = await any_store.audit(entry("c1", "unknown: the connection broke off", at=before + 5))
    assert first.seq < second.seq < third.seq
    assert before - 1 <= first.at <= time.time() + 1 and third.at == before + 5

    everything = await any_store.audit_entries()
    assert everything == [first, second, third]
    assert await any_store.audit_entries("c1") == [first, third]
    assert await any_store.audit_entries("c1", since=before + 4) == [third]
    since = datetime.fromtimestamp(before + 4, UTC)
    assert await any_store.audit_entries(since=since) == [third]
    assert first.body == {"reason": "[redacted]"} and first.detail == {"status": 204}
    with pytest.raises(ValueError, match="time zone"):
        await any_store.audit_entries(since=datetime(2020, 1, 1))
    with pytest.raises(TypeError):
        await any_store.audit(entry(outcome=204))


def test_the_store_offers_no_way_to_change_an_audit_entry() -> None:
    store = open_store("memory:")
    public = {name for name in dir(store) if not name.startswith("_")}
    assert not {name for name in public if "audit" in name} - {"audit", "audit_entries"}


# --- purge and retention ---------------------------------------------------------------------


async def test_purge_removes_what_is_older_than_the_cutoff(any_store: Store) -> None:
    await any_store.put("conversation", "old", {"turn": 1})
    await any_store.audit(entry("old"))
    await any_store.audit(entry("older", at=time.time() - 3600))
    await asyncio.sleep(1.3)
    await any_store.put("conversation", "new", {"turn": 1})
    await any_store.audit(entry("new"))

    assert await any_store.purge(timedelta(hours=2)) == 0
    kept_audit = await any_store.purge(timedelta(seconds=0.8), audit=False)
    assert kept_audit == 1
    assert await any_store.get("conversation", "old") is None
    assert await any_store.get("conversation", "new") is not None
    assert len(await any_store.audit_entries()) == 3
    assert await any_store.purge(timedelta(days=1), audit=timedelta(minutes=30)) == 1
    assert [item.conversation_id for item in await any_store.audit_entries()] == ["old", "new"]
    assert await any_store.purge(timedelta(seconds=0.8)) == 1
    assert [item.conversation_id for item in await any_store.audit_entries()] == ["new"]
    later = await any_store.audit(entry("later"))
    assert later.seq > (await any_store.audit_entries())[0].seq  # numbers are never reused
    with pytest.raises(ValueError):
        await any_store.purge(timedelta(0))


@shared
async def test_a_worker_purges_by_itself_after_the_retention(
    store_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = open_store(store_location)
    await first.put("conversation", "old", {"turn": 1})
    await first.audit(entry("old", at=time.time() - 86_400 * 2))
    first.close()
    await asyncio.sleep(1.2)

    monkeypatch.setenv("SPECAGENT_RETENTION_DAYS", str(1.0 / 86_400))  # one second
    monkeypatch.setenv("SPECAGENT_AUDIT_RETENTION_DAYS", "1")
    worker = open_store(store_location)  # a worker (re)starting: its first write purges
    assert worker.retention.records == timedelta(seconds=1)  # type: ignore[attr-defined]
    await worker.put("conversation", "new", {"turn": 1})
    assert await worker.get("conversation", "old") is None
    assert await worker.get("conversation", "new") is not None
    assert await worker.audit_entries() == []
    worker.close()


def test_retention_settings_from_the_environment() -> None:
    assert Retention.from_env({}) == Retention(timedelta(days=30), timedelta(days=365))
    assert Retention.from_env({"SPECAGENT_RETENTION_DAYS": "off"}).records is None
    assert Retention.from_env({"SPECAGENT_AUDIT_RETENTION_DAYS": "0"}).audit is None
    assert Retention.from_env({"SPECAGENT_RETENTION_DAYS": "7.5"}).records == timedelta(days=7.5)
    for bad in ("-3", "soon", "nan", "1e9"):
        with pytest.raises(ValueError, match="SPECAGENT_RETENTION_DAYS"):
            Retention.from_env({"SPECAGENT_RETENTION_DAYS": bad})
    store = open_store("memory:")
    asyncio.run(store.put("k", "x", 1))
    assert asyncio.run(store.purge(timedelta(days=1))) == 0


# --- choosing a store ------------------------------------------------------------------------


def test_open_store_reads_the_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    path = tmp_path / "a.db"
    sqlite = open_store(path)
    assert isinstance(sqlite, SQLiteStore) and sqlite.path == path
    uri = open_store(f"sqlite://{tmp_path / 'b.db'}")
    assert isinstance(uri, SQLiteStore) and uri.path == tmp_path / "b.db"
    monkeypatch.setenv("SPECAGENT_STORE", str(tmp_path / "env.db"))
    from_env = open_store()
    assert isinstance(from_env, SQLiteStore) and from_env.path == tmp_path / "env.db"

    postgres = open_store("postgresql://agent:s3cret@db.internal:6543/support")
    assert isinstance(postgres, PostgresStore)
    assert postgres.where == "postgresql://agent@db.internal:6543/support"
    assert "s3cret" not in repr(postgres)
    postgres.close()
    with pytest.raises(ValueError, match="unknown store 'mysql:'") as unknown:
        open_store("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(unknown.value)
    monkeypatch.setenv("SPECAGENT_STORE_POOL_SIZE", "zero")
    with pytest.raises(ValueError, match="SPECAGENT_STORE_POOL_SIZE"):
        open_store("postgresql://db/x")


def test_a_store_error_is_a_specagent_error() -> None:
    assert issubclass(LeaseLost, StoreConflict) and issubclass(StoreConflict, StoreError)
    assert issubclass(StoreError, SpecagentError)
    assert json.loads(json.dumps(entry().to_json()))["path"] == "/orders/7"
