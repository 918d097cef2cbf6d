"""How names flow through a task's steps: what each step sets, and what is known after an `if`.

A name is usable at a step only if every path from the start to that step sets it; these helpers
compute that for the checker, and remember where each name is first set so that a use before it
can point there.
"""

from __future__ import annotations

from collections.abc import Iterable

from specagent.tasks import _model as m
from specagent.tasks._types import Ty


def merge_branches(
    variables: dict[str, Ty],
    partial: dict[str, str],
    then: tuple[dict[str, Ty], dict[str, str], bool],
    otherwise: tuple[dict[str, Ty], dict[str, str], bool],
    where: str,
) -> None:
    """The scope after an `if`: names set on every path that continues past it."""
    live = [branch for branch in (then, otherwise) if not branch[2]]
    if not live:
        return
    names = set.intersection(*(set(branch[0]) for branch in live))
    every = set.union(*(set(branch[0]) for branch in live))
    for name in sorted(every):
        if name in names:
            variables[name] = next(branch[0][name] for branch in live)
            partial.pop(name, None)
        else:
            partial[name] = where
    for branch in live:
        for name, place in branch[1].items():
            if name not in variables:
                partial.setdefault(name, place)


def names_set(steps: Iterable[m.Step]) -> dict[str, str]:
    """Every name a step of the task sets, with where it is first set."""
    found: dict[str, str] = {}
    for step in steps:
        if isinstance(step, m.CallStep):
            if step.save_as is not None:
                found.setdefault(step.save_as, step.where)
            found.update(
                {k: v for k, v in names_set(step.on_error or ()).items() if k not in found}
            )
        elif isinstance(step, m.SetStep):
            for name, source in step.values:
                found.setdefault(name, source.where)
        elif isinstance(step, m.IfStep):
            for name, place in (names_set(step.then) | names_set(step.otherwise)).items():
                found.setdefault(name, place)
        elif isinstance(step, m.ConfirmStep) and step.declined:
            for name, place in names_set(step.declined).items():
                found.setdefault(name, place)
    return found


def kind_of(step: m.Step) -> str:
    return {
        m.AskStep: "ask",
        m.CallStep: "call",
        m.IfStep: "if",
        m.ConfirmStep: "confirm",
        m.RespondStep: "respond",
        m.SetStep: "set",
        m.HandoffStep: "handoff",
        m.EndStep: "end",
    }[type(step)]


def default_prompt(name: str, description: str) -> str:
    if description:
        text = description.strip().rstrip(".?")
        return f"Please tell me {text[:1].lower()}{text[1:]}."
    return f"Please tell me the {name.replace('_', ' ')}."


def ends_run(steps: Iterable[m.Step]) -> bool:
    """Whether the steps always end the run (an `end`, a `handoff`, or an `if` whose two
    branches both end it)."""
    for step in steps:
        if isinstance(step, m.EndStep | m.HandoffStep):
            return True
        if isinstance(step, m.IfStep) and ends_run(step.then) and ends_run(step.otherwise):
            return True
    return False


def unconfirmed_calls(steps: Iterable[m.Step], confirmed: bool = False) -> list[m.CallStep]:
    """Calls that some path reaches without a `confirm` step before them."""
    found: list[m.CallStep] = []
    for step in steps:
        if isinstance(step, m.ConfirmStep):
            found.extend(unconfirmed_calls(step.declined or (), confirmed))
            confirmed = True
        elif isinstance(step, m.CallStep):
            if not confirmed:
                found.append(step)
            found.extend(unconfirmed_calls(step.on_error or (), confirmed))
        elif isinstance(step, m.IfStep):
            branches = (step.then, step.otherwise)
            for branch in branches:
                found.extend(unconfirmed_calls(branch, confirmed))
            live = [branch for branch in branches if not ends_run(branch)]
            confirmed = bool(live) and all(_confirms(branch, confirmed) for branch in live)
    return found


def _confirms(steps: Iterable[m.Step], confirmed: bool) -> bool:
    """Whether every path through `steps` that goes on has confirmed by its end."""
    for step in steps:
        if isinstance(step, m.ConfirmStep):
            confirmed = True
        elif isinstance(step, m.IfStep):
            live = [b for b in (step.then, step.otherwise) if not ends_run(b)]
            confirmed = bool(live) and all(_confirms(branch, confirmed) for branch in live)
    return confirmed
