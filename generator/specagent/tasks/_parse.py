"""Reading the `tasks:` section of agent.yaml into task declarations, with line numbers.

The agent-file parser keeps `tasks:` as plain data, which has lost its lines; this module
re-composes the file's YAML node tree and reads the section node by node, so every problem (and
every expression the checker will look at later) can name `agent.yaml:LINE`.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable

import yaml

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.agentfile._yaml import NodeReader, child_path, compose, describe, is_null
from specagent.tasks import _model as m

STEP_KINDS = ("ask", "call", "if", "confirm", "respond", "set", "handoff", "end", "instruct")
END_STATUSES = ("done", "cancelled", "failed")
INPUT_TYPES = ("string", "integer", "number", "boolean")
# Names an expression starts from that are not the task's own variables.
RESERVED_NAMES = frozenset({"inputs", "identity", "context", "error", "len", "ctx"})

_TASK_KEYS = ("description", "requires", "inputs", "steps")
_INPUT_KEYS = (
    "type",
    "description",
    "enum",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "min_length",
    "max_length",
)
_STEP_KEYS = {
    "ask": ("ask", "prompt"),
    "call": ("call", "with", "as", "on_error"),
    "if": ("if", "then", "else"),
    "confirm": ("confirm", "else"),
    "respond": ("respond",),
    "set": ("set",),
    "handoff": ("handoff",),
    "end": ("end",),
    "instruct": ("instruct", "tools", "max_rounds", "output", "as"),
}
# Words people reach for instead of a step kind, for the hint.
_KIND_SYNONYMS = {
    "reply": "respond",
    "say": "respond",
    "tell": "respond",
    "message": "respond",
    "question": "ask",
    "prompt": "ask",
    "request": "call",
    "invoke": "call",
    "operation": "call",
    "escalate": "handoff",
    "transfer": "handoff",
    "stop": "end",
    "finish": "end",
    "return": "end",
    "when": "if",
    "let": "set",
    "assign": "set",
    "approve": "confirm",
}
_TASK_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_LITERAL_TAGS = _NUMBER_TAGS | {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}


def parse_tasks_text(text: str, source: str) -> tuple[list[m.TaskDecl], list[ir.Diagnostic]]:
    """The tasks declared in agent file `text`; `source` is the name diagnostics use."""
    node, problems = compose(text, source)
    if node is None:
        return [], problems
    reader = NodeReader(source)
    parser = _Parser(reader)
    tasks = parser.file(node)
    return tasks, reader.diagnostics


class _Parser:
    def __init__(self, reader: NodeReader) -> None:
        self.reader = reader
        self._constructor = yaml.constructor.SafeConstructor()

    def file(self, node: yaml.Node) -> list[m.TaskDecl]:
        if not isinstance(node, yaml.MappingNode):
            return []  # the agent-file parser reports a file that is not a mapping
        section = None
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "tasks":
                section = value_node
        if section is None or is_null(section):
            return []
        tasks = []
        for name, task_node in self.reader.mapping(section, "tasks").items():
            task = self.task(name, task_node, child_path("tasks", name))
            if task is not None:
                tasks.append(task)
        return tasks

    def task(self, name: str, node: yaml.Node, path: str) -> m.TaskDecl | None:
        where = self.reader.locations.get(path, self.reader.where(node))
        if not _TASK_NAME.match(name):
            suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:64] or "my_task"
            self.reader.diagnostics.append(
                ir.Diagnostic(
                    "task.bad_task_name",
                    ir.Severity.ERROR,
                    f"`{path}`: `{name}` is not a usable task name (lower case letters, digits"
                    " and `_`, starting with a letter, at most 64)",
                    where,
                    f"did you mean `{suggestion}`?",
                )
            )
        entries = self.reader.mapping(node, path, _TASK_KEYS)
        if not entries and not isinstance(node, yaml.MappingNode):
            return None
        description = self._text(entries, path, "description") or ""
        if "description" not in entries:
            self.reader.fail(
                "task.missing_key",
                node,
                f"`{path}` needs a `description`: it is what the model reads to choose the task",
            )
        requires = self._text(entries, path, "requires") or "verified"
        if requires not in ("verified", "anyone"):
            self.reader.fail(
                "task.bad_value",
                entries["requires"],
                f"`{child_path(path, 'requires')}` must be `verified` or `anyone`",
                did_you_mean(requires, ("verified", "anyone")),
            )
        inputs: list[m.InputDecl] = []
        if "inputs" in entries and not is_null(entries["inputs"]):
            inputs_path = child_path(path, "inputs")
            for input_name, input_node in self.reader.mapping(
                entries["inputs"], inputs_path
            ).items():
                decl = self.input(input_name, input_node, child_path(inputs_path, input_name))
                if decl is not None:
                    inputs.append(decl)
        steps: tuple[m.Step, ...] = ()
        if "steps" not in entries:
            self.reader.fail("task.missing_key", node, f"`{path}` needs `steps`")
        else:
            steps = self.steps(entries["steps"], child_path(path, "steps"))
        return m.TaskDecl(name, where, description, requires, tuple(inputs), steps)

    def input(self, name: str, node: yaml.Node, path: str) -> m.InputDecl | None:
        where = self.reader.where(node)
        self._check_name(name, node, path, "input")
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            kind = str(node.value)  # `order_id: integer`, the short form
            self._check_type(kind, node, path)
            return m.InputDecl(name, where, kind)
        entries = self.reader.mapping(node, path, _INPUT_KEYS)
        kind = self._text(entries, path, "type") or "string"
        if "type" in entries:
            self._check_type(kind, entries["type"], child_path(path, "type"))
        enum = tuple(
            value
            for value, _ in (
                self.reader.text_list(entries["enum"], child_path(path, "enum"))
                if "enum" in entries
                else []
            )
        )
        fmt = self._text(entries, path, "format")
        if fmt is not None and fmt != "email":
            self.reader.fail(
                "task.bad_value",
                entries["format"],
                f"`{child_path(path, 'format')}`: the only input format is `email`",
                did_you_mean(fmt, ("email",)),
            )
            fmt = None
        pattern = self._text(entries, path, "pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.reader.fail(
                    "task.bad_pattern",
                    entries["pattern"],
                    f"`{child_path(path, 'pattern')}` is not a regular expression: {exc.msg}",
                )
                pattern = None
        return m.InputDecl(
            name=name,
            where=where,
            type=kind,
            description=self._text(entries, path, "description") or "",
            enum=enum,
            pattern=pattern,
            format=fmt,
            minimum=self._number(entries, path, "minimum"),
            maximum=self._number(entries, path, "maximum"),
            min_length=self._whole(entries, path, "min_length"),
            max_length=self._whole(entries, path, "max_length"),
        )

    def steps(self, node: yaml.Node, path: str) -> tuple[m.Step, ...]:
        if is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.reader.wrong_type(node, path, "a list of steps")
            return ()
        steps = []
        for index, item in enumerate(node.value):
            step = self.step(item, child_path(path, index))
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def step(self, node: yaml.Node, path: str) -> m.Step | None:
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.reader.fail(
                "task.bad_step",
                node,
                f"`{path}` must be a step such as `call: getOrderById`, found {describe(node)}",
                "a step is a mapping whose first key is its kind: " + ", ".join(STEP_KINDS),
            )
            return None
        keys = [str(key.value) for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        kinds = [key for key in keys if key in STEP_KINDS]
        if not kinds:
            first = keys[0] if keys else ""
            synonym = _KIND_SYNONYMS.get(first.lower())
            self.reader.fail(
                "task.unknown_step",
                node,
                f"`{path}`: `{first}` is not a step kind",
                f"did you mean `{synonym}`?" if synonym else did_you_mean(first, STEP_KINDS),
            )
            return None
        if len(kinds) > 1:
            self.reader.fail(
                "task.bad_step",
                node,
                f"`{path}` has more than one kind ({', '.join(f'`{k}`' for k in kinds)});"
                " write one step per list item",
            )
            return None
        kind = kinds[0]
        entries = self.reader.mapping(node, path, _STEP_KEYS[kind])
        if kind not in entries:
            return None
        where = self.reader.where(node)
        reader: Callable[[dict[str, yaml.Node], str, str], m.Step | None] = getattr(
            self, f"_step_{kind}"
        )
        return reader(entries, path, where)

    # --- one reader per step kind --------------------------------------------------------------

    def _step_ask(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        name = self._text(entries, path, "ask")
        if name is None:
            return None
        prompt = self._text(entries, path, "prompt")
        prompt_where = self.reader.where(entries["prompt"]) if "prompt" in entries else ""
        return m.AskStep(where, name, prompt, prompt_where)

    def _step_call(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        operation = self._text(entries, path, "call")
        if operation is None:
            return None
        args: list[tuple[str, m.Source]] = []
        if "with" in entries and not is_null(entries["with"]):
            with_path = child_path(path, "with")
            for key, value in self.reader.mapping(entries["with"], with_path).items():
                source = self._source(value, child_path(with_path, key))
                if source is not None:
                    args.append((key, source))
        save_as = self._text(entries, path, "as")
        save_where = ""
        if save_as is not None:
            save_where = self.reader.where(entries["as"])
            self._check_name(save_as, entries["as"], child_path(path, "as"), "result")
        on_error = None
        if "on_error" in entries:
            on_error = self.steps(entries["on_error"], child_path(path, "on_error"))
        return m.CallStep(where, operation, tuple(args), save_as, save_where, on_error)

    def _step_if(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        condition = self._source(entries["if"], child_path(path, "if"))
        if "then" not in entries:
            self.reader.fail("task.missing_key", entries["if"], f"`{path}` needs `then` steps")
        then = self.steps(entries["then"], child_path(path, "then")) if "then" in entries else ()
        otherwise = (
            self.steps(entries["else"], child_path(path, "else")) if "else" in entries else ()
        )
        if condition is None:
            return None
        return m.IfStep(where, condition, then, otherwise)

    def _step_confirm(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        message = self._text(entries, path, "confirm")
        declined = (
            self.steps(entries["else"], child_path(path, "else")) if "else" in entries else None
        )
        return None if message is None else m.ConfirmStep(where, message, declined)

    def _step_respond(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        message = self._text(entries, path, "respond")
        return None if message is None else m.RespondStep(where, message)

    def _step_set(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        set_path = child_path(path, "set")
        values = []
        for name, value in self.reader.mapping(entries["set"], set_path).items():
            self._check_name(name, value, child_path(set_path, name), "variable")
            source = self._source(value, child_path(set_path, name))
            if source is not None:
                values.append((name, source))
        return m.SetStep(where, tuple(values))

    def _step_handoff(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        reason = self._text(entries, path, "handoff")
        return None if reason is None else m.HandoffStep(where, reason)

    def _step_instruct(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        from specagent.tasks._instruct_parse import read_instruct  # noqa: PLC0415  # cycle

        return read_instruct(self, entries, path, where)

    def _step_end(self, entries: dict[str, yaml.Node], path: str, where: str) -> m.Step | None:
        node = entries["end"]
        status = "done" if is_null(node) else self._text(entries, path, "end")
        if status is None:
            return None
        if status not in END_STATUSES:
            self.reader.fail(
                "task.bad_value",
                node,
                f"`{child_path(path, 'end')}`: `{status}` is not an end status",
                did_you_mean(status, END_STATUSES),
            )
            return None
        return m.EndStep(where, status)

    # --- values ----------------------------------------------------------------------------------

    def _text(self, entries: dict[str, yaml.Node], path: str, key: str) -> str | None:
        if key not in entries:
            return None
        return self.reader.text(entries[key], child_path(path, key))

    def _source(self, node: yaml.Node, path: str) -> m.Source | None:
        where = self.reader.where(node)
        if isinstance(node, yaml.ScalarNode) and node.tag in _LITERAL_TAGS:
            value = self._constructor.construct_object(node)
            if isinstance(value, float) and not math.isfinite(value):
                self.reader.wrong_type(node, path, "a finite number")
                return None
            return m.Source(None, value, where)
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return m.Source(str(node.value), None, where)
        self.reader.wrong_type(node, path, "an expression (text), a number, true/false or null")
        return None

    def _number(self, entries: dict[str, yaml.Node], path: str, key: str) -> float | None:
        node = entries.get(key)
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS:
            value = float(self._constructor.construct_object(node))
            if math.isfinite(value):
                return value
        self.reader.wrong_type(node, child_path(path, key), "a number")
        return None

    def _whole(self, entries: dict[str, yaml.Node], path: str, key: str) -> int | None:
        node = entries.get(key)
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            return int(self._constructor.construct_object(node))
        self.reader.wrong_type(node, child_path(path, key), "a whole number")
        return None

    def _check_type(self, kind: str, node: yaml.Node, path: str) -> None:
        if kind not in INPUT_TYPES:
            self.reader.fail(
                "task.bad_value",
                node,
                f"`{path}`: `{kind}` is not an input type",
                did_you_mean(kind, INPUT_TYPES),
            )

    def _check_name(self, name: str, node: yaml.Node, path: str, what: str) -> None:
        if not name.isascii() or not name.isidentifier() or keyword.iskeyword(name):
            self.reader.fail(
                "task.bad_name",
                node,
                f"`{path}`: {what} name `{name}` must be a plain identifier"
                " (ASCII letters, digits and `_`, not a Python keyword)",
            )
        elif name in RESERVED_NAMES:
            self.reader.fail(
                "task.bad_name",
                node,
                f"`{path}`: `{name}` is reserved in task expressions; choose another {what} name",
            )
