"""The playground: a local page where the developer talks to the agent and sees what it did.

``python -m <pkg> serve --playground`` mounts `playground_routes(agent)` at ``/playground``
(any Starlette app can: ``Mount("/playground", routes=playground_routes(agent))``). The page
(``playground_static/playground.html``, one file, no build step) plays a conversation on the
left and shows, beside it, per turn: every tool call with its arguments and the result the
model was shown, every request to the company API (method, path, status, time), each task
step, confirmations with Confirm/Decline buttons (`Agent.confirm` / `Agent.confirm_task`; a
Decline of a tool proposal is the customer's "No"), and hand-offs. A switch chooses who is
talking: a verified identity (any email typed in) or an anonymous visitor; the tools the model
is offered for that identity are listed, so a bound tool visibly disappears for a visitor.

How API requests are seen: `PlaygroundEvents.observe` adds an httpx request/response event hook
to the agent's API client (the generated client's `httpx.AsyncClient`); a request is recorded
only while a playground turn runs (a context variable the turn sets, which follows the calls
into tasks it starts), so conversations of other channels sharing the agent are not. Only the
method, the path (never the query: it may carry credentials), the status and the time are
kept; no header, no body. The results the model was shown come from the stored conversation
(after redaction), and task steps from the run's history (`TaskEngine.get`).

The page can act as any customer, so it is a developer tool, never a public one: it answers
only requests from a loopback address with a loopback ``Host`` (no DNS rebinding), POSTs must
be JSON from the page's own origin (no cross-site form posts), and the page is served with a
Content-Security-Policy allowing only its own inline script and style (by hash). Everything
from the API, the model or the customer is put on the page with ``textContent``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import ipaddress
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from importlib import resources
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from specagent_runtime._agent import conversation as conversation_store
from specagent_runtime._agent.loop import Agent
from specagent_runtime._errors import SpecagentError
from specagent_runtime._events import (
    ConfirmationExecuted,
    ConfirmationRequested,
    Event,
    HandoffRequested,
    Reply,
    TaskFinished,
    TaskStarted,
    TaskWaiting,
    ToolCalled,
)
from specagent_runtime._identity import Identity
from specagent_runtime._serve.playground_model import scripted_model_of

PAGE = "playground.html"
CLIENT_KEY = "playground"
_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_EMAIL = re.compile(r"[^\s@]{1,64}@[^\s@]{1,190}")
MAX_TEXT = 8000
RESULT_CHARS = 4000  # of a tool result shown on the page
_HOOK_KEY = "specagent_playground"
_RECORDING: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "specagent_playground_requests", default=None
)


class PlaygroundEvents:
    """What the playground saw, per conversation: one record per turn (the customer's message
    or a button), with the turn's events and API requests. The page gets each record as the
    answer to its request; `turns(conversation_id)` gives them to Python callers (tests, a host
    that logs them). Bounded: the newest `max_conversations`, `max_turns` turns each."""

    def __init__(self, *, max_conversations: int = 100, max_turns: int = 200) -> None:
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._turns: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._steps_shown: dict[str, int] = {}
        self._hooked: set[int] = set()

    def __repr__(self) -> str:
        return f"PlaygroundEvents({len(self._turns)} conversations)"

    def observe(self, agent: Agent) -> bool:
        """Record the agent's API requests during playground turns; False when its client has
        no `httpx.AsyncClient` to hook (the page then says requests are not shown)."""
        http = getattr(agent.toolset.client, "_http", None)
        if not isinstance(http, httpx.AsyncClient):
            return False
        if id(http) not in self._hooked:
            hooks = http.event_hooks
            http.event_hooks = {
                "request": [*hooks.get("request", []), _on_request],
                "response": [*hooks.get("response", []), _on_response],
            }
            self._hooked.add(id(http))
        return True

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[dict[str, Any]]]:
        """Within the block, the observed clients' requests are appended to the list."""
        requests: list[dict[str, Any]] = []
        token = _RECORDING.set(requests)
        try:
            yield requests
        finally:
            _RECORDING.reset(token)

    def add(self, conversation_id: str, record: dict[str, Any]) -> None:
        turns = self._turns.setdefault(conversation_id, [])
        self._turns.move_to_end(conversation_id)
        turns.append(record)
        del turns[: -self.max_turns]
        while len(self._turns) > self.max_conversations:
            self._turns.popitem(last=False)

    def conversations(self) -> list[str]:
        """The conversations seen, oldest first."""
        return list(self._turns)

    def turns(self, conversation_id: str) -> list[dict[str, Any]]:
        return list(self._turns.get(conversation_id, ()))

    def new_steps(self, run_id: str, count: int) -> int:
        """How many of a run's `count` history entries were shown before (and remember all)."""
        shown = self._steps_shown.get(run_id, 0)
        self._steps_shown[run_id] = count
        return shown


async def _on_request(request: httpx.Request) -> None:
    requests = _RECORDING.get()
    if requests is None:
        return
    entry: dict[str, Any] = {
        "kind": "api_request",
        "method": request.method,
        "path": request.url.path,
        "status": None,
        "ms": None,
    }
    requests.append(entry)
    request.extensions[_HOOK_KEY] = (entry, time.perf_counter())


async def _on_response(response: httpx.Response) -> None:
    found = response.request.extensions.get(_HOOK_KEY)
    if found is None:
        return
    entry, started = found
    entry["status"] = response.status_code
    entry["ms"] = round((time.perf_counter() - started) * 1000, 1)


def playground_routes(
    agent: Agent, *, events: PlaygroundEvents | None = None, allow_remote: bool = False
) -> list[BaseRoute]:
    """The playground's routes, to mount (``Mount("/playground", routes=...)``).

    `events` records what the page saw (a new `PlaygroundEvents` by default); `allow_remote`
    lifts the loopback-only rule, for a developer's own tunnel (the page can act as any
    customer: never on a public address)."""
    recorder = events if events is not None else PlaygroundEvents()
    observed = recorder.observe(agent)
    page = _page()

    def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[..., Any]:
        async def endpoint(request: Request) -> Response:
            refused = _refusal(request, allow_remote)
            return refused if refused is not None else await handler(request)

        return endpoint

    async def show_page(request: Request) -> Response:
        return page

    async def info(request: Request) -> Response:
        scripted = scripted_model_of(agent) is not None
        return JSONResponse(
            {
                "agent": agent.name,
                "model": agent.model,
                "scripted": scripted,
                "api_requests_observed": observed,
                "tasks": sorted(agent.tasks.tasks) if agent.tasks is not None else [],
            }
        )

    async def tools(request: Request) -> Response:
        identity = _identity(request.query_params.get("email") or None)
        if isinstance(identity, Response):
            return identity
        offered = [
            {
                "name": str(tool["function"]["name"]),
                "description": str(tool["function"].get("description") or ""),
            }
            for tool in agent._tools(identity)
        ]
        return JSONResponse({"tools": offered})

    async def message(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _bad(f"text: a message of 1 to {MAX_TEXT} characters")
        conversation, message_id = body["conversation_id"], body["message_id"]
        identity = body["identity"]

        def turn() -> Awaitable[Reply]:
            return agent.respond(
                conversation, text, identity=identity, message_id=message_id, client_key=CLIENT_KEY
            )

        return await _play(
            agent, recorder, conversation, identity=identity, action="message", subject=text,
            turn=turn,
        )  # fmt: skip

    async def confirm(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        kind, target, approved = body.get("kind"), body.get("target"), body.get("approved")
        if kind not in ("tool", "task") or not isinstance(target, str) or not target:
            return _bad('kind: "tool" or "task", with the target action or run id')
        if not isinstance(approved, bool):
            return _bad("approved: true or false")
        conversation, message_id = body["conversation_id"], body["message_id"]
        identity = body["identity"]

        def turn() -> Awaitable[Reply]:
            if kind == "task":
                return agent.confirm_task(
                    conversation, target, approved, identity=identity, message_id=message_id
                )
            if approved:
                return agent.confirm(conversation, target, identity=identity, message_id=message_id)
            # A declined proposal is the customer saying no; the consent gate judges it.
            return agent.respond(
                conversation, "No", identity=identity, message_id=message_id, client_key=CLIENT_KEY
            )

        action = "confirm" if approved else "decline"
        return await _play(
            agent, recorder, conversation, identity=identity, action=action, subject=target,
            turn=turn,
        )  # fmt: skip

    return [
        Route("/", guarded(show_page), methods=["GET"]),
        Route("/api/info", guarded(info), methods=["GET"]),
        Route("/api/tools", guarded(tools), methods=["GET"]),
        Route("/api/message", guarded(message), methods=["POST"]),
        Route("/api/confirm", guarded(confirm), methods=["POST"]),
    ]


# --- one turn ---------------------------------------------------------------------------------


async def _play(
    agent: Agent,
    recorder: PlaygroundEvents,
    conversation_id: str,
    *,
    identity: Identity | None,
    action: str,
    subject: str,
    turn: Callable[[], Awaitable[Reply]],
) -> Response:
    before = len((await conversation_store.load(agent.store, conversation_id)).messages)
    record: dict[str, Any] = {
        "action": action,
        "subject": subject,
        "as": identity.email if identity is not None else "anonymous",
        "reply": "",
        "entries": [],
        "requests": [],
        "error": None,
    }
    with recorder.recording() as requests:
        try:
            reply = await turn()
        except SpecagentError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            reply = None
    record["requests"] = requests
    if reply is not None:
        stored = await conversation_store.load(agent.store, conversation_id)
        results = _tool_results(stored.messages[before:])
        record["reply"] = reply.text
        record["duplicate"] = reply.duplicate
        record["entries"] = await _entries(agent, recorder, reply, results)
    recorder.add(conversation_id, record)
    return JSONResponse(record)


def _tool_results(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(tool name, result text as the model was shown it) of the turn's stored messages."""
    names: dict[str, str] = {}
    found: list[tuple[str, str]] = []
    for message in messages:
        for call in message.get("tool_calls") or ():
            names[str(call.get("id"))] = str(call.get("function", {}).get("name", ""))
        if message.get("role") == "tool":
            name = names.get(str(message.get("tool_call_id")), "")
            found.append((name, str(message.get("content") or "")[:RESULT_CHARS]))
    return found


async def _entries(
    agent: Agent, recorder: PlaygroundEvents, reply: Reply, results: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    stepped: set[str] = set()
    for event in reply.events:
        entries.append(_entry(event, results))
        if isinstance(event, TaskWaiting) and event.waiting_for == "confirmation":
            entries.append(
                {
                    "kind": "confirmation",
                    "confirm": "task",
                    "target": event.run_id,
                    "tool": event.task,
                    "summary": reply.text,
                }
            )
        run_id = getattr(event, "run_id", None)
        if isinstance(run_id, str) and run_id not in stepped and agent.tasks is not None:
            stepped.add(run_id)
            entries.extend(await _steps(agent, recorder, run_id))
    return entries


def _entry(event: Event, results: list[tuple[str, str]]) -> dict[str, Any]:
    if isinstance(event, ToolCalled):
        result = next((r for r in results if r[0] == event.tool), None)
        if result is not None:
            results.remove(result)
        return {
            "kind": "tool_call",
            "tool": event.tool,
            "arguments": dict(event.arguments),
            "status": event.status,
            "error": event.error,
            "result": result[1] if result is not None else None,
        }
    if isinstance(event, ConfirmationRequested):
        return {
            "kind": "confirmation",
            "confirm": "tool",
            "target": event.action_id,
            "tool": event.tool,
            "summary": event.summary,
        }
    if isinstance(event, ConfirmationExecuted):
        return {"kind": "executed", "tool": event.tool, "ok": event.ok, "by": event.by}
    if isinstance(event, HandoffRequested):
        return {"kind": "handoff", "reason": event.reason}
    if isinstance(event, TaskStarted | TaskWaiting | TaskFinished):
        data = event.to_json()
        return {"kind": "task", **{key: str(value) for key, value in data.items() if key != "kind"},
                "event": event.kind.removeprefix("task_")}  # fmt: skip
    return {"kind": "event", "event": event.kind}


async def _steps(agent: Agent, recorder: PlaygroundEvents, run_id: str) -> list[dict[str, Any]]:
    assert agent.tasks is not None
    try:
        info = await agent.tasks.get(run_id)
    except SpecagentError:
        return []
    shown = recorder.new_steps(run_id, len(info.history))
    return [
        {
            "kind": "task_step",
            "task": info.task,
            "run_id": run_id,
            "step": entry.step or "",
            "event": entry.event,
            "detail": entry.detail,
        }
        for entry in info.history[shown:]
    ]


# --- requests in ------------------------------------------------------------------------------


async def _body(request: Request) -> dict[str, Any] | Response:
    """The JSON body with its conversation id, message id and identity checked."""
    try:
        body = await request.json()
    except ValueError:
        return _bad("the body is not JSON")
    if not isinstance(body, dict):
        return _bad("the body is not a JSON object")
    for key in ("conversation_id", "message_id"):
        value = body.get(key)
        if not isinstance(value, str) or not _ID.fullmatch(value):
            return _bad(f"{key}: 8-64 characters of [A-Za-z0-9_-]")
    email = body.get("email")
    if email is not None and not isinstance(email, str):
        return _bad("email: a string, or null for an anonymous visitor")
    identity = _identity(email or None)
    if isinstance(identity, Response):
        return identity
    return {**body, "identity": identity}


def _identity(email: str | None) -> Identity | Response | None:
    """The identity the switch chose: any email is taken as verified (a developer's page)."""
    if email is None:
        return None
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        return _bad("email: an address like ada@example.com")
    return Identity(email=email, verified=True)


def _bad(problem: str) -> JSONResponse:
    return JSONResponse({"error": problem}, 400)


def _refusal(request: Request, allow_remote: bool) -> Response | None:
    if not allow_remote:
        client = request.client.host if request.client is not None else ""
        if not _loopback(client) or not _loopback(request.url.hostname or ""):
            return JSONResponse(
                {"error": "the playground answers only on this machine (127.0.0.1/localhost)"},
                403,
            )
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return JSONResponse({"error": "send JSON (Content-Type: application/json)"}, 415)
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            return JSONResponse({"error": "a request from another origin"}, 403)
    return None


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- the page ---------------------------------------------------------------------------------


def static_file(name: str = PAGE) -> bytes:
    """A file of ``playground_static`` (package data)."""
    if name != PAGE:
        raise FileNotFoundError(name)
    return (resources.files("specagent_runtime._serve") / "playground_static" / name).read_bytes()


def _page() -> Response:
    html = static_file().decode("utf-8")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": content_security_policy(html),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
        },
    )


def content_security_policy(html: str) -> str:
    """Only the page's own inline script and style (by their hashes), fetches to its origin."""
    scripts = _hashes(re.findall(r"<script>(.*?)</script>", html, re.S))
    styles = _hashes(re.findall(r"<style>(.*?)</style>", html, re.S))
    return (
        f"default-src 'none'; script-src {scripts}; style-src {styles}; connect-src 'self'; "
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def _hashes(blocks: list[str]) -> str:
    found = [
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in blocks
    ]
    return " ".join(found) or "'none'"
