"""`specagent test --scaffold`: one scripted conversation test per path through each task.

A path is one way through the task's steps: each `if` taken one way or the other, each
`confirm` answered yes or no, each call with an `on_error` succeeding or failing, to an end,
a hand-off or the last step. For each, the test scripts what the model does (start the task,
finish its instruction steps), what the customer answers (the task's questions, yes or no),
stubs that make the API answer so that the branches go this path's way (`_values`), and what
must be seen: the task's messages, its events, the requests on the path and none of the
task's others. The developer completes the customer's words and anything marked TODO.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from specagent import ir
from specagent._jsonschema import resolve_schema
from specagent.plan import SAFE_METHODS
from specagent.scaffold._values import (
    Constraint,
    Ref,
    Unsolvable,
    at_path,
    constraints,
    example,
    from_pattern,
    literal_text,
    put,
    readable,
    reads,
    solve,
)

__all__ = ["scaffold_tests"]

_MAX_PATHS = 40  # per task: a task with more is better tested by hand than by a wall of files
_FINISH = "finish_step"
_IDENTITY_EXAMPLES = {
    "email": "customer@example.com",
    "customer_id": "1",
    "user_id": "1",
    "username": "customer1",
}


@dataclass(frozen=True, slots=True)
class _Step:
    step: ir.CompiledStep
    choice: str = ""  # then/else for if, yes/no for confirm, ok/error for a call with on_error


@dataclass(frozen=True, slots=True)
class _Path:
    steps: tuple[_Step, ...]
    end: str  # done, cancelled, failed, handed_off


@dataclass
class _Turn:
    customer: str
    comment: str = ""
    model: list[dict[str, Any]] = field(default_factory=list)
    reply: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    no_requests: list[str] = field(default_factory=list)


def scaffold_tests(plan: ir.Plan, program: ir.TaskProgram) -> dict[str, str]:
    """File name (``<task>.yaml``) -> the YAML text of its tests, for every task."""
    endpoints = {endpoint.constant: endpoint for endpoint in plan.endpoints}
    tools = {tool.name: tool for tool in plan.tools}
    return {
        f"{task.name}.yaml": _TaskScaffold(task, plan, endpoints, tools).text()
        for task in program.tasks
    }


class _TaskScaffold:
    def __init__(
        self,
        task: ir.CompiledTask,
        plan: ir.Plan,
        endpoints: Mapping[str, ir.Endpoint],
        tools: Mapping[str, ir.Tool],
    ) -> None:
        self.task = task
        self.plan = plan
        self.endpoints = endpoints
        self.tools = tools
        self.by_id = {step.id: step for step in task.steps}
        self.asked = {
            step.effect.input for step in task.steps if isinstance(step.effect, ir.AskEffect)
        }
        self.fields = {field.name: field for field in task.inputs}
        self.parameter_of = self._input_parameters()

    # --- paths -------------------------------------------------------------------------------

    def paths(self) -> list[_Path]:
        found: list[_Path] = []
        for path in self._walk(self.task.first, ()):
            found.append(path)
            if len(found) >= _MAX_PATHS:
                break
        return found

    def _walk(self, step_id: str | None, taken: tuple[_Step, ...]) -> Iterator[_Path]:
        if step_id is None:
            yield _Path(taken, "done")
            return
        if sum(1 for s in taken if s.step.id == step_id) > 1:  # a loop: once round is enough
            return
        step = self.by_id[step_id]
        effect = step.effect
        here = (*taken, _Step(step))
        if isinstance(effect, ir.BranchEffect):
            yield from self._walk(effect.then, (*taken, _Step(step, "then")))
            yield from self._walk(effect.otherwise, (*taken, _Step(step, "else")))
        elif isinstance(effect, ir.ConfirmEffect):
            yield from self._walk(effect.next, (*taken, _Step(step, "yes")))
            if effect.declined is not None:
                yield from self._walk(effect.declined, (*taken, _Step(step, "no")))
            else:
                yield _Path((*taken, _Step(step, "no")), "cancelled")
        elif isinstance(effect, ir.CallEffect):
            yield from self._walk(effect.next, (*taken, _Step(step, "ok")))
            if effect.on_error is not None:
                yield from self._walk(effect.on_error, (*taken, _Step(step, "error")))
        elif isinstance(effect, ir.HandoffEffect):
            yield _Path(here, "handed_off")
        elif isinstance(effect, ir.EndEffect):
            yield _Path(here, effect.status)
        else:
            yield from self._walk(effect.next, here)

    # --- one test per path -------------------------------------------------------------------

    def text(self) -> str:
        task = self.task
        lines = [
            f"# Conversation tests of the task `{task.name}`: one per path through its steps,",
            "# written by `specagent test --scaffold` for you to complete. Scripted: `model:` is",
            "# what the model does in a turn, `stubs:` what the API answers (chosen so that each",
            "# test takes its path); make the customer's words your customers' own.",
            "# Run: specagent test <this folder>   Reference: testing.md in specagent's docs",
            f"package: {self.plan.package}",
            "# api: {server: module:callable}   # a reference server instead of the stubs",
            "",
            "tests:",
        ]
        names: set[str] = set()
        for path in self.paths():
            lines.extend(self._test(path, names))
        return "\n".join(lines) + "\n"

    def _test(self, path: _Path, names: set[str]) -> list[str]:
        wanted: dict[Ref, list[Constraint]] = {}
        todo: list[str] = []
        for item in path.steps:
            effect = item.step.effect
            if isinstance(effect, ir.BranchEffect):
                try:
                    for constraint in constraints(effect.condition, item.choice == "then"):
                        wanted.setdefault(constraint.ref, []).append(constraint)
                except Unsolvable:
                    todo.append(f"make `{readable(effect.condition)}` {item.choice == 'then'}")
        values = _Values(self, wanted, todo)
        name = self._name(path, names)
        turns, stubs = self._turns(path, values)
        lines = [f"  - name: {_flow(name)}"]
        for note in values.todo:
            lines.append(f"    # TODO: {note}")
        identity = self._identity()
        if identity:
            lines.append(f"    identity: {_flow(identity)}")
        if stubs:
            lines.append("    stubs:")
            for operation, stub in stubs.items():
                lines.append(f"      {operation}:")
                for key, value in stub.items():
                    lines.extend(_entry(key, value, "        "))
        unconfirmed = self._unconfirmed(path)
        if unconfirmed:
            lines.append("    # the task calls these without a `confirm` step before them:")
            lines.append(f"    unconfirmed: {_flow(unconfirmed)}")
        lines.append("    turns:")
        for turn in turns:
            lines.extend(_turn_lines(turn))
        made = [op for turn in turns for op in turn.requests]
        others = sorted(self._operations() - set(made))
        lines.append("    end:")
        lines.append(f"      requests: {_flow(made)}")
        if others:
            lines.append(f"      no_requests: {_flow(others)}")
        lines.append("")
        return lines

    def _turns(self, path: _Path, values: _Values) -> tuple[list[_Turn], dict[str, Any]]:
        task = self.task
        start = {
            name: values.input(name)
            for name, item in self.fields.items()
            if item.required and name not in self.asked
        }
        first = _Turn(
            customer=f"(the customer asks for {task.name.replace('_', ' ')})",
            comment="TODO: the customer's own words",
            model=[{"call": task.name, "with": start}],
            events=[{"task_started": task.name}],
        )
        turns = [first]
        stubs: dict[str, Any] = {}
        for item in path.steps:
            effect = item.step.effect
            turn = turns[-1]
            if isinstance(effect, ir.AskEffect):
                turn.events.append({"task_waiting": f"input:{effect.input}"})
                turn.reply.extend(_words(effect.prompt))
                turns.append(_Turn(customer=str(values.input(effect.input))))
            elif isinstance(effect, ir.ConfirmEffect):
                turn.events.append({"task_waiting": "confirmation"})
                turn.reply.extend(_words(effect.message))
                turns.append(_Turn(customer=item.choice))
            elif isinstance(effect, ir.RespondEffect):
                turn.reply.extend(_words(effect.message))
            elif isinstance(effect, ir.InstructEffect):
                outputs = {
                    output.name: values.value(effect.save_as, output) for output in effect.output
                }
                turn.model.append({"call": _FINISH, "with": outputs})
            elif isinstance(effect, ir.CallEffect):
                endpoint = self.endpoints.get(effect.operation)
                if endpoint is None:
                    continue
                operation = endpoint.operation.id
                turn.requests.append(operation)
                if item.choice == "error":
                    stubs[operation] = {"status": 500, "body": {"message": "TODO: the API's error"}}
                else:
                    stubs[operation] = {"body": values.body(effect.save_as, endpoint)}
        last = turns[-1]
        if path.end == "handed_off":
            last.events.append("handoff_requested")
        last.events.append({"task_finished": path.end})
        return turns, stubs

    # --- names and bits ----------------------------------------------------------------------

    def _name(self, path: _Path, names: set[str]) -> str:
        labels = []
        for item in path.steps:
            effect = item.step.effect
            if isinstance(effect, ir.BranchEffect):
                labels.append(readable(effect.condition, negate=item.choice != "then"))
            elif isinstance(effect, ir.ConfirmEffect):
                labels.append("confirmed" if item.choice == "yes" else "declined")
            elif isinstance(effect, ir.CallEffect) and item.choice == "error":
                endpoint = self.endpoints.get(effect.operation)
                labels.append(f"{endpoint.operation.id if endpoint else 'a call'} fails")
        if path.end == "handed_off":
            labels.append("handed off")
        base = f"{self.task.name} when {', '.join(labels)}" if labels else self.task.name
        name, number = base, 2
        while name in names:
            name, number = f"{base} ({number})", number + 1
        names.add(name)
        return name

    def _identity(self) -> dict[str, str]:
        fields: set[str] = set()
        for step in self.task.steps:
            effect = step.effect
            expressions: list[ir.Expr | ir.Message] = []
            if isinstance(effect, ir.CallEffect):
                expressions = [value for _, value in effect.args]
            elif isinstance(effect, ir.BranchEffect):
                expressions = [effect.condition]
            elif isinstance(effect, ir.AskEffect):
                expressions = [effect.prompt]
            elif isinstance(effect, ir.ConfirmEffect | ir.RespondEffect):
                expressions = [effect.message]
            elif isinstance(effect, ir.InstructEffect):
                expressions = [effect.instruction]
                for tool in effect.tools:
                    found = self.tools.get(tool)
                    if found is not None:
                        fields.update(field for _, field in found.bindings)
            for expression in expressions:
                for read in reads(expression):
                    if read.variable == "identity" and read.path:
                        fields.add(str(read.path[0]))
        if self.task.requires == "verified" and not fields:
            fields.add("email")
        return {name: _IDENTITY_EXAMPLES.get(name, "TODO") for name in sorted(fields)}

    def _operations(self) -> set[str]:
        found = set()
        for step in self.task.steps:
            if isinstance(step.effect, ir.CallEffect):
                endpoint = self.endpoints.get(step.effect.operation)
                if endpoint is not None:
                    found.add(endpoint.operation.id)
        return found

    def _input_parameters(self) -> dict[str, Mapping[str, Any]]:
        """The schema of the parameter each input is passed to as it is (`with: {linkId:
        inputs.link_id}`): its example or pattern gives the input a value the API takes."""
        found: dict[str, Mapping[str, Any]] = {}
        for step in self.task.steps:
            effect = step.effect
            endpoint = (
                self.endpoints.get(effect.operation) if isinstance(effect, ir.CallEffect) else None
            )
            if endpoint is None or not isinstance(effect, ir.CallEffect):
                continue
            parameters = {p.name: p for p in endpoint.operation.parameters}
            for key, value in effect.args:
                if (
                    isinstance(value, ir.ReadExpr)
                    and value.variable == "inputs"
                    and len(value.path) == 1
                    and key in parameters
                ):
                    schema = resolve_schema(parameters[key].schema, self.plan.api.schemas)
                    found.setdefault(str(value.path[0]), schema)
        return found

    def _unconfirmed(self, path: _Path) -> list[str]:
        confirmed = False
        found: list[str] = []
        for item in path.steps:
            effect = item.step.effect
            if isinstance(effect, ir.ConfirmEffect):
                confirmed = True
            elif isinstance(effect, ir.CallEffect) and not confirmed:
                endpoint = self.endpoints.get(effect.operation)
                if endpoint is not None and endpoint.operation.method not in SAFE_METHODS:
                    found.append(endpoint.operation.id)
        return sorted(set(found))


class _Values:
    """The values one path needs: inputs, instruction outputs, response bodies."""

    def __init__(
        self, scaffold: _TaskScaffold, wanted: dict[Ref, list[Constraint]], todo: list[str]
    ) -> None:
        self.scaffold = scaffold
        self.wanted = wanted
        self.todo = todo

    def _solved(
        self,
        variable: str,
        path: tuple[str | int, ...],
        start: Any,
        what: str,
        options: Sequence[Any] = (),
    ) -> Any:
        found = self.wanted.get((variable, path))
        if not found:
            return start
        try:
            return solve(found, start, options)
        except Unsolvable:
            self.todo.append(
                f"{what} must satisfy {', '.join(f'{c.op} {c.value!r}' for c in found)}"
            )
            return start

    def input(self, name: str) -> Any:
        item = self.scaffold.fields.get(name)
        start = (
            _input_example(item, self.scaffold.parameter_of.get(name))
            if item is not None
            else "TODO"
        )
        options = item.enum if item is not None else ()
        return self._solved("inputs", (name,), start, f"inputs.{name}", options)

    def value(self, variable: str, output: ir.TaskInput) -> Any:
        return self._solved(
            variable, (output.name,), _input_example(output), f"{variable}.{output.name}"
        )

    def body(self, variable: str | None, endpoint: ir.Endpoint) -> Any:
        api = self.scaffold.plan.api
        body = example(endpoint.success_schema, api)
        fields = self.scaffold.task.fields_used
        used = [_split(path) for operation, path in fields if operation == endpoint.operation.id]
        for path in used:
            if _get(body, path) is None:
                value = example(at_path(endpoint.success_schema, path, api), api)
                body = put(body, path, "text" if value is None else value)
        if variable is not None:
            for (name, path), _found in self.wanted.items():
                if name == variable and path:
                    schema = at_path(endpoint.success_schema, path, api)
                    start = _get(body, path)
                    if start is None:
                        start = example(schema, api)
                    enum = resolve_schema(schema, api.schemas).get("enum") if schema else None
                    options = enum if isinstance(enum, list) else ()
                    what = f"{name}.{_dotted(path)}"
                    body = put(body, path, self._solved(name, path, start, what, options))
        return body if body is not None else {}


def _input_example(item: ir.TaskInput, parameter: Mapping[str, Any] | None = None) -> Any:
    """A value for a task input; `parameter`, the schema of the API parameter it is passed to,
    lends its example or a value its pattern matches."""
    if item.enum:
        return item.enum[0]
    if parameter is not None:
        example = parameter.get("example")
        if item.type == "integer" and isinstance(example, int) and not isinstance(example, bool):
            return example
        if item.type == "string" and not item.format:
            if isinstance(example, str) and example:
                return example
            pattern = parameter.get("pattern")
            matching = from_pattern(pattern) if isinstance(pattern, str) else None
            if matching is not None:
                return matching
    if item.type == "integer":
        return int(item.minimum) if item.minimum is not None else 1
    if item.type == "number":
        return item.minimum if item.minimum is not None else 1.5
    if item.type == "boolean":
        return True
    text = {"email": "customer@example.com", "date": "2026-01-15"}.get(item.format or "", "text")
    if re.search(r"(^|_)(id|number|num|no)$", item.name.lower()) and not item.format:
        text = "1"  # an order number rather than "text"
    if item.min_length is not None and len(text) < item.min_length:
        text += "x" * (item.min_length - len(text))
    return text


def _split(path: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in path.replace("[", ".[").split("."):
        if not piece:
            continue
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _get(body: Any, path: tuple[str | int, ...]) -> Any:
    current = body
    for part in path:
        if isinstance(part, int) and isinstance(current, list) and len(current) > part:
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _words(message: ir.Message) -> list[str]:
    text = literal_text(message)
    return [text] if text else []


def _flow(value: Any) -> str:
    """A value as one line of YAML (flow style)."""
    text = yaml.safe_dump(
        value, default_flow_style=True, width=10_000, allow_unicode=True, sort_keys=False
    )
    return text.strip().removesuffix("...").strip()


def _entry(key: str, value: Any, indent: str) -> list[str]:
    """`key: value` in flow style when it fits on a line, else as an indented block."""
    flow = f"{indent}{key}: {_flow(value)}"
    if len(flow) <= 96 or not isinstance(value, dict | list) or not value:
        return [flow]
    block = yaml.safe_dump(
        value, default_flow_style=None, width=88, sort_keys=False, allow_unicode=True
    )
    return [f"{indent}{key}:", *(f"{indent}  {line}" for line in block.rstrip().splitlines())]


def _turn_lines(turn: _Turn) -> list[str]:
    comment = f"  # {turn.comment}" if turn.comment else ""
    lines = [f"      - customer: {_flow(turn.customer)}{comment}"]
    if turn.model:
        lines.append("        model:")
        for item in turn.model:
            lines.append(f"          - call: {item['call']}")
            if item["with"]:
                lines.append(f"            with: {_flow(item['with'])}")
    expect: list[str] = []
    if turn.reply:
        expect.append(f"          reply: {_flow({'contains': turn.reply})}")
    if turn.events:
        expect.append(f"          events: {_flow(turn.events)}")
    if turn.requests:
        expect.append(f"          requests: {_flow(turn.requests)}")
    if expect:
        lines.append("        expect:")
        lines.extend(expect)
    return lines
