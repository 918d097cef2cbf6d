"""Tasks: multi-step procedures from agent.yaml, checked against the spec and compiled.

    program, diagnostics = compile_agent(load_agent_file(Path("agent.yaml")), plan)
    files["tasks.py"] = render_tasks(program, plan)       # specagent.render: step functions
    agent_json["tasks"] = task_tools(program)             # one tool per task for the model

The `tasks:` section is read with line numbers by `specagent.agentfile`; here every expression
is parsed with `ast`, type-checked against the inputs, the identity and the response schemas of
the calls before it (`_expr`, `_types`), and each step is reduced to the effect it returns
(`_compile`): an `ir.TaskProgram`, which `specagent.render` lays out. See docs/tasks.md for the
language.
"""

from __future__ import annotations

from specagent import ir
from specagent.agentfile import AgentFile, parse_agent_text
from specagent.tasks._compile import compile_tasks
from specagent.tasks._context import compile_context

__all__ = ["build_tasks", "compile_agent", "compile_tasks"]


def compile_agent(agent: AgentFile, plan: ir.Plan) -> tuple[ir.TaskProgram, list[ir.Diagnostic]]:
    """The agent file's tasks and context, compiled against `plan`, with every problem: those
    found reading the two sections, then the compiler's."""
    diagnostics = list(agent.task_problems)
    program, problems = compile_tasks(agent.tasks, plan)
    diagnostics.extend(problems)
    context, context_problems = compile_context(agent.context, agent.context_problems, plan)
    diagnostics.extend(context_problems)
    return ir.TaskProgram(program.tasks, tuple(diagnostics), context), diagnostics


def build_tasks(
    text: str, source: str, plan: ir.Plan
) -> tuple[ir.TaskProgram, list[ir.Diagnostic]]:
    """`compile_agent` for agent file `text` (named `source` in diagnostics)."""
    return compile_agent(parse_agent_text(text, source), plan)
