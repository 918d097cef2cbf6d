"""Bad task files, one folder per case: `agent.yaml` + `openapi.yaml` + `expected_error.txt`.

The expected text is the report a user sees (every problem, sorted by place, with its hint).
`UPDATE_GOLDEN=1` rewrites the expected files after a deliberate change of wording.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from specagent import ir
from specagent._diagnostics import format_report
from specagent.agentfile import check_agent_against_api, load_agent_file
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.tasks import compile_agent

CASES = Path(__file__).resolve().parent / "bad_tasks"


def _report(case: Path) -> tuple[str, list[ir.Diagnostic]]:
    agent_file = Path("agent.yaml")  # relative, as a user would pass it: `agent.yaml:LINE`
    api = build_api(load_spec(case / "openapi.yaml"))
    agent = load_agent_file(agent_file)
    diagnostics = [*agent.problems, *check_agent_against_api(agent.config, api)]
    _, problems = compile_agent(agent, make_plan(api, agent.config, "shop_agent"))
    diagnostics.extend(problems)
    return format_report(diagnostics) + "\n", diagnostics


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_bad_task_file(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = CASES / case
    monkeypatch.chdir(folder)
    report, diagnostics = _report(folder)
    assert any(d.severity is ir.Severity.ERROR for d in diagnostics)
    expected = folder / "expected_error.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not expected.exists():
        expected.write_text(report, encoding="utf-8")
    assert report == expected.read_text(encoding="utf-8")
