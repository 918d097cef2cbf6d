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
    from specagent_runtime.testing._anthropic import (
        ScriptedAnthropic,
    )
    from specagent_runtime.testing._anthropic import (
        problems as anthropic_problems,
    )
    from specagent_runtime.testing._checks import (
        EVENT_KINDS,
        EventPattern,
        ReplyCheck,
        RequestPattern,
        ToolPattern,
        consent_problems,
    )
    from specagent_runtime.testing._command import (
        run_and_report,
    )
    from specagent_runtime.testing._harness import (
        AgentHarness,
        TurnResult,
        placeholder_credentials,
    )
    from specagent_runtime.testing._identities import (
        make_identity,
    )
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
    from specagent_runtime.testing._read import (
        TestFileError,
        find_test_files,
        load_test_file,
        load_tests,
    )
    from specagent_runtime.testing._recorder import (
        ApiRecorder,
        ApiRequest,
        Stub,
        package_operations,
    )
    from specagent_runtime.testing._report import (
        format_report,
        junit_xml,
        write_junit,
    )
    from specagent_runtime.testing._runner import (
        Failure,
        RunOptions,
        SuiteResult,
        TestResult,
        TrialResult,
        pass_hat_k,
        run_tests,
        run_tests_async,
    )
    from specagent_runtime.testing._schema import (
        ConversationTest,
        EndExpect,
        Expect,
        Scenario,
        StateCheck,
        TestFile,
        TurnSpec,
    )
    from specagent_runtime.testing._simulate import (
        SimulatedCustomer,
    )
    from specagent_runtime.testing._yaml import (
        Problem,
    )

# public name -> (module, attribute in it)
_SOURCES: dict[str, tuple[str, str]] = {
    # Models that play a script (OpenAI-compatible chat completions, Anthropic Messages).
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
    # The API side: every request recorded, stubs by operationId.
    "ApiRecorder": ("specagent_runtime.testing._recorder", "ApiRecorder"),
    "ApiRequest": ("specagent_runtime.testing._recorder", "ApiRequest"),
    "Stub": ("specagent_runtime.testing._recorder", "Stub"),
    "package_operations": ("specagent_runtime.testing._recorder", "package_operations"),
    # One conversation with a generated package, and what to expect of its turns.
    "AgentHarness": ("specagent_runtime.testing._harness", "AgentHarness"),
    "TurnResult": ("specagent_runtime.testing._harness", "TurnResult"),
    "make_identity": ("specagent_runtime.testing._identities", "make_identity"),
    "placeholder_credentials": ("specagent_runtime.testing._harness", "placeholder_credentials"),
    "RequestPattern": ("specagent_runtime.testing._checks", "RequestPattern"),
    "EventPattern": ("specagent_runtime.testing._checks", "EventPattern"),
    "ToolPattern": ("specagent_runtime.testing._checks", "ToolPattern"),
    "ReplyCheck": ("specagent_runtime.testing._checks", "ReplyCheck"),
    "consent_problems": ("specagent_runtime.testing._checks", "consent_problems"),
    "EVENT_KINDS": ("specagent_runtime.testing._checks", "EVENT_KINDS"),
    # Conversation test files (YAML), as read.
    "load_test_file": ("specagent_runtime.testing._read", "load_test_file"),
    "load_tests": ("specagent_runtime.testing._read", "load_tests"),
    "find_test_files": ("specagent_runtime.testing._read", "find_test_files"),
    "TestFileError": ("specagent_runtime.testing._read", "TestFileError"),
    "Problem": ("specagent_runtime.testing._yaml", "Problem"),
    "TestFile": ("specagent_runtime.testing._schema", "TestFile"),
    "ConversationTest": ("specagent_runtime.testing._schema", "ConversationTest"),
    "TurnSpec": ("specagent_runtime.testing._schema", "TurnSpec"),
    "Expect": ("specagent_runtime.testing._schema", "Expect"),
    "EndExpect": ("specagent_runtime.testing._schema", "EndExpect"),
    "StateCheck": ("specagent_runtime.testing._schema", "StateCheck"),
    "Scenario": ("specagent_runtime.testing._schema", "Scenario"),
    # Running them: scripted or live, trials and pass^k, simulated customers, reports.
    "RunOptions": ("specagent_runtime.testing._runner", "RunOptions"),
    "run_tests": ("specagent_runtime.testing._runner", "run_tests"),
    "run_tests_async": ("specagent_runtime.testing._runner", "run_tests_async"),
    "SuiteResult": ("specagent_runtime.testing._runner", "SuiteResult"),
    "TestResult": ("specagent_runtime.testing._runner", "TestResult"),
    "TrialResult": ("specagent_runtime.testing._runner", "TrialResult"),
    "Failure": ("specagent_runtime.testing._runner", "Failure"),
    "pass_hat_k": ("specagent_runtime.testing._runner", "pass_hat_k"),
    "SimulatedCustomer": ("specagent_runtime.testing._simulate", "SimulatedCustomer"),
    "format_report": ("specagent_runtime.testing._report", "format_report"),
    "junit_xml": ("specagent_runtime.testing._report", "junit_xml"),
    "write_junit": ("specagent_runtime.testing._report", "write_junit"),
    "run_and_report": ("specagent_runtime.testing._command", "run_and_report"),
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = source
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # cached: later reads do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "EVENT_KINDS",
    "FINISH_TOOL",
    "AgentHarness",
    "ApiRecorder",
    "ApiRequest",
    "ConversationTest",
    "EndExpect",
    "EventPattern",
    "Expect",
    "Failure",
    "Problem",
    "ReplyCheck",
    "RequestPattern",
    "RunOptions",
    "Scenario",
    "ScriptedAnthropic",
    "ScriptedModel",
    "SimulatedCustomer",
    "StateCheck",
    "Stub",
    "SuiteResult",
    "TestFile",
    "TestFileError",
    "TestResult",
    "ToolCall",
    "ToolPattern",
    "TrialResult",
    "Turn",
    "TurnResult",
    "TurnSpec",
    "anthropic_problems",
    "call",
    "calls",
    "consent_problems",
    "find_test_files",
    "finish",
    "format_report",
    "junit_xml",
    "load_test_file",
    "load_tests",
    "make_identity",
    "package_operations",
    "pass_hat_k",
    "placeholder_credentials",
    "run_and_report",
    "run_tests",
    "run_tests_async",
    "say",
    "write_junit",
]
