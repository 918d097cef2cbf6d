"""PostgreSQL: migrations, and the faults of a real server: stopped, restarted (between calls
and inside a transaction), a connection killed inside a transaction, idle connections killed,
a failover to a read-only standby, a record locked by a stuck worker, a full disk (for the store,
and for the example agent's turn).

Every failure must be a `StoreError` naming the database (never its password), the record
and the cause, leave nothing half-saved, and the next call after the fault must work.

These tests stop and restart their server, so they have one of their own: started with a file
size limit (RLIMIT_FSIZE, which PostgreSQL meets as a write error, as on a full disk).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from specagent_runtime import AuditEntry, PostgresStore, StoreError, migrate_store
from specagent_runtime._stores.base import Put
from specagent_runtime._stores.pg_schema import MIGRATIONS, migrate
from specagent_runtime._stores.postgres import lock_id

from tests.support.postgres import PostgresServer, free_port, running_server
from tests.support.stores import empty_postgres

FILE_LIMIT = 12 * 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with running_server(file_size_limit=FILE_LIMIT) as started:
        yield started


@pytest.fixture(scope="module")
def database(server: PostgresServer) -> str:
    url = server.create_database()
    migrate(url)
    return url


@pytest.fixture
def url(database: str, server: PostgresServer) -> str:
    server.wait_ready()
    empty_postgres(database)
    return database


class FaultyStore(PostgresStore):
    """A PostgresStore that runs `faults[stage](connection)` once at that point of its next
    transaction ("read", "written", "commit")."""

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(url, **options)
        self.faults: dict[str, Callable[[Any], None]] = {}

    def _fault_point(self, connection: Any, stage: str) -> None:
        fault = self.faults.pop(stage, None)
        if fault is not None:
            fault(connection)


@pytest.fixture
def store(url: str) -> Iterator[FaultyStore]:
    opened = FaultyStore(url, timeout=2.0)
    yield opened
    opened.close()


def batch(n: int) -> list[Any]:
    return [
        Put("task_run", "r1", {"n": n}),
        Put("outbox", "c1/0001", {"n": n}),
        Put("conversation", "c1", {"n": n}),
        AuditEntry("c1", "fp", "message:m1", "DELETE", "/orders/7", f"done {n}"),
    ]


async def values(store: PostgresStore) -> list[Any]:
    keys = [("task_run", "r1"), ("outbox", "c1/0001"), ("conversation", "c1")]
    found = await store.get_many(keys)
    return [item.value if item is not None else None for item in found]


def kill(server: PostgresServer) -> Callable[[Any], None]:
    def terminate(connection: Any) -> None:
        server.execute("SELECT pg_terminate_backend(%s, 5000)", connection.info.backend_pid)

    return terminate


def kill_idle(server: PostgresServer) -> int:
    rows = server.execute(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
        " WHERE application_name = 'specagent'"
    )
    return len(rows)


# --- migrations ------------------------------------------------------------------------------


def test_migrations_apply_once_even_when_workers_start_together(server: PostgresServer) -> None:
    url = server.create_database()
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: migrate(url), range(6)))
    assert sorted(map(tuple, results)) == [()] * 5 + [tuple(m.version for m in MIGRATIONS)]
    name = url.rsplit("/", 1)[1]
    ledger = server.execute(
        "SELECT version, name FROM specagent_migrations ORDER BY version", database=name
    )
    assert ledger == [(m.version, m.name) for m in MIGRATIONS]
    assert migrate_store(url) == []
    server.drop_database(url)


async def test_a_store_migrates_a_fresh_database_when_it_first_connects(
    server: PostgresServer,
) -> None:
    url = server.create_database()
    store = PostgresStore(url)
    assert await store.put("conversation", "c1", {"turn": 1}, version=0) == 1
    store.close()
    name = url.rsplit("/", 1)[1]
    assert server.execute("SELECT count(*) FROM specagent_migrations", database=name) == [(1,)]
    server.drop_database(url)


async def test_a_store_told_not_to_migrate_says_what_is_missing(server: PostgresServer) -> None:
    url = server.create_database()
    store = PostgresStore(url, migrate=False)
    with pytest.raises(StoreError) as caught:
        await store.put("conversation", "c1", {}, version=0)
    store.close()
    assert "specagent_records" in str(caught.value) and "nothing was saved" in str(caught.value)
    server.drop_database(url)


async def test_migrations_a_newer_release_made_are_tolerated(
    url: str, server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    name = url.rsplit("/", 1)[1]
    server.execute(
        "INSERT INTO specagent_migrations (version, name) VALUES (99, 'x')", database=name
    )
    try:
        with caplog.at_level(logging.WARNING, "specagent_runtime.store"):
            assert migrate(url) == []
        assert "[99]" in caplog.text
    finally:
        server.execute("DELETE FROM specagent_migrations WHERE version = 99", database=name)


async def test_workers_need_no_schema_rights_once_the_deployment_migrated(
    server: PostgresServer,
) -> None:
    """Least privilege: the deployment migrates as the owner; workers log in as a role that
    may only read and write the store's rows."""
    url = server.create_database()
    name = url.rsplit("/", 1)[1]
    server.execute("DROP ROLE IF EXISTS agent_worker")
    server.execute("CREATE ROLE agent_worker LOGIN")
    worker_url = f"postgresql://agent_worker@127.0.0.1:{server.port}/{name}"
    early = PostgresStore(worker_url)
    with pytest.raises(StoreError) as refused:
        await early.get("conversation", "c1")  # not migrated, and it may not migrate
    early.close()
    assert "permission denied" in str(refused.value) and "agent_worker@" in str(refused.value)

    assert migrate_store(url) == [m.version for m in MIGRATIONS]
    for grant in (
        "GRANT SELECT ON specagent_migrations TO agent_worker",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON specagent_records, specagent_audit"
        " TO agent_worker",
    ):
        server.execute(grant, database=name)
    worker = PostgresStore(worker_url)
    assert await worker.put("conversation", "c1", {"turn": 1}, version=0) == 1
    assert (await worker.audit(AuditEntry("c1", "fp", "host:a", "POST", "/o", "done"))).seq == 1
    worker.close()
    server.drop_database(url)
    server.execute("DROP ROLE agent_worker")


def test_the_audit_trail_refuses_updates_in_the_database(url: str, server: PostgresServer) -> None:
    store = PostgresStore(url)
    asyncio.run(store.audit(AuditEntry("c1", "fp", "host:a1", "POST", "/orders", "done 201")))
    store.close()
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        server.execute("UPDATE specagent_audit SET entry = '{}'", database=url.rsplit("/", 1)[1])


# --- the server goes away --------------------------------------------------------------------


async def test_an_unreachable_database_is_named_without_its_password() -> None:
    port = free_port()  # nothing listens there
    store = PostgresStore(f"postgresql://agent:hunter2@127.0.0.1:{port}/support", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        await store.put("conversation", "c1", {}, version=0)
    store.close()
    message = str(caught.value)
    assert time.monotonic() - started < 15
    assert message.startswith(f"postgresql://agent@127.0.0.1:{port}/support: cannot")
    assert "cannot be reached" in message and "hunter2" not in message


async def test_a_stopped_server_fails_each_call_then_the_store_recovers(
    store: FaultyStore, server: PostgresServer
) -> None:
    await store.put("conversation", "c1", {"turn": 1}, version=0)
    server.stop_server()
    try:
        with pytest.raises(StoreError) as saving:
            await store.put("conversation", "c1", {"turn": 2}, version=1)
        with pytest.raises(StoreError) as reading:
            await store.get("conversation", "c1")
    finally:
        server.start_server()
    assert store.where in str(saving.value) and "conversation 'c1'" in str(saving.value)
    assert "cannot be reached" in str(saving.value) and "nothing was saved" in str(saving.value)
    assert (saving.value.kind, saving.value.key) == ("conversation", "c1")
    assert "cannot read conversation 'c1'" in str(reading.value)
    found = await store.get("conversation", "c1")
    assert found is not None and (found.value, found.version) == ({"turn": 1}, 1)
    assert await store.put("conversation", "c1", {"turn": 2}, version=1) == 2


async def test_a_restart_between_calls_costs_no_error(
    store: FaultyStore, server: PostgresServer
) -> None:
    await store.put_many(batch(1))
    server.restart()  # every pooled connection is now dead
    assert await values(store) == [{"n": 1}] * 3
    await store.put_many(batch(2))
    assert await values(store) == [{"n": 2}] * 3


async def test_idle_connections_killed_cost_no_error(
    store: FaultyStore, server: PostgresServer
) -> None:
    await asyncio.gather(*(store.put("k", f"x{n}", n) for n in range(8)))  # several connections
    assert kill_idle(server) >= 1
    assert len(await store.scan("k")) == 8
    await store.put_many(batch(1))


async def test_a_restart_inside_a_transaction_is_one_error_then_recovery(
    store: FaultyStore, server: PostgresServer
) -> None:
    await store.put_many(batch(1))
    store.faults["written"] = lambda connection: server.restart()
    with pytest.raises(StoreError) as caught:
        await store.put_many(batch(2))
    assert "nothing was saved" in str(caught.value)
    assert "task_run 'r1' and 3 more records" in str(caught.value)
    assert await values(store) == [{"n": 1}] * 3
    assert [item.outcome for item in await store.audit_entries()] == ["done 1"]
    await store.put_many(batch(3))
    assert await values(store) == [{"n": 3}] * 3


async def test_a_connection_killed_inside_a_transaction_saves_nothing(
    store: FaultyStore, server: PostgresServer
) -> None:
    await store.put("conversation", "c1", {"n": 0}, version=0)
    store.faults["written"] = kill(server)  # the three records written, the audit entry not
    with pytest.raises(StoreError) as caught:
        await store.put_many(batch(1))
    message = str(caught.value)
    assert message.startswith(store.where) and "nothing was saved" in message
    assert "connection" in message
    assert await values(store) == [None, None, {"n": 0}]
    assert await store.audit_entries() == []
    await store.put_many(batch(2))  # the pool has replaced the connection
    assert await values(store) == [{"n": 2}] * 3


async def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(
    store: FaultyStore, server: PostgresServer
) -> None:
    store.faults["commit"] = kill(server)
    with pytest.raises(StoreError) as caught:
        await store.put_many(batch(1))
    assert "may or may not have been applied" in str(caught.value)
    assert "nothing was saved" not in str(caught.value)
    # Here it was not (the server was gone before COMMIT arrived): all or nothing either way.
    assert await values(store) in ([None] * 3, [{"n": 1}] * 3)


def test_connections_killed_at_random_leave_every_batch_whole(
    store: FaultyStore, server: PostgresServer
) -> None:
    """Batches of three records and an audit entry while another thread kills the store's
    connections in the middle of a transaction that has written (it has a transaction id):
    every batch is all there or not at all, and none is applied twice. Runs until a few kills
    have landed (bounded)."""
    stop = threading.Event()
    rng = random.Random(5)

    def killer() -> None:
        with psycopg.connect(server.url(), autocommit=True) as admin:
            while not stop.is_set():
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'specagent' AND backend_xid IS NOT NULL"
                )
                time.sleep(rng.uniform(0, 0.01))

    async def writes() -> tuple[int, int, int]:
        acknowledged, failures, n = 0, 0, 0
        while (failures < 5 or n < 50) and n < 3000:
            n += 1
            try:
                await store.put_many(batch(n))
                acknowledged = n
            except StoreError:
                failures += 1
            current = await read_when_possible()
            assert current[0] == current[1] == current[2], current  # all or nothing
            assert current[0] is None or current[0]["n"] >= acknowledged
        return acknowledged, failures, n

    async def read_when_possible() -> list[Any]:
        for _ in range(100):
            try:
                return await values(store)
            except StoreError:
                await asyncio.sleep(0.01)
        raise AssertionError("the store never recovered")

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        acknowledged, failures, batches = asyncio.run(writes())
    finally:
        stop.set()
        thread.join()
    print(f"{batches} batches, {failures} cut off by a killed connection")
    assert failures >= 5 and acknowledged > 0, (failures, batches)
    outcomes = [item.outcome for item in asyncio.run(store.audit_entries())]
    assert len(outcomes) == len(set(outcomes))  # no batch applied twice
    assert f"done {acknowledged}" in outcomes
    assert len(outcomes) >= batches - failures  # every acknowledged batch is there


# --- failover, a stuck worker, a full disk ---------------------------------------------------


async def test_a_read_only_database_after_a_failover_refuses_saves_by_name(
    store: FaultyStore, url: str, server: PostgresServer
) -> None:
    name = url.rsplit("/", 1)[1]
    await store.put("conversation", "c1", {"turn": 1}, version=0)
    server.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        kill_idle(server)  # the pool reconnects, to what is now a read-only server
        with pytest.raises(StoreError) as caught:
            await store.put("conversation", "c1", {"turn": 2}, version=1)
        found = await store.get("conversation", "c1")  # reads still work
    finally:
        server.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        kill_idle(server)
    assert "read-only" in str(caught.value) and "nothing was saved" in str(caught.value)
    assert found is not None and found.version == 1
    assert await store.put("conversation", "c1", {"turn": 2}, version=1) == 2


async def test_a_record_held_by_a_stuck_worker_times_out_by_name(url: str) -> None:
    store = PostgresStore(url, lock_timeout=0.3)
    with psycopg.connect(url, autocommit=True) as stuck:
        stuck.execute("BEGIN")
        stuck.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id("conversation", "c1"),))
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            await store.put("conversation", "c1", {"turn": 1}, version=0)
        waited = time.monotonic() - started
        assert await store.put("conversation", "c2", {"turn": 1}, version=0) == 1  # others go on
        stuck.execute("ROLLBACK")
    assert 0.25 < waited < 5
    assert "another worker holds the record" in str(caught.value)
    assert "conversation 'c1'" in str(caught.value) and "nothing was saved" in str(caught.value)
    assert await store.put("conversation", "c1", {"turn": 1}, version=0) == 1
    store.close()


async def test_a_full_disk_refuses_the_save_and_keeps_the_old_value(
    store: FaultyStore, url: str, server: PostgresServer
) -> None:
    await store.put("conversation", "c1", {"turn": 1}, version=0)
    filler = 0
    with pytest.raises(StoreError) as caught:
        while filler < 400:  # 400 x 64 KiB is more than the file size limit
            blob = base64.b64encode(os.urandom(48 * 1024)).decode()  # incompressible
            await store.put("filler", f"f{filler:04d}", blob, version=0)
            filler += 1
    assert filler > 10
    message = str(caught.value)
    assert "disk is full" in message and f"filler 'f{filler:04d}'" in message
    assert "nothing was saved" in message and store.where in message
    assert await store.get("filler", f"f{filler:04d}") is None
    assert (await store.get("conversation", "c1")) is not None

    # Space freed: the same save goes through.
    name = url.rsplit("/", 1)[1]
    server.execute("DELETE FROM specagent_records WHERE kind = 'filler'", database=name)
    server.execute("VACUUM specagent_records", database=name)
    blob = base64.b64encode(os.urandom(48 * 1024)).decode()
    assert await store.put("filler", f"f{filler:04d}", blob, version=0) == 1
    assert await store.put("conversation", "c1", {"turn": 2}, version=1) == 2


async def test_a_closed_store_says_so(url: str) -> None:
    store = PostgresStore(url)
    await store.put("k", "x", 1)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.get("k", "x")


# --- the agent on a full disk ----------------------------------------------------------------


def _fill_the_records_table(url: str) -> int:
    """Rows small enough to stay in the records table itself (not TOAST), until its file
    reaches the server's file size limit, then ever smaller ones into what is left of its
    pages: no new row version of any size fits anywhere. The number of rows written."""
    insert = (
        "INSERT INTO specagent_records (kind, key, version, value)"
        " SELECT 'filler', %s || g, 1, repeat('x', %s) FROM generate_series(1, %s) AS g"
    )
    written = 0
    with psycopg.connect(url, autocommit=True) as connection:
        for size, rows in ((900, 500), (900, 1), (90, 1), (9, 1)):
            for attempt in range(20_000):
                try:
                    connection.execute(insert, (f"{size}-{rows}-{attempt}-", size, rows))
                except psycopg.Error as exc:  # DiskFull, or "could not extend file"
                    assert "could not extend" in str(exc) or exc.sqlstate == "53100", exc
                    break
                written += rows
    return written


async def test_a_full_disk_fails_the_agents_turn_by_name_and_the_redelivery_cancels_once(
    url: str,
    server: PostgresServer,
    example_package: Any,
    petstore: Any,
    fake_model: Any,
) -> None:
    """The example petstore agent on this file-size-limited server: the customer's yes arrives
    when the disk is full. Which of the turn's writes fails first depends on where PostgreSQL
    still finds room (an update that fits in its row's page goes through on a full disk), so
    the turn fails before the DELETE or after it, when its outcome is to be saved; either way
    with a `StoreError` naming the database and the disk, the failed write saved nothing, and
    once space is freed the redelivered yes tells the customer it is cancelled with one
    cancellation (from the saved outcome, or a repeat of the DELETE with the same
    Idempotency-Key that finds it gone)."""
    from specagent_runtime import ApiKey, Identity  # noqa: PLC0415

    from tests.support.fake_openai import call  # noqa: PLC0415

    customer = Identity(username="user1", verified=True)
    store = PostgresStore(url, timeout=2.0)
    client = example_package.AsyncClient(
        petstore.base_url, credentials={"api_key": ApiKey(petstore.api_key)}
    )
    model = fake_model.client()
    agent = example_package.build_agent(
        client, model="fake-model", openai_client=model, store=store
    )
    name = url.rsplit("/", 1)[1]
    try:
        fake_model.add(call("cancel_order", order_id=2))
        asked = await agent.respond("c1", "Please cancel my order 2", identity=customer)
        assert asked.text == "Cancel order 2 for 2 item(s)?"
        before = await store.load("c1")
        assert _fill_the_records_table(url) > 500

        with pytest.raises(StoreError) as caught:
            await agent.respond("c1", "yes", identity=customer, message_id="m2")

        message = str(caught.value)
        assert "disk is full" in message and "nothing was saved" in message, message
        assert store.where in message
        sent = [request.status for request in petstore.requests("/store/order", method="DELETE")]
        assert sent in ([], [200]), sent
        if not sent:
            assert await store.load("c1") == before  # failed first: nothing of the turn saved

        server.execute("DELETE FROM specagent_records WHERE kind = 'filler'", database=name)
        server.execute("VACUUM specagent_records", database=name)
        again = await agent.respond("c1", "yes", identity=customer, message_id="m2")
        assert again.text == "Order 2 is cancelled."
        deletes = petstore.requests("/store/order", method="DELETE")
        statuses = [request.status for request in deletes]
        assert statuses.count(200) == 1 and set(statuses) <= {200, 404}, statuses
        stored = await store.load("c1")
        assert stored is not None
        said = [m["content"] for m in stored.value["messages"] if m["role"] == "user"]
        assert said == ["Please cancel my order 2", "yes"]
    finally:
        await client.aclose()
        await model.close()
        store.close()
        server.execute("TRUNCATE specagent_records", database=name)
