"""Loading a spec and an agent file up to the plan, for commands that need no rendering.

`specagent tools` and `specagent diff` look at what the model gets (tools, argument schemas,
tasks), which the plan holds; rendering models would cost them most of their time on large
specs. The stages and their diagnostics are those of `generate`, so a bad input reads the same
in every command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from specagent import ir
from specagent._diagnostics import sort_diagnostics
from specagent.agentfile import check_agent_against_api
from specagent.generate import GenerateOptions, load_inputs

__all__ = ["Planned", "plan_inputs"]


@dataclass(frozen=True)
class Planned:
    """The plan, or None when the inputs are too broken to make one.

    `problems` are faults of the spec or the agent file on their own (a diff cannot run on
    them); `agent_problems` are the agent file's references that this spec does not have,
    which `diff` reports as changes rather than as bad input.
    """

    plan: ir.Plan | None
    problems: tuple[ir.Diagnostic, ...]
    agent_problems: tuple[ir.Diagnostic, ...] = ()
    agent_text: str | None = field(default=None, repr=False)

    def blocking(self, *, strict: bool, agent_too: bool = True) -> bool:
        found = [*self.problems, *(self.agent_problems if agent_too else ())]
        return self.plan is None or any(d.severity is ir.Severity.ERROR or strict for d in found)


def plan_inputs(
    spec: str | Path,
    agent_file: Path | None,
    package: str,
    options: GenerateOptions,
    progress: Callable[[str], None] | None = None,
) -> Planned:
    from specagent.loader import build_api  # noqa: PLC0415  # heavy imports
    from specagent.plan import make_plan  # noqa: PLC0415

    report = progress or (lambda _stage: None)
    loaded, agent, found = load_inputs(spec, agent_file, options, report)
    agent_text = _read_text(agent_file) if agent_file is not None else None
    if loaded is None:
        return Planned(None, tuple(sort_diagnostics(found)), agent_text=agent_text)
    report("building")
    api = build_api(loaded)
    found.extend(api.diagnostics)
    against = check_agent_against_api(agent, api)
    report("planning")
    plan = make_plan(api, agent, package)
    found.extend(plan.diagnostics)
    return Planned(
        plan,
        tuple(sort_diagnostics(found)),
        tuple(sort_diagnostics(against)),
        agent_text,
    )


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # load_agent_file has reported it
