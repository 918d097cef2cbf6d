"""The testing kit in pytest: conversation test files collected as tests, and fixtures.

    # conftest.py
    pytest_plugins = ["specagent_runtime.testing.pytest_plugin"]

Every YAML file in a folder named ``agent_tests`` (or below one) is collected; each test in it
is one pytest test, run scripted once, its failure reported with the turn and the transcript,
exactly as ``specagent test`` would. Simulated customers (live only) are skipped.

Fixtures:
- ``scripted_model``: a fresh `ScriptedModel` (in process).
- ``agent_harness``: a factory, ``agent_harness("acme_agent", stubs={...})``, of
  `AgentHarness` objects on the ``scripted_model``; use them with ``async with``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from specagent_runtime.testing._harness import AgentHarness
from specagent_runtime.testing._model import ScriptedModel
from specagent_runtime.testing._read import TestFileError, load_test_file
from specagent_runtime.testing._resolve import Resolved, resolve
from specagent_runtime.testing._runner import RunOptions, TestResult, run_test
from specagent_runtime.testing._schema import ConversationTest

__all__ = ["agent_harness", "scripted_model"]

_FOLDER = "agent_tests"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.suffix in (".yaml", ".yml") and _FOLDER in file_path.parts[:-1]:
        found: pytest.File = AgentTestFile.from_parent(parent, path=file_path)
        return found
    return None


class AgentTestFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            (resolved,) = resolve([load_test_file(self.path)])
        except TestFileError as exc:
            raise self.CollectError(str(exc)) from None
        for test in resolved.file.tests:
            yield AgentTestItem.from_parent(self, name=test.name, resolved=resolved, test=test)


class AgentTestFailed(Exception):
    def __init__(self, result: TestResult) -> None:
        super().__init__(result.name)
        self.result = result


class AgentTestItem(pytest.Item):
    def __init__(self, *, resolved: Resolved, test: ConversationTest, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resolved = resolved
        self.test = test

    def runtest(self) -> None:
        result = asyncio.run(run_test(self.resolved, self.test, RunOptions(), None))
        if result.skipped is not None:
            pytest.skip(result.skipped)
        if not result.ok:
            raise AgentTestFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if not isinstance(excinfo.value, AgentTestFailed):
            return super().repr_failure(excinfo)
        trial = excinfo.value.result.trials[0]
        lines = [str(failure) for failure in trial.failures]
        return "\n".join([*lines, "", "transcript:", *trial.transcript])

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.test.line - 1, f"agent test: {self.test.name}"


@pytest.fixture
def scripted_model() -> ScriptedModel:
    """A scripted OpenAI-compatible model, in process, empty."""
    return ScriptedModel()


@pytest.fixture
def agent_harness(scripted_model: ScriptedModel) -> Callable[..., AgentHarness]:
    """``agent_harness(package, **options)``: an `AgentHarness` on `scripted_model` (unless
    `model=` is given); enter it with ``async with``."""

    def make(package: str, **options: Any) -> AgentHarness:
        options.setdefault("model", scripted_model)
        return AgentHarness(package, **options)

    return make
