"""A scripted OpenAI-compatible chat-completions model, for testing agents without a real one.

The agent talks to it through the real `openai` SDK, so what the agent sends is checked by the
SDK and by JSON encoding exactly as it would be against OpenAI. It plays a list of answers (a
text, or a round of tool calls) one per request and records every request body, so a test can
assert what the model was shown: the tools offered, the system prompt, the tool results.
Running out of answers is an HTTP 500 (the agent reports a failed model call), so a script
that no longer fits what the agent does fails loudly instead of drifting.

Two ways to reach it: `client()` before `start()` is an in-process SDK client (no socket, no
thread); after `start()` (or inside ``with``) it is served on 127.0.0.1 and a free port, for
hosts in other processes (`base_url`). Subclasses (or `respond=`) choose answers from the
request instead of a queue: by the model name, by what the customer said.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from specagent_runtime.testing._server import HttpRequest, HttpResponse, LocalServer

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["FINISH_TOOL", "ScriptedModel", "ToolCall", "Turn", "call", "calls", "finish", "say"]

# The tool an instruction step (`instruct:` in a task) finishes with; the runtime's name.
FINISH_TOOL = "finish_step"
IN_PROCESS_URL = "http://scripted-model.invalid/v1"


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any] | str  # a str is sent as is (to test malformed JSON)


@dataclass(frozen=True, slots=True)
class Turn:
    """One model answer: a text, a round of tool calls, or both."""

    text: str | None = None
    calls: tuple[ToolCall, ...] = field(default=())


def say(text: str) -> Turn:
    """An answer in words, no tool call: the model's reply to the customer."""
    return Turn(text=text)


def call(name: str, arguments: Mapping[str, Any] | str | None = None, **kwargs: Any) -> Turn:
    """A round with one tool call: ``call("get_order", orderId=5)``."""
    return calls((name, arguments if arguments is not None else kwargs))


def calls(*items: tuple[str, Mapping[str, Any] | str]) -> Turn:
    """A round with several (parallel) tool calls."""
    return Turn(calls=tuple(ToolCall(name, arguments) for name, arguments in items))


def finish(**values: Any) -> Turn:
    """An instruction step's last round: `finish_step` with the step's output."""
    return Turn(calls=(ToolCall(FINISH_TOOL, values),))


def message_text(content: Any) -> str:
    """A chat message's text, whether a string or a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


class Script:
    """What both scripted models share: the answers queued, the requests seen, the local server
    they are served on once started, and the in-process transport before that. A subclass
    says what it answers (`complete`) and where (`ROUTE`, `base_url`, `client`)."""

    NAME = "scripted-model"  # the server thread's name
    ROUTE = "/chat/completions"  # what a request's path ends with

    def __init__(
        self, *script: Turn, respond: Callable[[dict[str, Any]], Turn | None] | None = None
    ) -> None:
        self.script: list[Turn] = list(script)
        self.requests: list[dict[str, Any]] = []
        self.respond = respond
        self._lock = threading.Lock()
        self._counter = 0
        self._server = LocalServer(self._serve, name=self.NAME)

    def __repr__(self) -> str:
        where = self.base_url if self._server.running else "in process"
        return f"{type(self).__name__}({where}, {len(self.script)} answers left)"

    # --- the script ---------------------------------------------------------------------------

    def add(self, *turns: Turn) -> None:
        with self._lock:
            self.script.extend(turns)

    def reset(self) -> None:
        """Forget the script left and the requests seen (one server shared by many tests)."""
        with self._lock:
            self.script.clear()
            self.requests.clear()

    def reset_script(self, turns: Sequence[Turn]) -> list[Turn]:
        """Replace the answers still queued with `turns`; returns those that were left."""
        with self._lock:
            left, self.script = self.script, list(turns)
        return left

    def choose(self, body: dict[str, Any]) -> Turn | None:
        """The answer to one request; None when there is none (answered with HTTP 500).

        Called outside the lock, so an override may wait (to hold a request in flight)."""
        if self.respond is not None:
            return self.respond(body)
        with self._lock:
            return self.script.pop(0) if self.script else None

    def messages(self, request: int = -1) -> list[dict[str, Any]]:
        return list(self.requests[request]["messages"])

    def everything(self) -> str:
        """Every request the model received, as one JSON text (for leak searches)."""
        with self._lock:
            return json.dumps(self.requests, ensure_ascii=False)

    # --- answering ----------------------------------------------------------------------------

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body answering one request body."""
        raise NotImplementedError

    def error(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        """An error answer in the API's own shape."""
        return status, {"error": {"message": message}}

    def _record(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)

    def _next_number(self) -> int:
        """A number for the next answer's ids, unique across threads."""
        with self._lock:
            self._counter += 1
            return self._counter

    def _answer(self, content: bytes) -> tuple[int, dict[str, Any]]:
        try:
            body = json.loads(content or b"{}")
        except ValueError:
            return self.error(400, "the body is not JSON")
        return self.complete(body if isinstance(body, dict) else {})

    def _serve(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.path.endswith(self.ROUTE):
            return HttpResponse(*self.error(404, f"no route {request.path}"))
        return HttpResponse(*self._answer(request.body))

    def _in_process(self, timeout: float) -> Any:
        """An httpx2 client answering through this object, no socket (the SDKs' own library)."""
        import httpx2  # noqa: PLC0415 - the SDKs' HTTP library, needed only here

        def handle(request: httpx2.Request) -> httpx2.Response:
            status, answer = self._answer(request.content)
            return httpx2.Response(status, json=answer)

        return httpx2.AsyncClient(transport=httpx2.MockTransport(handle), timeout=timeout)

    # --- reaching it --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ScriptedModel(Script):
    """Plays `script` (or what `respond(body)` returns) to chat-completions requests."""

    # --- what the model was shown -------------------------------------------------------------

    def tools(self, request: int = -1) -> dict[str, dict[str, Any]]:
        """Tool name -> parameters schema, as sent in one request (the last by default)."""
        sent = self.requests[request].get("tools", [])
        return {tool["function"]["name"]: tool["function"]["parameters"] for tool in sent}

    def tool_results(self, request: int = -1) -> list[dict[str, Any]]:
        """The tool messages of one request, their content parsed from JSON."""
        return [
            json.loads(message["content"])
            for message in self.messages(request)
            if message["role"] == "tool"
        ]

    # --- answering ----------------------------------------------------------------------------

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body answering one chat-completions request body."""
        self._record(body)
        turn = self.choose(body)
        if turn is None:
            error = {"message": "scripted model: script exhausted", "type": "server_error"}
            return 500, {"error": error}
        number = self._next_number()
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
        choice = {
            "index": 0,
            "message": message,
            "finish_reason": "tool_calls" if turn.calls else "stop",
        }
        return 200, {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "scripted"),
            "choices": [choice],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }

    # --- reaching it --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``.../v1``) once started; the in-process one before."""
        return self._server.root_url + "/v1" if self._server.running else IN_PROCESS_URL

    def client(self, *, timeout: float = 10.0) -> AsyncOpenAI:
        """An SDK client for this model (retries off, so a script error fails at once): over
        the local port once started, else in process through a mock transport."""
        import openai  # noqa: PLC0415 - the [openai] extra, needed only here

        if self._server.running:
            return openai.AsyncOpenAI(
                base_url=self.base_url, api_key="test", max_retries=0, timeout=timeout
            )
        return openai.AsyncOpenAI(
            base_url=IN_PROCESS_URL,
            api_key="test",
            max_retries=0,
            http_client=self._in_process(timeout),
        )
