"""Whose data a task works on: `owner:` checks, redacted fields, and verified-only tasks that act
on something the customer merely named.

A `requires: verified` task runs for a verified customer, but that alone does not make the order
id they type theirs: `call: getOrderById with {orderId: inputs.order_id}` fetches anyone's order,
and a later `call: deleteOrder with {orderId: order.id}` deletes it. The compiler follows where
each variable's value comes from: the customer (`inputs`, an `instruct:` step's output, a `set:`
of those) or a call whose result is tied to the identity (an `owner:` check, or a call bound to
the identity: a parameter filled from `identity.*`). A consequential call whose path (the
resource it acts on) comes from the customer without such a tie is a warning, an error with
`--strict`.

Redaction is the other half: a field the tool override redacts is removed from a task call's
result before the run is saved, so a step that reads it is an error here rather than a missing
value at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from specagent import ir
from specagent._diagnostics import error, warning
from specagent.agentfile import check_owner, identity_fields
from specagent.ir import Code
from specagent.plan import SAFE_METHODS

Path = tuple[str | int, ...]  # a variable path as the expression checker records it


def find_override(plan: ir.Plan, operation: ir.Operation) -> ir.ToolOverride | None:
    names = {operation.id, operation.original_id}
    return next((o for o in plan.agent.overrides if o.operation_id in names), None)


class Ownership:
    def __init__(self, task: ir.TaskDecl, plan: ir.Plan, diagnostics: list[ir.Diagnostic]) -> None:
        self.task = task
        self.plan = plan
        self.diagnostics = diagnostics
        # variable -> where its value came from, for variables that hold the customer's choice
        self.chosen: dict[str, str] = {}
        # variable -> the redacted field paths of the call whose result it holds
        self.redacted: dict[str, tuple[tuple[str, ...], ...]] = {}
        self.redacted_by: dict[str, str] = {}

    # --- a call's owner and redaction ------------------------------------------------------

    def owner_of(self, step: ir.CallStep, operation: ir.Operation) -> tuple[str, str] | None:
        """The effective `owner:` of a call step (its own, else the tool override's), checked
        against the response; None when there is none. A wrong one is reported and still
        returned, so the error is not followed by a warning that the call is not tied."""
        override = find_override(self.plan, operation)
        declared = step.owner or (override.owner if override is not None else None)
        if declared is None:
            return None
        if step.owner is not None:
            known = identity_fields(self.plan.agent)
            problems = check_owner(step.owner, operation, self.plan.api.schemas, known, "owner")
            for problem in problems:
                message = f"task `{self.task.name}`: `call: {step.operation}`: {problem.message}"
                self.diagnostics.append(
                    error(problem.code, problem.location, message, problem.hint)
                )
        return declared.field, declared.identity_field

    def redact_of(self, operation: ir.Operation) -> tuple[str, ...]:
        override = find_override(self.plan, operation)
        return override.redact if override is not None else ()

    def check_reads(self, paths: Iterable[Path], where: ir.Location) -> None:
        """A step may not read a field its call's tool override redacts: it is never stored."""
        for path in paths:
            name = str(path[0])
            fields = tuple(str(part) for part in path[1:] if not isinstance(part, int))
            for redacted in self.redacted.get(name, ()):
                if fields[: len(redacted)] == redacted:
                    dotted = ".".join(redacted)
                    operation = self.redacted_by[name]
                    self.diagnostics.append(
                        error(
                            Code.TASK_REDACTED_FIELD,
                            where,
                            f"task `{self.task.name}`: `{name}.{'.'.join(fields)}` is redacted "
                            f"(`tools.overrides.{operation}.redact: [{dotted}]`): it is removed "
                            "from the call's result before anything sees or stores it",
                            "use another field, or stop redacting this one",
                        )
                    )
                    return

    # --- where values come from ------------------------------------------------------------

    def origin(self, paths: Iterable[Path]) -> str | None:
        """The customer's choice among these reads, described; None when there is none."""
        for path in paths:
            name = str(path[0])
            if name == "inputs" and len(path) > 1:
                return f"`inputs.{path[1]}`"
            if name in self.chosen:
                return self.chosen[name]
        return None

    def called(
        self,
        step: ir.CallStep,
        endpoint: ir.Endpoint,
        reads: Mapping[str, Sequence[Path]],
        *,
        bound: bool,
        owner: tuple[str, str] | None,
        redact: tuple[str, ...],
    ) -> None:
        """Record what a call's result holds and warn when a verified-only task acts on a
        resource the customer chose without a tie to the identity."""
        operation = endpoint.operation
        tied = bound or owner is not None
        chosen = self.origin(path for paths in reads.values() for path in paths)
        if step.save_as is not None:
            self.chosen.pop(step.save_as, None)
            self.redacted.pop(step.save_as, None)
            if chosen is not None and not tied:
                self.chosen[step.save_as] = f"{chosen} through `{operation.id}`"
            if redact:
                self.redacted[step.save_as] = tuple(tuple(p.split(".")) for p in redact)
                self.redacted_by[step.save_as] = operation.original_id or operation.id
        if self.task.requires != "verified" or tied or operation.method in SAFE_METHODS:
            return
        for argument in endpoint.arguments:
            if argument.location != "path":
                continue
            source = self.origin(reads.get(argument.key, ()))
            if source is None:
                continue
            self.diagnostics.append(
                warning(
                    Code.TASK_NOT_OWNED,
                    step.where,
                    f"task `{self.task.name}` (requires: verified): `call: {step.operation}` "
                    f"acts on the `{argument.key}` the customer chose ({source}), and no step "
                    "ties it to the verified customer: they could act on anyone's",
                    "check the looked-up resource is theirs: add `owner: {field: <response "
                    "field>, is: identity.<field>}` to the call that fetches it, or fetch it "
                    "with a call bound to the identity",
                )
            )
            return

    def assigned(self, name: str, paths: Iterable[Path]) -> None:
        source = self.origin(paths)
        self.redacted.pop(name, None)
        if source is None:
            self.chosen.pop(name, None)
        else:
            self.chosen[name] = source

    def from_model(self, name: str) -> None:
        self.redacted.pop(name, None)
        self.chosen[name] = "an `instruct:` step's output"
