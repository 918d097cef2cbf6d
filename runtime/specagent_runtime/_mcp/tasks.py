"""A package's tasks as MCP tools, run by the durable `TaskEngine`.

Each task the identity may start is a tool (its inputs as the schema); a started run answers
with the customer-facing messages and, when it waits for the customer (an input, or a yes/no
before a consequential call), a run id. The model passes the customer's reply to the
``task_reply`` tool with that id, word for word. The engine holds everything else: validation,
the yes/no gate before each consequential call, the identity a run belongs to (a reply from
another identity is refused), and exactly-once calls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from specagent_runtime._errors import TaskError
from specagent_runtime._identity import Identity
from specagent_runtime._stores.base import Store
from specagent_runtime._tasks.calls import TaskClient
from specagent_runtime._tasks.engine import TaskEngine
from specagent_runtime._tasks.run import TaskTurn
from specagent_runtime._tools.toolset import ToolResult

logger = logging.getLogger("specagent_runtime.mcp")

REPLY_TOOL = "task_reply"
_REPLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "run_id": {"type": "string", "description": "The run id from the task's last result."},
        "message": {
            "type": "string",
            "description": "The user's reply to the task's question, word for word.",
        },
    },
    "required": ["run_id", "message"],
}


class McpTasks:
    """Task tools over one `TaskEngine`; names that clash with a tool are left out."""

    def __init__(
        self,
        store: Store,
        client: TaskClient,
        tasks: Any,
        *,
        taken: frozenset[str] = frozenset(),
    ) -> None:
        self.engine = TaskEngine(store, client, tasks)
        clashes = sorted(name for name in self.engine.tasks if name in taken | {REPLY_TOOL})
        for name in clashes:
            logger.warning("task %s is not served over MCP: a tool has the same name", name)
        self._names = frozenset(self.engine.tasks) - set(clashes)

    def tools(self, identity: Identity | None) -> list[types.Tool]:
        offered = [t for t in self.engine.offered(identity) if t["name"] in self._names]
        listed = [
            types.Tool(
                name=tool["name"],
                description=(
                    f"{tool['description']} A guided procedure: show the user its messages; "
                    f"when it waits, pass the user's reply to `{REPLY_TOOL}`."
                ),
                input_schema=tool["input_schema"],
                annotations=types.ToolAnnotations(read_only_hint=False),
            )
            for tool in offered
        ]
        if listed:
            listed.append(
                types.Tool(
                    name=REPLY_TOOL,
                    description=(
                        "Continue a task that waits for the user: its question's answer, or "
                        "their yes/no to a confirmation. Never answer for the user."
                    ),
                    input_schema=_REPLY_SCHEMA,
                    annotations=types.ToolAnnotations(read_only_hint=False),
                )
            )
        return listed

    def handles(self, name: str) -> bool:
        return name in self._names or name == REPLY_TOOL

    async def call(
        self, name: str, arguments: Mapping[str, Any], identity: Identity | None
    ) -> ToolResult:
        try:
            if name == REPLY_TOOL:
                run_id, message = arguments.get("run_id"), arguments.get("message")
                if not isinstance(run_id, str) or not isinstance(message, str):
                    return ToolResult.error(name, "`run_id` and `message` must be strings")
                turn = await self.engine.resume(run_id, message, identity)
            else:
                offered = {tool["name"] for tool in self.engine.offered(identity)}
                if name not in offered:
                    return ToolResult.error(
                        name, f"the task `{name}` is only for a verified customer"
                    )
                turn = await self.engine.start(name, arguments, identity)
        except TaskError as exc:
            return ToolResult.error(name, exc.model_message())
        return ToolResult(name, "ok", data=_turn_data(turn))


def _turn_data(turn: TaskTurn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "run_id": turn.run_id,
        "task": turn.task,
        "status": turn.status.value,
        "messages": list(turn.messages),
    }
    if turn.waiting_for:
        data["waiting_for"] = turn.waiting_for
    if turn.handoff_reason:
        data["handoff_reason"] = turn.handoff_reason
    return data
