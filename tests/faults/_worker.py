"""Webhook workers of the exactly-once suite: separate processes sharing one SQLite store file,
each forked from one server process that imported everything once.

    python -m tests.faults._worker PACKAGE_ROOT PACKAGE

Importing the runtime, the openai SDK and a generated package takes about 2 s here; the suite
starts some hundred workers (two per delivery race, two per injected crash), so this server
imports them once and forks a worker for each line `{"socket": ..., "store": ..., ...}` on its
stdin, answering `{"pid": N}`. A worker is a real process: its own event loop, HTTP pools and
SQLite connections, killed with SIGKILL like any other. It connects to the Unix socket the test
listens on, says READY (with which planned keywords the runtime accepts), then runs commands,
several at once, one JSON line each, and answers each with a JSON line carrying its `id`:

    {"id": 1, "op": "respond", "conversation": "c", "message": "yes", "message_id": "m2",
     "identity": {"username": "ada"}}                      -> {"id": 1, "reply": {...}}
    {"id": 2, "op": "confirm", "conversation": "c", "action_id": "...", "identity": {...}}
    {"id": 3, "op": "confirm_task", "conversation": "c", "run_id": "...", "approved": true}
    {"id": 4, "op": "runs", "conversation": "c"}         -> {"id": 4, "runs": [...]}
    {"id": 5, "op": "audit", "conversation": "c"}        -> {"id": 5, "audit": [...]}
    {"id": 6, "op": "writes"}                            -> {"id": 6, "writes": 14}

Every answer also carries `writes`: the store writes since the last command that had a
`crash_after_writes` key (null: only count them).

A failed command answers `{"id": N, "error": {"type": ..., "bases": [...], "message": ...}}`.

Crashes (the process exits at once with status 17, no cleanup, as under kill -9):
`crash_after_writes: N` (at spawn, or on a command: counted from that command's start) right
after the store's N-th write returned (every public write method
of `SQLiteStore` counts once, however it is built internally); `crash_request: {"method",
"path", "when": "before"|"after"}` in the API client's transport, before the matching request is
sent or after its response was read (before the runtime can save what it learnt); a command's
`"crash_before_reply": true` after the runtime answered it and before the answer reaches the
host. Only public interfaces are used: the generated package's `AsyncClient` and `build_agent`,
and `specagent_runtime`'s top-level names.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import importlib
import inspect
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import httpx2
import openai
import specagent_runtime
from specagent_runtime import ApiKey, Identity, SQLiteStore

CRASH_EXIT = 17
# Store methods that change the file (whichever of them the runtime's SQLiteStore has): the
# planned atomic multi-record save, leases and the audit trail included.
WRITE_METHODS = (
    "put",
    "put_many",
    "delete",
    "save",
    "audit",
    "append_audit",
    "record_audit",
    "acquire",
    "renew",
    "release",
    "acquire_lease",
    "renew_lease",
    "release_lease",
    "purge",
)
# The planned lease-lifetime keyword, under the spellings a fixer may choose.
LEASE_KEYWORDS = ("lease_ttl", "lease_seconds", "lease_timeout", "lease_duration")

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("store_write_depth", default=0)
_crash: dict[str, Any] = {"after": None, "writes": 0, "fd": None}


def accepts(function: Any, name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def announce(data: Mapping[str, Any]) -> None:
    """A last line to the test before dying (written straight to the socket)."""
    fd = _crash["fd"]
    if fd is not None:
        try:
            os.write(fd, (json.dumps(dict(data)) + "\n").encode())
        except OSError:
            pass


def die(where: str) -> None:
    announce({"crashing": where})
    os._exit(CRASH_EXIT)


def _counted(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _depth.set(_depth.get() + 1)
        try:
            result = await method(self, *args, **kwargs)
        finally:
            _depth.reset(token)
        if _depth.get() == 0:  # the outermost write: one save, however it is built
            _crash["writes"] += 1
            if _crash["writes"] == _crash["after"]:
                die(f"after write {_crash['writes']} ({method.__name__})")
        return result

    return write


def _crashing_store_class() -> type[SQLiteStore]:
    namespace = {
        name: _counted(getattr(SQLiteStore, name))
        for name in WRITE_METHODS
        if inspect.iscoroutinefunction(getattr(SQLiteStore, name, None))
    }
    return type("CrashingStore", (SQLiteStore,), namespace)


CrashingStore = _crashing_store_class()


class CrashTransport(httpx.AsyncBaseTransport):
    """The API client's transport: dies before a matching request is sent, or after its
    response arrived (read whole) and before the runtime sees it."""

    def __init__(self, rule: Mapping[str, str] | None) -> None:
        self.inner = httpx.AsyncHTTPTransport(verify=False)
        self.rule = rule

    def _hit(self, request: httpx.Request) -> str | None:
        rule = self.rule
        if rule is None or request.method != rule["method"]:
            return None
        return rule["when"] if re.fullmatch(rule["path"], request.url.path) else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        hit = self._hit(request)
        if hit == "before":
            die(f"before sending {request.method} {request.url.path}")
        response = await self.inner.handle_async_request(request)
        if hit == "after":
            await response.aread()
            die(f"after the response to {request.method} {request.url.path}")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def identity_of(fields: Mapping[str, str] | None) -> Identity | None:
    """The host's verified identity: `verified=True` once `Identity` takes it (planned)."""
    if not fields:
        return None
    named: dict[str, Any] = dict(fields)
    if accepts(Identity, "verified"):
        named["verified"] = True
    return Identity(**named)


def jsonable(value: Any) -> Any:
    if hasattr(value, "to_json"):
        return jsonable(value.to_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump(mode="json"))
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return jsonable(value.value)  # an enum
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def reply_json(reply: Any) -> dict[str, Any]:
    return {
        "text": reply.text,
        "events": [event.to_json() for event in reply.events],
        "duplicate": getattr(reply, "duplicate", None),  # planned: None means "no such field"
    }


class Worker:
    def __init__(self, options: Mapping[str, Any], package: str) -> None:
        self.options = options
        package_module = importlib.import_module(package)
        client_module = importlib.import_module(f"{package}.client")
        self.transport = CrashTransport(options.get("crash_request"))
        self.http = httpx.AsyncClient(transport=self.transport, timeout=20, follow_redirects=False)
        self.client = client_module.AsyncClient(
            options["api"],
            credentials={"apiKey": ApiKey(options["api_key"])},
            http_client=self.http,
            timeout=20,
            max_retries=0,
        )
        # Plain HTTP on loopback: no CA bundle to load (40 ms per client).
        self.model_http = httpx2.AsyncClient(verify=False, timeout=30)
        self.model = openai.AsyncOpenAI(
            base_url=options["model"], api_key="test", max_retries=0, http_client=self.model_http
        )
        ttl = options.get("lease_ttl")
        store_kwargs: dict[str, Any] = {}
        agent_kwargs: dict[str, Any] = {}
        self.lease_keyword: str | None = None
        build = package_module.build_agent
        if ttl is not None:
            for name in LEASE_KEYWORDS:
                if accepts(build, name):
                    agent_kwargs[name], self.lease_keyword = ttl, f"build_agent({name}=)"
                    break
                if accepts(SQLiteStore, name):
                    store_kwargs[name], self.lease_keyword = ttl, f"SQLiteStore({name}=)"
                    break
        _crash["after"] = options.get("crash_after_writes")
        self.store = CrashingStore(options["store"], **store_kwargs)
        self.agent = build(
            self.client,
            model="eo-model",
            openai_client=self.model,
            store=self.store,
            **agent_kwargs,
        )

    def accepted(self) -> dict[str, Any]:
        respond = self.agent.respond
        return {
            "message_id": accepts(respond, "message_id"),
            "client_key": accepts(respond, "client_key"),
            "verified": accepts(Identity, "verified"),
            "audit_entries": hasattr(self.agent, "audit_entries"),
            "lease": self.lease_keyword,
        }

    async def run(self, command: Mapping[str, Any]) -> dict[str, Any]:
        op = command["op"]
        identity = identity_of(command.get("identity"))
        agent = self.agent
        if op == "respond":
            kwargs = self._delivery(agent.respond, command)
            kwargs["identity"] = identity
            if command.get("client_key") is not None and accepts(agent.respond, "client_key"):
                kwargs["client_key"] = command["client_key"]
            reply = await agent.respond(command["conversation"], command["message"], **kwargs)
            return {"reply": reply_json(reply)}
        if op == "confirm":
            kwargs = self._delivery(agent.confirm, command)
            reply = await agent.confirm(
                command["conversation"], command["action_id"], identity=identity, **kwargs
            )
            return {"reply": reply_json(reply)}
        if op == "confirm_task":
            kwargs = self._delivery(agent.confirm_task, command)
            reply = await agent.confirm_task(
                command["conversation"],
                command["run_id"],
                bool(command.get("approved", True)),
                identity=identity,
                **kwargs,
            )
            return {"reply": reply_json(reply)}
        if op == "runs":
            runs = await agent.tasks.runs(command["conversation"])
            return {"runs": [{"id": r.id, "task": r.task, "status": r.status.value} for r in runs]}
        if op == "audit":
            read = getattr(agent, "audit_entries", None)
            if read is None:
                raise AttributeError("Agent has no audit_entries (planned by issue 15)")
            entries = read(conversation_id=command["conversation"])
            if inspect.isawaitable(entries):
                entries = await entries
            return {"audit": jsonable(list(entries))}
        if op == "writes":
            return {"writes": _crash["writes"]}
        raise ValueError(f"unknown op {op!r}")

    @staticmethod
    def _delivery(method: Any, command: Mapping[str, Any]) -> dict[str, Any]:
        """The helpdesk's message id, passed once the runtime takes one (planned)."""
        if command.get("message_id") is not None and accepts(method, "message_id"):
            return {"message_id": command["message_id"]}
        return {}

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.http.aclose()
        await self.model.close()
        await self.model_http.aclose()


async def _serve(options: Mapping[str, Any], package: str) -> None:
    reader, writer = await asyncio.open_unix_connection(options["socket"])
    _crash["fd"] = writer.get_extra_info("socket").fileno()

    def send(data: Mapping[str, Any]) -> None:
        writer.write((json.dumps(dict(data)) + "\n").encode())

    worker = Worker(options, package)
    send({"ready": True, "pid": os.getpid(), "accepts": worker.accepted()})
    await writer.drain()

    async def handle(command: dict[str, Any]) -> None:
        if "crash_after_writes" in command:  # count this command's writes (and maybe die)
            _crash["writes"], _crash["after"] = 0, command["crash_after_writes"]
        try:
            answer = await worker.run(command)
            answer["writes"] = _crash["writes"]
        except Exception as exc:
            bases = [cls.__name__ for cls in type(exc).__mro__]
            answer = {"error": {"type": type(exc).__name__, "bases": bases, "message": str(exc)}}
        if command.get("crash_before_reply"):
            die("after the runtime answered, before the host got the reply")
        send({"id": command["id"], **answer})
        await writer.drain()

    running: set[asyncio.Task[None]] = set()
    while line := await reader.readline():
        command = json.loads(line)
        if command.get("op") == "exit":
            break
        task = asyncio.create_task(handle(command))
        running.add(task)
        task.add_done_callback(running.discard)
    if running:
        await asyncio.gather(*running)
    await worker.aclose()
    writer.close()


def _child(options: dict[str, Any], package: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.umask(0o022)  # a typical service's umask: the store's own permissions must hold
    log = os.open(options["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    asyncio.run(_serve(options, package))


def _preload(package: str) -> None:
    """Everything a worker imports, imported once here (forked children share it)."""
    for name in (package, f"{package}.client", f"{package}.agent", f"{package}.models"):
        importlib.import_module(name)
    try:
        importlib.import_module(f"{package}.tasks")
    except ModuleNotFoundError:
        pass
    for name in ("Agent", "SQLiteStore", "TaskEngine", "Reply", "StoreConflict", "TaskError"):
        getattr(specagent_runtime, name)  # public names are imported on first use
    client = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="preload")
    _ = client.chat.completions  # the SDK imports its resources on first use


def main(argv: list[str]) -> int:
    root, package = argv
    sys.path.insert(0, root)
    _preload(package)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        options = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                _child(options, package)
            except BaseException:  # a worker's traceback goes to its log
                import traceback  # noqa: PLC0415

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        sys.stdout.write(json.dumps({"pid": pid}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
