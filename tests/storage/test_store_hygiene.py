"""What the SQLite store file holds and who may read it (issue 15; tests/faults/README.md lists
each attack): its permissions, credentials, retention (`purge`) and the audit trail.

The store is written by webhook worker processes (tests/faults/_worker.py, umask 022 as a
service typically has) driving the generated shop package; the witnesses are the file's mode
bits, the bytes of the file with its write-ahead log, and what the public API returns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import json
import re
import sqlite3
import stat
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from specagent_runtime import SQLiteStore

from tests.faults._delivery import CUSTOMER, Env, describe, store_bytes
from tests.faults._shop import API_KEY

SECRET_FORMS = {
    "raw": API_KEY,
    "percent-encoded": quote(API_KEY, safe=""),
    "json-escaped": API_KEY.replace("/", "\\/").replace("+", "\\u002b"),
    "base64": base64.b64encode(API_KEY.encode()).decode(),
}


def forms_in(data: bytes) -> list[str]:
    """The encodings of the API key found in `data`, as they are or inside JSON strings nested
    up to three deep (the store keeps JSON, the model's requests carry JSON tool results in
    JSON: each level doubles a backslash); case-insensitive for percent-encoding."""
    lowered = data.lower()
    found = []
    for name, form in SECRET_FORMS.items():
        variants = [form]
        for _ in range(3):
            variants.append(json.dumps(variants[-1])[1:-1])
        if any(variant.lower().encode() in lowered for variant in variants):
            found.append(name)
    return found


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


# --- permissions ------------------------------------------------------------------------------


def test_the_store_file_and_its_logs_are_readable_by_the_owner_only(eo: Env) -> None:
    worker = eo.spawn()
    c = eo.conversation()
    worker.respond(c, "Please cancel order 7.", f"{c}-1")
    assert eo.store.exists()
    # Another process holds the file open (as the other workers do), so the write-ahead log
    # and its index stay on disk while the worker writes: they must be as private.
    with contextlib.closing(sqlite3.connect(eo.store)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        done = worker.respond(c, "yes", f"{c}-2")
        assert done.text == "Order 7 is cancelled.", describe([done])
        files = [Path(str(eo.store) + suffix) for suffix in ("", "-wal", "-shm")]
        modes = {path.name: mode(path) for path in files if path.exists()}
        reader.execute("ROLLBACK")
    assert len(modes) == 3, modes
    assert all(value == "0o600" for value in modes.values()), modes


# --- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["raw", "percent-encoded", "json-escaped"],
)
def test_an_api_key_echoed_in_an_error_is_not_stored(eo: Env, form: str) -> None:
    eo.api.echo_key_in_errors(SECRET_FORMS[form])
    worker = eo.spawn()
    c = eo.conversation()
    reply = worker.respond(c, "Where is order 66?", f"{c}-1")
    assert reply.outcome == "reply", reply.describe()
    assert "get_order" in reply.text  # the lookup ran and the model relayed its error
    worker.close()
    assert forms_in(store_bytes(eo.store)) == [], "the store holds the API key"
    assert forms_in(eo.model.everything().encode()) == [], "the model was shown the API key"


def test_a_consequential_action_stores_no_credential(eo: Env) -> None:
    """Audit entries record the request sent (issue 15): never with its credentials."""
    worker = eo.spawn()
    for text, message in (("Cancel order 8 now, please.", "1"), ("yes", "2")):
        worker.respond("c", text, f"c-{message}")
    c = eo.conversation()
    worker.respond(c, "Please cancel order 7.", f"{c}-1")
    worker.respond(c, "yes", f"{c}-2")
    worker.close()
    assert eo.api.effects() == [("cancel", 8), ("cancel", 7)]
    assert all(s.header("x-api-key") == API_KEY for s in eo.api.seen())  # it was in use
    assert forms_in(store_bytes(eo.store)) == []


def test_control_the_byte_search_finds_what_the_store_holds(eo: Env) -> None:
    """The witness of the two attacks above sees a key the store did keep, in any encoding,
    whether it sits in the file or still in the write-ahead log."""
    store = SQLiteStore(eo.store)
    with contextlib.closing(sqlite3.connect(eo.store)) as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # keeps the log
        for name, form in SECRET_FORMS.items():
            asyncio.run(store.put("control", name, {"echo": form}))
        found = forms_in(store_bytes(eo.store))
        reader.execute("ROLLBACK")
    assert found == list(SECRET_FORMS)


# --- retention --------------------------------------------------------------------------------


async def _purge(store: SQLiteStore, seconds: float) -> Any:
    """`store.purge(older_than=...)` (planned), with a timedelta or seconds, whichever it takes."""
    purge = getattr(store, "purge", None)
    if purge is None:
        raise AssertionError("SQLiteStore has no purge(older_than=...) (planned by issue 15)")
    try:
        result = purge(older_than=timedelta(seconds=seconds))
        if inspect.isawaitable(result):
            result = await result
    except TypeError:
        result = purge(older_than=seconds)
        if inspect.isawaitable(result):
            result = await result
    return result


PURGE_AGE = 1.5  # seconds: the new conversation is purged no later than this after its save


def _old_and_new(eo: Env) -> tuple[str, str]:
    worker = eo.spawn()
    old = eo.conversation("old")
    worker.respond(old, "Please cancel order 7.", f"{old}-1")
    assert worker.respond(old, "yes", f"{old}-2").text == "Order 7 is cancelled."
    time.sleep(PURGE_AGE + 1.0)  # older than PURGE_AGE by a second, however slow the machine
    new = eo.conversation("new")
    asked = worker.respond(new, "Please cancel order 9.", f"{new}-1")
    assert asked.text == "Cancel order 9?", describe([asked])
    worker.close()
    return old, new


@pytest.mark.slow
def test_purge_removes_old_conversations_and_their_runs_and_keeps_recent_ones(eo: Env) -> None:
    old, new = _old_and_new(eo)
    store = SQLiteStore(eo.store)
    asyncio.run(_purge(store, PURGE_AGE))

    assert asyncio.run(store.load(old)) is None
    assert asyncio.run(store.load(new)) is not None
    worker = eo.spawn()
    assert worker.runs(old) == []
    assert [run["status"] for run in worker.runs(new)] == ["waiting_confirmation"]
    # The recent conversation goes on as if nothing happened.
    assert worker.respond(new, "yes", f"{new}-2").text == "Order 9 is cancelled."


@pytest.mark.slow
def test_purged_conversations_are_gone_from_the_file(eo: Env) -> None:
    _old_and_new(eo)
    assert b"Please cancel order 7." in store_bytes(eo.store)  # the control: it was there
    asyncio.run(_purge(SQLiteStore(eo.store), PURGE_AGE))

    assert b"Please cancel order 7." not in store_bytes(eo.store), "readable in the file"
    assert b"Please cancel order 9." in store_bytes(eo.store)


# --- the audit trail --------------------------------------------------------------------------


def _fields(value: Any, key: str = "") -> list[tuple[str, Any]]:
    """Every (key, value) pair of an entry, nested ones too."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _fields(v, str(k))]
    if isinstance(value, list):
        return [pair for v in value for pair in _fields(v, key)]
    return [(key, value)]


def _fingerprinted(entry: Any) -> bool:
    """The entry names the identity by a fingerprint: a field called like it, holding text
    that is not the raw identity."""
    return any(
        ("fingerprint" in key.lower() or "identity" in key.lower())
        and isinstance(value, str)
        and len(value) >= 8
        and CUSTOMER["username"] not in value
        for key, value in _fields(entry)
    )


@pytest.mark.xfail(
    strict=True,
    reason="issue 15: the store has an audit trail, but the agent records no entry and has no "
    "audit_entries",
)
def test_each_consequential_action_has_one_audit_entry_naming_what_confirmed_it(eo: Env) -> None:
    one, two = eo.spawn(), eo.spawn()
    tool, task, button = eo.conversation("tool"), eo.conversation("task"), eo.conversation("btn")
    one.respond(tool, "Cancel order 8 now, please.", f"{tool}-1")
    # The customer's yes, delivered twice at once: still one action, so one entry.
    pending = [
        one.respond_later(tool, "yes", f"{tool}-2"),
        two.respond_later(tool, "yes", f"{tool}-2"),
    ]
    replies = [p.result() for p in pending]
    one.respond(task, "Please cancel order 7.", f"{task}-1")
    one.respond(task, "yes", f"{task}-2")
    asked = one.respond(button, "Cancel order 9 now, please.", f"{button}-1")
    action = asked.first("confirmation_requested")
    assert action is not None
    one.confirm_later(button, str(action["action_id"]), f"{button}-press").result()
    assert sorted(eo.api.effects()) == [("cancel", 7), ("cancel", 8), ("cancel", 9)], describe(
        replies
    )

    for conversation, order, confirmed_by in (
        (tool, 8, f"{tool}-2"),
        (task, 7, f"{task}-2"),
        (button, 9, f"{button}-press"),
    ):
        entries = one.audit(conversation)
        actions = [e for e in entries if "DELETE" in json.dumps(e)]
        assert len(actions) == 1, (conversation, entries)
        text = json.dumps(actions[0], sort_keys=True)
        assert conversation in text, text
        assert re.search(rf"/orders/(\{{orderId\}}\D.*)?\b{order}\b", text), text
        # What confirmed it: the customer's message id, or the host's button (its id or
        # the word "host").
        assert confirmed_by in text or (conversation == button and "host" in text), text
        assert CUSTOMER["username"] not in text, "the audit holds the raw identity"
        assert _fingerprinted(actions[0]), text
        assert forms_in(text.encode()) == [], "the audit holds the API key"
