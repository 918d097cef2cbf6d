"""A scripted Anthropic-compatible Messages model: the twin of `ScriptedModel`.

The same script vocabulary (`say`, `call`, `calls`), played through the real `anthropic` SDK,
every request body recorded. It also checks what the real API checks and a translation from
chat completions could get wrong, answering HTTP 400 ``invalid_request_error`` (which the
agent reports as a failed model call): turns alternate and start with the user, no empty
content or text block, every ``tool_result`` answers a ``tool_use`` of the turn just before and
comes first in its turn, every ``tool_use`` is answered, ``max_tokens`` is set, tools have an
object ``input_schema``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from specagent_runtime.testing._model import Script

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

__all__ = ["ScriptedAnthropic", "problems"]

IN_PROCESS_URL = "http://scripted-anthropic.invalid"


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


class ScriptedAnthropic(Script):
    """Plays `script` (or what `respond(body)` returns) to Messages API requests."""

    NAME = "scripted-anthropic"
    ROUTE = "/v1/messages"

    # --- what the model was shown -------------------------------------------------------------

    def tools(self, request: int = -1) -> dict[str, dict[str, Any]]:
        """Tool name -> input schema, as sent in one request (the last by default)."""
        sent = self.requests[request].get("tools", [])
        return {tool["name"]: tool["input_schema"] for tool in sent}

    def tool_results(self, request: int = -1) -> list[dict[str, Any]]:
        """The tool_result blocks of one request."""
        return [
            block
            for message in self.messages(request)
            if isinstance(message["content"], list)
            for block in message["content"]
            if block.get("type") == "tool_result"
        ]

    # --- answering ----------------------------------------------------------------------------

    def error(self, status: int, message: str) -> tuple[int, dict[str, Any]]:
        kind = {400: "invalid_request_error", 404: "not_found_error"}.get(status, "api_error")
        return _error(status, kind, message)

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Status and JSON body answering one Messages request body."""
        self._record(body)
        found = problems(body)
        if found:
            return _error(400, "invalid_request_error", "; ".join(found))
        turn = self.choose(body)
        if turn is None:
            return _error(500, "api_error", "scripted model: script exhausted")
        number = self._next_number()
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
        return 200, {
            "id": f"msg_{number}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "scripted"),
            "content": content,
            "stop_reason": "tool_use" if turn.calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }

    # --- reaching it --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._server.root_url if self._server.running else IN_PROCESS_URL

    def client(self, *, timeout: float = 10.0) -> AsyncAnthropic:
        """An SDK client (retries off): over the local port once started, else in process."""
        import anthropic  # noqa: PLC0415 - the [anthropic] extra, needed only here

        if self._server.running:
            return anthropic.AsyncAnthropic(
                base_url=self.base_url, api_key="test", max_retries=0, timeout=timeout
            )
        return anthropic.AsyncAnthropic(
            base_url=IN_PROCESS_URL,
            api_key="test",
            max_retries=0,
            http_client=self._in_process(timeout),
        )


def _error(status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"type": "error", "error": {"type": kind, "message": message}}
