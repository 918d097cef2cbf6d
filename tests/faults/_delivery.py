"""The harness of the exactly-once suite (issue 15): the generated shop package, its API, a
scripted model, and webhook worker processes that share one store and nothing else: a SQLite
file, or a PostgreSQL database on the session's server (issue 18). The `eo` fixture is
parametrized over both (ids ``sqlite`` and ``postgres``); a test that is about the SQLite file
itself narrows it with ``@pytest.mark.parametrize("eo", ["sqlite"], indirect=True)``.

Only public interfaces are driven: `specagent.generate` makes the package from
`specs/shop.yaml` and `specs/shop_agent.yaml`; each worker (`_worker.py`, a separate process)
builds the agent with the package's `build_agent` and calls `Agent.respond/confirm/
confirm_task`; the witnesses are the shop API's request log (`_shop.ShopApi.effects()`), the
requests the model received, the replies the host got, and the bytes of the store file.

    def test_something(eo: Env) -> None:
        one, two = eo.spawn(), eo.spawn()
        first, second = at_once(one.respond_later("c", "yes", "m2"), two.respond_later(...))
        assert eo.api.effects() == [("cancel", 7)]

The servers and the fork server are started once per test session (module singletons, shared
by tests/faults, tests/storage and tests/load); each test gets a fresh API state, a fresh
model log and its own store: a file in its tmp_path, or the module's PostgreSQL database
emptied before the test (copies for crash snapshots are databases made from it as a template,
dropped after the test).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from specagent import GenerateOptions, generate, ir

from tests.adversarial._model import AttackerModel
from tests.support.fake_openai import Turn, call, say
from tests.support.postgres import PostgresServer
from tests.support.stores import SHARED_KINDS, empty_postgres

from ._shop import API_KEY, ShopApi

# With SPECAGENT_FAULT_FIGURES=<file>, every delivery with a message id, every crash and every
# kill -9 is appended to that file (one JSON line each, with the test's id): docs/security.md's
# "deliveries duplicated" and "crashes injected" are counted from it.
_FIGURES = os.environ.get("SPECAGENT_FAULT_FIGURES")


def _figure(kind: str, *parts: Any) -> None:
    if _FIGURES:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        with open(_FIGURES, "a", encoding="utf-8") as file:
            file.write(json.dumps([kind, test, *parts]) + "\n")


HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SPECS = HERE / "specs"
PACKAGE = "eo_shop"
CUSTOMER = {"username": "ada-lovelace-77"}  # distinctive: found by a substring search
CRASH_EXIT = 17
# The lease lifetime the crash tests ask for (when the runtime takes one): a killed worker's
# lease must expire before the redelivery can be taken, and the suite should not wait long.
CRASH_LEASE_TTL = 0.3

TASK_CANCELLED = "Order {order} is cancelled."
HANDOFF_WORDS = re.compile(r"(?i)colleague|human|unknown|could not tell|not sure whether")
# What a reply must not say about an action that went through.
FAILURE_WORDS = re.compile(r"did not work|NOT DONE:")  # the engine's and the model's words
ALREADY = re.compile(r"(?i)already (been )?(carried out|done|cancell?ed|placed)")


# --- the generated package --------------------------------------------------------------------


def _generate(root: Path) -> None:
    result = generate(SPECS / "shop.yaml", SPECS / "shop_agent.yaml", PACKAGE, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    if not result.ok or errors:
        raise AssertionError("the shop package did not generate:\n" + "\n".join(errors))
    for relative, text in result.files.items():
        target = root / PACKAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


# --- the fork server and its workers ----------------------------------------------------------


class WorkerDied(AssertionError):
    """The worker process ended before it answered (it crashed as injected, or broke)."""


class Zygote:
    """`python -m tests.faults._worker`: imports once, forks a worker per `spawn`."""

    def __init__(self, root: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.faults._worker", str(root), PACKAGE],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()

    def fork(self, options: Mapping[str, Any]) -> int:
        with self._lock:
            stdin, stdout = self.process.stdin, self.process.stdout
            assert stdin is not None and stdout is not None
            stdin.write(json.dumps(dict(options)) + "\n")
            stdin.flush()
            line = stdout.readline()
        if not line:
            raise RuntimeError(f"the worker fork server died (exit {self.process.poll()})")
        return int(json.loads(line)["pid"])

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Delivery:
    """What the host got back for one delivery: a reply, a raised error, or nothing (the
    worker died)."""

    outcome: str  # "reply" | "error" | "died"
    text: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    duplicate: bool | None = None
    error: dict[str, Any] = field(default_factory=dict)
    writes: int = 0
    crashed_at: str = ""

    @property
    def posted(self) -> bool:
        """A channel posts a reply unless the runtime marked it a duplicate (planned)."""
        return self.outcome == "reply" and self.duplicate is not True

    def kinds(self) -> list[str]:
        return [str(event.get("kind")) for event in self.events]

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((e for e in self.events if e.get("kind") == kind), None)

    def refused(self) -> bool:
        """Raised one of the runtime's refusals (`AgentError`, `TaskError`)."""
        bases = self.error.get("bases", [])
        return self.outcome == "error" and ("AgentError" in bases or "TaskError" in bases)

    def describe(self) -> str:
        if self.outcome == "reply":
            flag = " (duplicate)" if self.duplicate else ""
            return f"reply{flag} {self.text!r} events={self.kinds()}"
        if self.outcome == "error":
            return f"raised {self.error.get('type')}: {self.error.get('message')}"
        return f"died ({self.crashed_at or 'no answer'})"


class Worker:
    """One webhook worker process, driven over a Unix socket."""

    _numbers = itertools.count(1)

    def __init__(self, zygote: Zygote, folder: Path, options: Mapping[str, Any]) -> None:
        number = next(self._numbers)
        path = folder / f"w{number}.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        listener.listen(1)
        listener.settimeout(20)
        self.log = folder / f"w{number}.log"
        self.pid = zygote.fork({**options, "socket": str(path), "log": str(self.log)})
        try:
            self._conn, _ = listener.accept()
        finally:
            listener.close()
            path.unlink(missing_ok=True)
        self._answers: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self.dead = False
        self.crashed_at = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self._wait(lambda: self._ready is not None, 30)
        if not ready or self._ready is None:
            raise WorkerDied(f"worker {self.pid} did not start: {self.log_text()}")
        self.accepts: dict[str, Any] = self._ready["accepts"]

    _ready: dict[str, Any] | None = None

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self._conn.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                data = json.loads(line)
                with self._cond:
                    if "ready" in data:
                        self._ready = data
                    elif "crashing" in data:
                        self.crashed_at = str(data["crashing"])
                        _figure("crash", self.crashed_at)
                    else:
                        self._answers[int(data["id"])] = data
                    self._cond.notify_all()
        with self._cond:
            self.dead = True
            self._cond.notify_all()

    def _wait(self, ready: Any, timeout: float) -> bool:
        with self._cond:
            return bool(self._cond.wait_for(lambda: ready() or self.dead, timeout))

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        except OSError:
            return ""

    # --- commands -----------------------------------------------------------------------------

    def send(self, op: str, **fields: Any) -> int:
        number = next(self._ids)
        if fields.get("message_id"):
            _figure("delivery", op, fields.get("conversation"), fields["message_id"])
        line = json.dumps({"id": number, "op": op, **fields}) + "\n"
        try:
            self._conn.sendall(line.encode())
        except OSError:
            pass  # dead: the answer never comes, `result` says so
        return number

    def answer(self, number: int, timeout: float = 30) -> dict[str, Any] | None:
        """The raw answer to command `number`, or None if the worker died first."""
        self._wait(lambda: number in self._answers, timeout)
        with self._cond:
            if number in self._answers:
                return self._answers.pop(number)
        if not self.dead:
            raise AssertionError(f"worker {self.pid} did not answer in {timeout} s")
        return None

    def result(self, number: int, timeout: float = 30) -> Delivery:
        data = self.answer(number, timeout)
        if data is None:
            return Delivery("died", crashed_at=self.crashed_at)
        if "error" in data:
            return Delivery("error", error=data["error"], writes=int(data.get("writes", 0)))
        reply = data["reply"]
        return Delivery(
            "reply",
            text=str(reply["text"]),
            events=list(reply["events"]),
            duplicate=reply.get("duplicate"),
            writes=int(data.get("writes", 0)),
        )

    def respond_later(
        self,
        conversation: str,
        message: str,
        message_id: str | None,
        *,
        identity: Mapping[str, str] | None = CUSTOMER,
        **flags: Any,
    ) -> Pending:
        number = self.send(
            "respond",
            conversation=conversation,
            message=message,
            message_id=message_id,
            identity=dict(identity) if identity else None,
            **flags,
        )
        return Pending(self, number)

    def respond(
        self,
        conversation: str,
        message: str,
        message_id: str | None,
        *,
        identity: Mapping[str, str] | None = CUSTOMER,
        **flags: Any,
    ) -> Delivery:
        return self.respond_later(
            conversation, message, message_id, identity=identity, **flags
        ).result()

    def confirm_later(
        self, conversation: str, action_id: str, message_id: str | None, **flags: Any
    ) -> Pending:
        number = self.send(
            "confirm",
            conversation=conversation,
            action_id=action_id,
            message_id=message_id,
            identity=dict(CUSTOMER),
            **flags,
        )
        return Pending(self, number)

    def confirm_task_later(
        self, conversation: str, run_id: str, message_id: str | None, **flags: Any
    ) -> Pending:
        number = self.send(
            "confirm_task",
            conversation=conversation,
            run_id=run_id,
            approved=True,
            message_id=message_id,
            identity=dict(CUSTOMER),
            **flags,
        )
        return Pending(self, number)

    def runs(self, conversation: str) -> list[dict[str, Any]]:
        data = self.answer(self.send("runs", conversation=conversation))
        if data is None or "error" in data:
            raise AssertionError(f"runs failed: {data}")
        return list(data["runs"])

    def audit(self, conversation: str) -> list[Any]:
        """The planned audit trail; raises AssertionError where the runtime has none."""
        data = self.answer(self.send("audit", conversation=conversation))
        if data is None or "error" in data:
            raise AssertionError(f"the audit trail could not be read: {data}")
        return list(data["audit"])

    # --- life ---------------------------------------------------------------------------------

    def kill(self) -> None:
        """kill -9, then wait until its socket is closed."""
        _figure("kill")
        self._sigkill()

    def _sigkill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._wait(lambda: False, 10)

    def close(self) -> None:
        if not self.dead:
            self.send("exit")
            if not self._wait(lambda: False, 10):
                self._sigkill()  # a worker that would not exit: cleanup, not an attack
        with contextlib.suppress(OSError):
            self._conn.close()


@dataclass
class Pending:
    worker: Worker
    number: int

    def result(self, timeout: float = 30) -> Delivery:
        return self.worker.result(self.number, timeout)


def at_once(*pending: Pending) -> list[Delivery]:
    """The results of deliveries sent back to back (the same moment, give or take 1 ms)."""
    return [item.result() for item in pending]


# --- the model --------------------------------------------------------------------------------


class ShopModel(AttackerModel):
    """The model, as a function of the request (the same in every worker process).

    A request to cancel "now" calls the `cancel_now` tool; "cancel order N" starts the
    `cancel_order` task; "order item N" starts `place_order`; "where is order N" looks it up;
    "thanks" is answered. Any other customer message (a "yes", an answer) gets the attacker's
    move: the model repeats its last action call (tool or task), as a model that takes "yes"
    as its cue would. After a tool result it relays that result, faithfully: "DONE: ..." only
    when the runtime told it the action went through (status ok, or "already carried out"),
    "PROPOSED: ..." for a confirmation request, "NOT DONE: ..." otherwise. So the reply text is
    a witness of what the runtime told the model.
    """

    ACTIONS = ("cancel_now", "cancel_order", "place_order")
    delay = 0.0  # seconds per completion: a real model takes that long, and races widen

    def reset(self) -> None:
        super().reset()
        self.delay = 0.0

    def choose(self, body: dict[str, Any]) -> Turn:
        if self.delay:
            time.sleep(self.delay)  # each request has its own server thread
        return super().choose(body)

    def _choose(self, body: dict[str, Any]) -> tuple[Turn, tuple[str, int] | None]:
        messages = body.get("messages", [])
        last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
        after = messages[last_user + 1 :]
        results = [m for m in after if m.get("role") == "tool"]
        if results:
            return self._relay(messages, results[-1]), None
        text = str(messages[last_user].get("content") or "") if last_user >= 0 else ""
        if found := re.search(r"(?i)cancel order (\d+) now", text):
            return call("cancel_now", orderId=int(found.group(1))), None
        if found := re.search(r"(?i)cancel order (\d+)", text):
            return call("cancel_order", order_id=int(found.group(1))), None
        if found := re.search(r"(?i)order item (\d+)", text):
            return call("place_order", item=int(found.group(1))), None
        if found := re.search(r"(?i)where is order (\d+)", text):
            return call("get_order", orderId=int(found.group(1))), None
        if re.search(r"(?i)thank", text):
            return say("You're welcome."), None
        for message in reversed(messages[:last_user]):
            for item in reversed(message.get("tool_calls") or []):
                function = item.get("function", {})
                if function.get("name") in self.ACTIONS:
                    arguments = json.loads(function.get("arguments") or "{}")
                    return call(function["name"], arguments), None
        return say("All right."), None

    @staticmethod
    def _relay(messages: list[dict[str, Any]], result: dict[str, Any]) -> Turn:
        try:
            envelope = json.loads(result.get("content") or "{}")
        except ValueError:
            envelope = {}
        arguments: dict[str, Any] = {}
        for message in messages:
            for item in message.get("tool_calls") or []:
                if item.get("id") == result.get("tool_call_id"):
                    arguments = json.loads(item["function"].get("arguments") or "{}")
        order = arguments.get("orderId", arguments.get("order_id", "?"))
        tool, status = envelope.get("tool"), envelope.get("status")
        note = str(envelope.get("message") or "")
        if status == "confirmation_required":
            return say(f"PROPOSED: {tool} for order {order}. Shall I? Please say yes.")
        if status == "ok" or ALREADY.search(note):
            return say(f"DONE: {tool} for order {order} went through.")
        return say(f"NOT DONE: {tool} for order {order}: {note}")

    def asked_about(self, text: str) -> int:
        """How many requests the model got whose last customer message is `text`."""
        count = 0
        with self._lock:
            for body in self.requests:
                users = [m for m in body.get("messages", []) if m.get("role") == "user"]
                if users and str(users[-1].get("content")) == text:
                    count += 1
        return count

    def count(self) -> int:
        with self._lock:
            return len(self.requests)


# --- the session's servers and the per-test environment --------------------------------------


@dataclass
class _Session:
    root: Path
    api: ShopApi
    model: ShopModel
    zygote: Zygote


_session: _Session | None = None


def _start_session() -> _Session:
    global _session  # noqa: PLW0603 - one set of servers for the whole test session
    if _session is None:
        root = Path(tempfile.mkdtemp(prefix="eo-"))  # short: Unix socket paths live here
        _generate(root)
        api = ShopApi().start()
        model = ShopModel()
        model.start()
        zygote = Zygote(root)
        _session = _Session(root, api, model, zygote)

        def stop() -> None:
            zygote.stop()
            model.stop()
            api.stop()
            shutil.rmtree(root, ignore_errors=True)

        atexit.register(stop)
    return _session


@dataclass
class Env:
    """One test's world: the API (fresh), the model (fresh log), a store, workers.

    `store` is where the workers' store lives, as `open_store` takes it: a SQLite file's path
    or a ``postgresql://`` URL (`kind` says which; `server` is the PostgreSQL server)."""

    api: ShopApi
    model: ShopModel
    zygote: Zygote
    folder: Path  # the test's tmp_path: store files
    sockets: Path  # short paths for the workers' sockets
    store: str
    kind: str = "sqlite"
    server: PostgresServer | None = None
    workers: list[Worker] = field(default_factory=list)
    conversations: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    databases: list[str] = field(default_factory=list)  # copies made by `copy_store`

    def spawn(self, store: str | Path | None = None, **options: Any) -> Worker:
        """A new worker on `store` (the test's store by default). Options: `lease_ttl`,
        `crash_after_writes`, `crash_request`."""
        worker = Worker(
            self.zygote,
            self.sockets,
            {
                "store": str(store or self.store),
                "api": self.api.base_url,
                "model": self.model.base_url,
                "api_key": API_KEY,
                **options,
            },
        )
        self.workers.append(worker)
        return worker

    def conversation(self, name: str = "c") -> str:
        return f"{name}-{next(self.conversations)}"

    def copy_store(self, source: str, name: str) -> str:
        """A copy of the store at `source` (no worker may have it open), as it is now: the
        SQLite file with its logs, or a PostgreSQL database made from it as a template."""
        if self.server is None:
            target = self.folder / name
            target.mkdir()
            copy = target / Path(source).name
            # SQLite's backup: the file with what its write-ahead log holds, consistent even
            # while a worker that just closed is still checkpointing and removing the log.
            with (
                contextlib.closing(sqlite3.connect(source)) as reader,
                contextlib.closing(sqlite3.connect(copy)) as writer,
            ):
                reader.backup(writer)
            return str(copy)
        url = self.server.copy_database(source)
        self.databases.append(url)
        return url

    def store_bytes(self, store: str | None = None) -> bytes:
        """What the store holds, as bytes to search: the SQLite file with its logs, or for
        PostgreSQL every row of the store's tables and the database's files on disk after a
        checkpoint (the tables were emptied before the test, so only its own rows are there)."""
        location = store or self.store
        if self.server is None:
            return store_bytes(Path(location))
        return self.server.database_bytes(location)

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers.clear()
        for url in self.databases:
            assert self.server is not None
            self.server.drop_database(url)
        self.databases.clear()


@pytest.fixture(params=SHARED_KINDS)
def eo(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Env]:
    session = _start_session()
    session.api.reset()
    session.model.reset()
    sockets = Path(tempfile.mkdtemp(prefix="s", dir=session.root))
    kind = str(request.param)
    server: PostgresServer | None = None
    if kind == "postgres":
        server = request.getfixturevalue("postgres_server")
        store = str(request.getfixturevalue("postgres_store_url"))
        empty_postgres(store)
    else:
        store = str(tmp_path / "agent.sqlite3")
    env = Env(session.api, session.model, session.zygote, tmp_path, sockets, store, kind, server)
    try:
        yield env
    finally:
        env.close()
        session.api.reset()  # lets any held request go
        shutil.rmtree(sockets, ignore_errors=True)


# --- readings of what the customer was told ---------------------------------------------------


def posted_text(deliveries: Iterable[Delivery]) -> str:
    """Everything a channel would have posted to the customer, in order."""
    return "\n".join(d.text for d in deliveries if d.posted)


def untruths(deliveries: Iterable[Delivery]) -> list[str]:
    """For an action that went through and whose outcome the runtime knows: replies that hand
    off, call the outcome unknown or say it failed, and errors raised to the host."""
    found = []
    for delivery in deliveries:
        if delivery.outcome == "error":
            found.append(delivery.describe())
        elif delivery.outcome == "reply" and (
            "handoff_requested" in delivery.kinds()
            or HANDOFF_WORDS.search(delivery.text)
            or FAILURE_WORDS.search(delivery.text)
        ):
            found.append(delivery.describe())
    return found


def describe(deliveries: Iterable[Delivery]) -> str:
    return "; ".join(d.describe() for d in deliveries)


def none(problems: list[str]) -> None:
    """Assert an attack found nothing, with every problem on its own line."""
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def wait_for_lease(worker: Worker) -> None:
    """After a crash: wait for the dead worker's leases to expire (when it had any)."""
    if worker.accepts.get("lease"):
        time.sleep(CRASH_LEASE_TTL * 1.5)


def store_bytes(path: Path) -> bytes:
    """The store file and its write-ahead log and shared memory, as they are on disk."""
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(str(path) + suffix)
        if candidate.exists():
            data += candidate.read_bytes()
    return data
