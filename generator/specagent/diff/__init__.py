"""`specagent diff`: what a new version of an API changes for the agent built on it.

Two plans are compared, not two YAML files: the tools the model is offered, each tool's
arguments (as the model and the tasks pass them), the fields of its responses, its security,
and the operations the agent file's tasks call. Renamed components, reordered keys and
reworded prose do not count. Anything a task relies on is named with the task, the step and the
agent-file line, because that is where the developer has to act.

A change is *breaking* when something that works today can fail after the upgrade: a tool or
operation gone, an argument removed, renamed, retyped or newly required, an enum value a caller
may send dropped, a response field removed or retyped, other credentials needed, a task that no
longer compiles.
"""

from specagent.diff._format import format_json, format_markdown, format_text
from specagent.diff._model import Change, DiffReport, Impact, TaskRef
from specagent.diff._plans import diff_plans

__all__ = [
    "Change",
    "DiffReport",
    "Impact",
    "TaskRef",
    "diff_plans",
    "format_json",
    "format_markdown",
    "format_text",
]
