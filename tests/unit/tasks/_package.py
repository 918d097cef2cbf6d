"""Generating the Petstore package with its tasks, for the compile and crash tests.

Until the renderer writes `tasks.py` itself, the tasks are compiled and added here exactly as
`render` will: `render_tasks(program, plan)`, formatted with the renderer's ruff settings.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from specagent import GenerateOptions, generate, ir
from specagent.agentfile import load_agent_file
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.render import render_tasks
from specagent.render._format import format_python
from specagent.tasks import compile_agent

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SPEC = REPO / "examples" / "petstore" / "openapi.yaml"
AGENT = HERE / "petstore_agent.yaml"
PACKAGE = "petstore_agent"


def build_petstore_package(root: Path) -> Path:
    """Write the generated package into `root / petstore_agent`; returns that folder."""
    result = generate(SPEC, AGENT, PACKAGE, GenerateOptions())
    problems = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, problems
    files = dict(result.files)
    tasks_file = PurePosixPath("tasks.py")
    if tasks_file not in files:
        agent = load_agent_file(AGENT)
        plan = make_plan(build_api(load_spec(SPEC)), agent.config, PACKAGE)
        program, diagnostics = compile_agent(agent, plan)
        assert diagnostics == [], [d.render() for d in diagnostics]
        files[tasks_file] = format_python({tasks_file: render_tasks(program, plan)})[tasks_file]
    package = root / PACKAGE
    for path, text in files.items():
        target = package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return package
