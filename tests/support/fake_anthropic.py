"""A scripted, local Anthropic-compatible Messages server for agent tests.

The twin of `fake_openai`: the same script vocabulary (`say`, `call`, `calls`), played through
the real `anthropic` SDK, every request body recorded. It also checks what the real API checks
and our translation could get wrong, answering HTTP 400 ``invalid_request_error`` (which the
agent reports as a failed model call): turns alternate and start with the user, no empty
content or text block, every ``tool_result`` answers a ``tool_use`` of the turn just before and
comes first in its turn, every ``tool_use`` is answered, ``max_tokens`` is set, tools have an
object ``input_schema``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn
from anthropic import AsyncAnthropic
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.fake_openai import ToolCall, Turn, call, calls, say

__all__ = ["FakeAnthropic", "ToolCall", "Turn", "call", "calls", "problems", "say"]

_STARTUP_TIMEOUT = 10.0


def problems(body: Mapping[str, Any]) -> list[str]:
    """What the Messages API would refuse in this request body."""
    found: list[str] = []
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        found.append("max_tokens: required")
    for index, tool in enumerate(body.get("tools") or []):
        schema = tool.get("input_schema")
        if not tool.get("name") or not isinstance(schema, dict) or schema.get("type") != "object":
            found.append(f"tools.{index}: needs a name and an object input_schema")
    messages = body.get("messages") or []
    if not messages or messages[0].get("role") != "user":
        found.append("messages: must start with a user turn")
    open_calls: set[str] = set()
    for index, message in enumerate(messages):
        where = f"messages.{index}"
        role, content = message.get("role"), message.get("content")
        if index and messages[index - 1].get("role") == role:
            found.append(f"{where}: roles must alternate")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not blocks:
            found.append(f"{where}: content must be non-empty")
            continue
        results = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if set(results) != open_calls:
            found.append(f"{where}: tool_use ids {sorted(open_calls)} need tool_results")
        kinds = [b.get("type") for b in blocks]
        if results and kinds[: len(results)] != ["tool_result"] * len(results):
            found.append(f"{where}: tool_result blocks must come first")
        for block in blocks:
            if block.get("type") == "text" and not str(block.get("text", "")).strip():
                found.append(f"{where}: text blocks must be non-empty")
        open_calls = {b["id"] for b in blocks if b.get("type") == "tool_use"}
        if role == "user" and open_calls:
            found.append(f"{where}: a user turn cannot call tools")
    return found


class FakeAnthropic:
    """The server, on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, *script: Turn) -> None:
        self.script: list[Turn] = list(script)
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._lock = threading.Lock()
        self._counter = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> AsyncAnthropic:
        """An SDK client for this server; retries off, so a script error fails at once."""
        return AsyncAnthropic(base_url=self.base_url, api_key="test", max_retries=0, timeout=10)

    def add(self, *turns: Turn) -> None:
        with self._lock:
            self.script.extend(turns)

    # --- what the model was shown -----------------------------------------------------------

    def tools(self, request: int = -1) -> dict[str, dict[str, Any]]:
        """Tool name -> input schema, as sent in one request (the last by default)."""
        sent = self.requests[request].get("tools", [])
        return {tool["name"]: tool["input_schema"] for tool in sent}

    def messages(self, request: int = -1) -> list[dict[str, Any]]:
        return list(self.requests[request]["messages"])

    def tool_results(self, request: int = -1) -> list[dict[str, Any]]:
        """The tool_result blocks of one request."""
        return [
            block
            for message in self.messages(request)
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]

    # --- serving --------------------------------------------------------------------------

    async def _messages(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            found = problems(body)
            if found:
                return _error(400, "invalid_request_error", "; ".join(found))
            if not self.script:
                return _error(500, "api_error", "fake model: script exhausted")
            turn = self.script.pop(0)
            self._counter += 1
            number = self._counter
        content: list[dict[str, Any]] = []
        if turn.text:
            content.append({"type": "text", "text": turn.text})
        for index, item in enumerate(turn.calls):
            if isinstance(item.arguments, str):
                raise ValueError("the Messages API sends tool input as an object, not text")
            content.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_{number}_{index}",
                    "name": item.name,
                    "input": dict(item.arguments),
                }
            )
        return JSONResponse(
            {
                "id": f"msg_{number}",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "fake"),
                "content": content,
                "stop_reason": "tool_use" if turn.calls else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        )

    def start(self) -> FakeAnthropic:
        if self._thread is not None:
            raise RuntimeError("the fake Anthropic server is already running")
        app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", 0))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-anthropic", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the fake Anthropic server did not start on port {self.port}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        server, thread, sock = self._server, self._thread, self._socket
        self._server = self._thread = self._socket = None
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=_STARTUP_TIMEOUT)
        if sock is not None:
            sock.close()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"type": "error", "error": {"type": kind, "message": message}}, status_code=status
    )
