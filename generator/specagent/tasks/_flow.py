"""What flows along a task's paths: names set, inputs asked, confirmations given.

A name is usable at a step only if every path from the start to that step sets it, and a call
that changes something should be preceded by a `confirm` on every path; these helpers compute
that for the checker and remember where things are first set, so a diagnostic can point there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from specagent import ir
from specagent._diagnostics import warning
from specagent.ir import Code
from specagent.plan import SAFE_METHODS
from specagent.tasks._types import Ty


def merge_branches(
    variables: dict[str, Ty],
    partial: dict[str, ir.Location],
    then: tuple[dict[str, Ty], dict[str, ir.Location], bool],
    otherwise: tuple[dict[str, Ty], dict[str, ir.Location], bool],
    where: ir.Location,
) -> None:
    """The scope after an `if`: names set on every path that continues past it."""
    live = [branch for branch in (then, otherwise) if not branch[2]]
    if not live:
        return
    names = set.intersection(*(set(branch[0]) for branch in live))
    every = set.union(*(set(branch[0]) for branch in live))
    for name in sorted(every):
        if name in names:
            types = [branch[0][name] for branch in live]
            # Results of different operations on the two paths: read as plain JSON after it.
            same_model = all(ty.model == types[0].model for ty in types)
            variables[name] = types[0] if same_model else replace(types[0], model=None)
            partial.pop(name, None)
        else:
            partial[name] = where
    for branch in live:
        for name, place in branch[1].items():
            if name not in variables:
                partial.setdefault(name, place)


def names_set(steps: Iterable[ir.Step]) -> dict[str, ir.Location]:
    """Every name a step of the task sets, with where it is first set."""
    found: dict[str, ir.Location] = {}
    for step in steps:
        if isinstance(step, ir.CallStep):
            if step.save_as is not None:
                found.setdefault(step.save_as, step.where)
            found.update(
                {k: v for k, v in names_set(step.on_error or ()).items() if k not in found}
            )
        elif isinstance(step, ir.SetStep):
            for name, source in step.values:
                found.setdefault(name, source.where)
        elif isinstance(step, ir.InstructStep):
            found.setdefault(step.save_as, step.save_where or step.where)
        elif isinstance(step, ir.IfStep):
            for name, place in (names_set(step.then) | names_set(step.otherwise)).items():
                found.setdefault(name, place)
        elif isinstance(step, ir.ConfirmStep) and step.declined:
            for name, place in names_set(step.declined).items():
                found.setdefault(name, place)
    return found


def kind_of(step: ir.Step) -> str:
    return {
        ir.AskStep: "ask",
        ir.CallStep: "call",
        ir.IfStep: "if",
        ir.ConfirmStep: "confirm",
        ir.RespondStep: "respond",
        ir.SetStep: "set",
        ir.HandoffStep: "handoff",
        ir.EndStep: "end",
        ir.InstructStep: "instruct",
    }[type(step)]


def task_input(decl: ir.InputDecl, *, required: bool = True) -> ir.TaskInput:
    return ir.TaskInput(
        name=decl.name,
        type=decl.type,
        description=decl.description,
        required=required,
        enum=decl.enum,
        pattern=decl.pattern,
        format=decl.format,
        minimum=decl.minimum,
        maximum=decl.maximum,
        min_length=decl.min_length,
        max_length=decl.max_length,
    )


def default_prompt(name: str, description: str) -> str:
    if description:
        text = description.strip().rstrip(".?")
        return f"Please tell me {text[:1].lower()}{text[1:]}."
    return f"Please tell me the {name.replace('_', ' ')}."


def ends_run(steps: Iterable[ir.Step]) -> bool:
    """Whether the steps always end the run (an `end`, a `handoff`, or an `if` whose two
    branches both end it)."""
    for step in steps:
        if isinstance(step, ir.EndStep | ir.HandoffStep):
            return True
        if isinstance(step, ir.IfStep) and ends_run(step.then) and ends_run(step.otherwise):
            return True
    return False


def unconfirmed_calls(steps: Iterable[ir.Step], confirmed: bool = False) -> list[ir.CallStep]:
    """Calls that some path reaches without a `confirm` step before them."""
    found: list[ir.CallStep] = []
    for step in steps:
        if isinstance(step, ir.ConfirmStep):
            found.extend(unconfirmed_calls(step.declined or (), confirmed))
            confirmed = True
        elif isinstance(step, ir.CallStep):
            if not confirmed:
                found.append(step)
            found.extend(unconfirmed_calls(step.on_error or (), confirmed))
        elif isinstance(step, ir.IfStep):
            branches = (step.then, step.otherwise)
            for branch in branches:
                found.extend(unconfirmed_calls(branch, confirmed))
            live = [branch for branch in branches if not ends_run(branch)]
            confirmed = bool(live) and all(_confirms(branch, confirmed) for branch in live)
    return found


def _confirms(steps: Iterable[ir.Step], confirmed: bool) -> bool:
    """Whether every path through `steps` that goes on has confirmed by its end."""
    for step in steps:
        if isinstance(step, ir.ConfirmStep):
            confirmed = True
        elif isinstance(step, ir.IfStep):
            live = [b for b in (step.then, step.otherwise) if not ends_run(b)]
            confirmed = bool(live) and all(_confirms(branch, confirmed) for branch in live)
    return confirmed


def asks(steps: Iterable[ir.Step]) -> dict[str, ir.Location]:
    """Every input an `ask` step collects, with where it is first asked."""
    found: dict[str, ir.Location] = {}
    for step in steps:
        if isinstance(step, ir.AskStep):
            found.setdefault(step.input, step.where)
        nested = _nested(step)
        for name, where in asks(nested).items():
            found.setdefault(name, where)
    return found


def _nested(step: ir.Step) -> tuple[ir.Step, ...]:
    if isinstance(step, ir.IfStep):
        return step.then + step.otherwise
    if isinstance(step, ir.ConfirmStep):
        return step.declined or ()
    if isinstance(step, ir.CallStep):
        return step.on_error or ()
    return ()


def warn_unconfirmed(
    declaration: ir.TaskDecl, plan: ir.Plan, diagnostics: list[ir.Diagnostic]
) -> None:
    """A call that changes something should come after the customer's yes on every path."""
    methods = {}
    for endpoint in plan.endpoints:
        operation = endpoint.operation
        methods[operation.id] = operation.method
        if operation.original_id:
            methods.setdefault(operation.original_id, operation.method)
    for step in unconfirmed_calls(declaration.steps):
        method = methods.get(step.operation)
        if method is not None and method.lower() not in SAFE_METHODS:
            diagnostics.append(
                warning(
                    Code.TASK_UNCONFIRMED,
                    step.where,
                    f"task `{declaration.name}`: `call: {step.operation}` ({method.upper()})"
                    " changes something, but some path reaches it without a `confirm` step",
                    "add `- confirm: ...` before it, so the customer agrees first",
                )
            )
