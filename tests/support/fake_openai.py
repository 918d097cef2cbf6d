"""A scripted, local OpenAI-compatible chat-completions server for agent tests.

Tests talk to it through the real `openai` SDK, so the requests the agent builds are checked by
the SDK and by JSON encoding exactly as they would be against OpenAI. The server plays a list
of model turns (a text answer, or a round of tool calls) and records every request body, so a
test can assert what the model was shown: the tools' schemas, the system prompt, tool results.
Running out of script answers HTTP 500, which surfaces as a failed model call.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn
from openai import AsyncOpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any] | str  # a str is sent as is (to test malformed JSON)


@dataclass(frozen=True)
class Turn:
    """One model answer: text, tool calls, or both."""

    text: str | None = None
    calls: tuple[ToolCall, ...] = field(default=())


def say(text: str) -> Turn:
    return Turn(text=text)


def call(name: str, arguments: Mapping[str, Any] | str | None = None, **kwargs: Any) -> Turn:
    """A round with one tool call: ``call("get_order", orderId=5)``."""
    return calls((name, arguments if arguments is not None else kwargs))


def calls(*items: tuple[str, Mapping[str, Any] | str]) -> Turn:
    """A round with several (parallel) tool calls."""
    return Turn(calls=tuple(ToolCall(name, arguments) for name, arguments in items))


class FakeOpenAI:
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
        return f"http://127.0.0.1:{self.port}/v1"

    def client(self) -> AsyncOpenAI:
        """An SDK client for this server; retries off, so a script error fails at once."""
        return AsyncOpenAI(base_url=self.base_url, api_key="test", max_retries=0, timeout=10)

    def add(self, *turns: Turn) -> None:
        with self._lock:
            self.script.extend(turns)

    # --- what the model was shown -----------------------------------------------------------

    def tools(self, request: int = -1) -> dict[str, dict[str, Any]]:
        """Tool name -> parameters schema, as sent in one request (the last by default)."""
        sent = self.requests[request].get("tools", [])
        return {tool["function"]["name"]: tool["function"]["parameters"] for tool in sent}

    def messages(self, request: int = -1) -> list[dict[str, Any]]:
        return list(self.requests[request]["messages"])

    def tool_results(self, request: int = -1) -> list[dict[str, Any]]:
        """The tool messages of one request, their content parsed from JSON."""
        return [
            json.loads(message["content"])
            for message in self.messages(request)
            if message["role"] == "tool"
        ]

    # --- serving --------------------------------------------------------------------------

    async def _completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        with self._lock:
            self.requests.append(body)
            if not self.script:
                return JSONResponse(
                    {"error": {"message": "fake model: script exhausted", "type": "server_error"}},
                    status_code=500,
                )
            turn = self.script.pop(0)
            self._counter += 1
            number = self._counter
        message: dict[str, Any] = {"role": "assistant", "content": turn.text}
        if turn.calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{number}_{index}",
                    "type": "function",
                    "function": {
                        "name": item.name,
                        "arguments": item.arguments
                        if isinstance(item.arguments, str)
                        else json.dumps(item.arguments),
                    },
                }
                for index, item in enumerate(turn.calls)
            ]
        return JSONResponse(
            {
                "id": f"chatcmpl-{number}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if turn.calls else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )

    def start(self) -> FakeOpenAI:
        if self._thread is not None:
            raise RuntimeError("the fake OpenAI server is already running")
        app = Starlette(routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
            target=server.run, kwargs={"sockets": [sock]}, name="fake-openai", daemon=True
        )
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the fake OpenAI server did not start on port {self.port}")
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

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
