"""Reading the `tasks:` section of agent.yaml into task declarations, with line numbers.

The agent-file parser keeps `tasks:` as plain data, which has lost its lines; this module
re-composes the file's YAML node tree and reads the section node by node, so every problem (and
every expression the checker will look at later) can name `agent.yaml:LINE`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import yaml

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.agentfile._identity import read_owner
from specagent.agentfile._instruct import read_instruct
from specagent.agentfile._values import Values
from specagent.agentfile._yaml import NodeReader, child_path, describe, is_null
from specagent.ir import Code

STEP_KINDS = ("ask", "call", "if", "confirm", "respond", "set", "handoff", "end", "instruct")
END_STATUSES = ("done", "cancelled", "failed")

_TASK_KEYS = ("description", "requires", "inputs", "steps")
_STEP_KEYS = {
    "ask": ("ask", "prompt"),
    "call": ("call", "with", "as", "on_error", "owner"),
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


def read_tasks(reader: NodeReader, node: yaml.Node) -> list[ir.TaskDecl]:
    """The tasks declared in the agent file's composed `node`; problems go to `reader`."""
    return _TaskParser(reader).file(node)


def _only_as(node: yaml.Node) -> bool:
    """A list item that is nothing but `as: <name>`."""
    return (
        isinstance(node, yaml.MappingNode)
        and len(node.value) == 1
        and isinstance(node.value[0][0], yaml.ScalarNode)
        and node.value[0][0].value == "as"
    )


def _empty_list(node: yaml.Node) -> bool:
    """`steps: []` or `steps:` left empty (steps that failed to read are reported already)."""
    return is_null(node) or (isinstance(node, yaml.SequenceNode) and not node.value)


class _TaskParser(Values):
    def file(self, node: yaml.Node) -> list[ir.TaskDecl]:
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

    def task(self, name: str, node: yaml.Node, path: str) -> ir.TaskDecl | None:
        where = self.reader.locations.get(path, self.reader.where(node))
        if not _TASK_NAME.match(name):
            suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:64] or "my_task"
            self.reader.diagnostics.append(
                ir.Diagnostic(
                    Code.TASK_BAD_TASK_NAME,
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
        description = self.text(entries, path, "description") or ""
        if "description" not in entries:
            self.reader.fail(
                Code.TASK_MISSING_KEY,
                node,
                f"`{path}` needs a `description`: it is what the model reads to choose the task",
            )
        requires = self.text(entries, path, "requires") or "verified"
        if requires not in ("verified", "anyone"):
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                entries["requires"],
                f"`{child_path(path, 'requires')}` must be `verified` or `anyone`",
                did_you_mean(requires, ("verified", "anyone")),
            )
        inputs: list[ir.InputDecl] = []
        if "inputs" in entries and not is_null(entries["inputs"]):
            inputs_path = child_path(path, "inputs")
            for input_name, input_node in self.reader.mapping(
                entries["inputs"], inputs_path
            ).items():
                decl = self.input(input_name, input_node, child_path(inputs_path, input_name))
                if decl is not None:
                    inputs.append(decl)
        steps: tuple[ir.Step, ...] = ()
        if "steps" not in entries:
            self.reader.fail(Code.TASK_MISSING_KEY, node, f"`{path}` needs `steps`")
        else:
            steps = self.steps(entries["steps"], child_path(path, "steps"))
            if not steps and _empty_list(entries["steps"]):
                self.reader.fail(
                    Code.TASK_MISSING_KEY,
                    entries["steps"],
                    f"`{child_path(path, 'steps')}` is empty: the task would do nothing",
                    "give it its steps, e.g. `- call: getOrder` then `- respond: ...`, or "
                    "remove the task",
                )
        return ir.TaskDecl(name, where, description, requires, tuple(inputs), steps)

    def steps(self, node: yaml.Node, path: str) -> tuple[ir.Step, ...]:
        if is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.reader.wrong_type(node, path, "a list of steps")
            return ()
        steps: list[ir.Step] = []
        for index, item in enumerate(node.value):
            item_path = child_path(path, index)
            if steps and isinstance(steps[-1], ir.CallStep) and _only_as(item):
                steps[-1] = self._stray_as(steps[-1], item, item_path)
                continue
            step = self.step(item, item_path)
            if step is not None:
                steps.append(step)
        return tuple(steps)

    def _stray_as(self, call: ir.CallStep, item: yaml.MappingNode, path: str) -> ir.CallStep:
        """`- as: order` after a call: a new list item that belongs to the call above. One
        error here, and the call keeps the name, so the steps that read it say nothing."""
        value = item.value[0][1]
        name = self.reader.text(value, child_path(path, "as"))
        if call.save_as is not None or name is None:
            self.reader.fail(Code.TASK_BAD_STEP, item, f"`{path}`: `as:` alone is not a step")
            return call
        self.reader.fail(
            Code.TASK_BAD_STEP,
            item,
            f"`{path}`: `as: {name}` is a list item of its own, so it is not part of the "
            f"`call: {call.operation}` step above",
            "remove its `- ` and indent it like that step's `with:`",
        )
        return dataclasses.replace(call, save_as=name, save_where=self.reader.where(value))

    def step(self, node: yaml.Node, path: str) -> ir.Step | None:
        if not isinstance(node, yaml.MappingNode) or not node.value:
            self.reader.fail(
                Code.TASK_BAD_STEP,
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
                Code.TASK_UNKNOWN_STEP,
                node,
                f"`{path}`: `{first}` is not a step kind",
                f"did you mean `{synonym}`?" if synonym else did_you_mean(first, STEP_KINDS),
            )
            return None
        if len(kinds) > 1:
            self.reader.fail(
                Code.TASK_BAD_STEP,
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
        reader: Callable[[dict[str, yaml.Node], str, ir.Location], ir.Step | None] = getattr(
            self, f"_step_{kind}"
        )
        return reader(entries, path, where)

    # --- one reader per step kind --------------------------------------------------------------

    def _step_ask(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        name = self.text(entries, path, "ask")
        if name is None:
            return None
        prompt = self.text(entries, path, "prompt")
        prompt_where = self.reader.where(entries["prompt"]) if "prompt" in entries else None
        return ir.AskStep(where, name, prompt, prompt_where)

    def _step_call(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        operation = self.text(entries, path, "call")
        if operation is None:
            return None
        args: list[tuple[str, ir.Expression]] = []
        nested_as: yaml.Node | None = None
        if "with" in entries and not is_null(entries["with"]):
            with_path = child_path(path, "with")
            for key, value in self.reader.mapping(entries["with"], with_path).items():
                if key == "as" and "as" not in entries:
                    nested_as = value
                    self.reader.fail(
                        Code.TASK_BAD_STEP,
                        value,
                        f"`{child_path(with_path, 'as')}`: `as:` is inside `with:`, where it "
                        "would be a parameter; it names the step's result",
                        "indent it like `with:`, one level out",
                    )
                    continue
                source = self.expression(value, child_path(with_path, key))
                if source is not None:
                    args.append((key, source))
        if nested_as is not None:
            entries = {**entries, "as": nested_as}  # kept, so later steps can read it
        save_as = self.text(entries, path, "as")
        save_where = None
        if save_as is not None:
            save_where = self.reader.where(entries["as"])
            self.check_name(save_as, entries["as"], child_path(path, "as"), "result")
        on_error = None
        if "on_error" in entries:
            on_error = self.steps(entries["on_error"], child_path(path, "on_error"))
        owner = None
        if "owner" in entries:
            owner = read_owner(self.reader, entries["owner"], child_path(path, "owner"))
        return ir.CallStep(where, operation, tuple(args), save_as, save_where, on_error, owner)

    def _step_if(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        condition = self.expression(entries["if"], child_path(path, "if"))
        if "then" not in entries:
            self.reader.fail(Code.TASK_MISSING_KEY, entries["if"], f"`{path}` needs `then` steps")
        then = self.steps(entries["then"], child_path(path, "then")) if "then" in entries else ()
        otherwise = (
            self.steps(entries["else"], child_path(path, "else")) if "else" in entries else ()
        )
        if condition is None:
            return None
        return ir.IfStep(where, condition, then, otherwise)

    def _step_confirm(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        message = self.text(entries, path, "confirm")
        declined = (
            self.steps(entries["else"], child_path(path, "else")) if "else" in entries else None
        )
        return None if message is None else ir.ConfirmStep(where, message, declined)

    def _step_respond(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        message = self.text(entries, path, "respond")
        return None if message is None else ir.RespondStep(where, message)

    def _step_set(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        set_path = child_path(path, "set")
        values = []
        for name, value in self.reader.mapping(entries["set"], set_path).items():
            self.check_name(name, value, child_path(set_path, name), "variable")
            source = self.expression(value, child_path(set_path, name))
            if source is not None:
                values.append((name, source))
        return ir.SetStep(where, tuple(values))

    def _step_handoff(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        reason = self.text(entries, path, "handoff")
        return None if reason is None else ir.HandoffStep(where, reason)

    def _step_instruct(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        return read_instruct(self, entries, path, where)

    def _step_end(
        self, entries: dict[str, yaml.Node], path: str, where: ir.Location
    ) -> ir.Step | None:
        node = entries["end"]
        status = "done" if is_null(node) else self.text(entries, path, "end")
        if status is None:
            return None
        if status not in END_STATUSES:
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                node,
                f"`{child_path(path, 'end')}`: `{status}` is not an end status",
                did_you_mean(status, END_STATUSES),
            )
            return None
        return ir.EndStep(where, status)
