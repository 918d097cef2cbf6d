"""specagent_runtime.testing: test a generated agent's conversations, in CI and against models.

- `ScriptedModel` (and `ScriptedAnthropic`): an OpenAI-compatible (Anthropic) model that plays
  the tool calls and texts it is given, in process or on a local port, and records what it was
  sent; `say`, `call`, `calls`, `finish` write its answers.
- `ApiRecorder`: an httpx transport for the generated client that records every request the
  agent made (matched to its operationId) and answers from stubs or passes it on to a server.
- `AgentHarness`: one conversation with a generated package, turn by turn, with everything a
  turn did (`TurnResult`: reply, events, tool calls, API requests) and assertions on it.
- Conversation test files (YAML) and their runner: `load_test_file`, `run_tests`
  (`specagent test` and ``python -m <package> test``), scripted or live with pass^k
  (`pass_hat_k`), simulated customers, the table and JUnit XML reports.
- ``pytest_plugins = ["specagent_runtime.testing.pytest_plugin"]``: fixtures, and the YAML
  files under ``agent_tests/`` collected as tests.

Importing this package loads nothing else: every name is imported on first use (PEP 562), as
in `specagent_runtime` itself. docs/testing.md is the walk-through.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specagent_runtime.testing._anthropic import ScriptedAnthropic
    from specagent_runtime.testing._anthropic import problems as anthropic_problems
    from specagent_runtime.testing._model import (
        FINISH_TOOL,
        ScriptedModel,
        ToolCall,
        Turn,
        call,
        calls,
        finish,
        say,
    )

_SOURCES: dict[str, tuple[str, str]] = {
    # Models that play a script.
    "ScriptedModel": ("specagent_runtime.testing._model", "ScriptedModel"),
    "ScriptedAnthropic": ("specagent_runtime.testing._anthropic", "ScriptedAnthropic"),
    "anthropic_problems": ("specagent_runtime.testing._anthropic", "problems"),
    "Turn": ("specagent_runtime.testing._model", "Turn"),
    "ToolCall": ("specagent_runtime.testing._model", "ToolCall"),
    "say": ("specagent_runtime.testing._model", "say"),
    "call": ("specagent_runtime.testing._model", "call"),
    "calls": ("specagent_runtime.testing._model", "calls"),
    "finish": ("specagent_runtime.testing._model", "finish"),
    "FINISH_TOOL": ("specagent_runtime.testing._model", "FINISH_TOOL"),
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = source
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "FINISH_TOOL",
    "ScriptedAnthropic",
    "ScriptedModel",
    "ToolCall",
    "Turn",
    "anthropic_problems",
    "call",
    "calls",
    "finish",
    "say",
]
