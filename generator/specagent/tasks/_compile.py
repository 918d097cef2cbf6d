"""Checking task declarations against the plan and compiling each step to its effect.

One walk does both: a step is checked with the variables known at that point (inputs, identity,
results of the calls and `set`s before it, only those set on every path) and, when it is sound,
reduced to the effect it returns (`ir.CompiledStep`), with its expressions as checked `ir`
trees. Problems are collected as diagnostics, never raised, so a user sees every mistake of the
file at once. `specagent.render` lays the steps out as `tasks.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from specagent import ir
from specagent._diagnostics import did_you_mean, error, warning
from specagent.agentfile import identity_fields
from specagent.ir import Code
from specagent.plan import step_function, task_constant, task_inputs_class
from specagent.tasks import _types as t
from specagent.tasks._expr import ExpressionError, Scope, Typed, as_expr, check, literal_value
from specagent.tasks._flow import (
    asks,
    default_prompt,
    kind_of,
    merge_branches,
    names_set,
    task_input,
    warn_unconfirmed,
)
from specagent.tasks._instruct import compile_instruct
from specagent.tasks._ownership import Ownership, Path
from specagent.tasks._types import Ty


def compile_tasks(
    declarations: Iterable[ir.TaskDecl], plan: ir.Plan
) -> tuple[ir.TaskProgram, list[ir.Diagnostic]]:
    diagnostics: list[ir.Diagnostic] = []
    tasks = []
    inputs_classes: set[str] = set()
    tool_names = {tool.name: tool.endpoint.operation.id for tool in plan.tools}
    for declaration in declarations:
        if declaration.name in tool_names:
            diagnostics.append(
                error(
                    Code.TASK_NAME_TAKEN,
                    declaration.where,
                    f"task `{declaration.name}` has the name of the tool for"
                    f" `{tool_names[declaration.name]}`; the model cannot tell them apart",
                    "rename the task, rename the tool in `tools.overrides`, or leave the"
                    " operation out of the tools (the task can still call it)",
                )
            )
        warn_unconfirmed(declaration, plan, diagnostics)
        compiler = _TaskCompiler(declaration, plan, diagnostics)
        task = compiler.compile(task_inputs_class(declaration.name, inputs_classes))
        inputs_classes.add(task.inputs_class)
        tasks.append(task)
    return ir.TaskProgram(tuple(tasks), tuple(diagnostics)), diagnostics


class _TaskCompiler:
    def __init__(
        self, declaration: ir.TaskDecl, plan: ir.Plan, diagnostics: list[ir.Diagnostic]
    ) -> None:
        self.task = declaration
        self.plan = plan
        self.diagnostics = diagnostics
        self.steps: list[ir.CompiledStep] = []
        self.endpoints: dict[str, ir.Endpoint] = {}
        for endpoint in plan.endpoints:
            self.endpoints[endpoint.operation.id] = endpoint
            if endpoint.operation.original_id:
                self.endpoints.setdefault(endpoint.operation.original_id, endpoint)
        self.inputs = {decl.name: decl for decl in declaration.inputs}
        self.asked: set[str] = set()  # inputs asked by the steps compiled so far
        self.ask_later = asks(declaration.steps)
        self.later = names_set(declaration.steps)
        self.origins: dict[str, str] = {}  # variable -> the operation whose result it holds
        self.unknown: set[str] = set()  # unknown names reported already
        self.used: list[tuple[str | int, ...]] = []
        self.names: list[str] = []  # every variable read, in order (with `used`: `_reads`)
        self.ownership = Ownership(declaration, plan, diagnostics)

    def compile(self, inputs_class: str) -> ir.CompiledTask:
        input_fields = {decl.name: t.input_type(decl) for decl in self.task.inputs}
        variables: dict[str, Ty] = {
            "inputs": Ty(t.OBJECT, fields=input_fields),
            # The named fields and the declared ones, as text: `identity.mail` is an error.
            "identity": Ty(
                t.OBJECT, fields=dict.fromkeys(identity_fields(self.plan.agent), Ty(t.STRING))
            ),
        }
        self._block(self.task.steps, "", None, variables)
        inputs = tuple(
            task_input(decl, required=decl.name not in self.asked) for decl in self.task.inputs
        )
        return ir.CompiledTask(
            name=self.task.name,
            constant=task_constant(self.task.name),
            inputs_class=inputs_class,
            where=self.task.where,
            description=self.task.description,
            requires=self.task.requires,
            inputs=inputs,
            first="1" if self.task.steps else None,
            steps=tuple(self.steps),
            fields_used=self._fields_used(),
        )

    def _fields_used(self) -> tuple[tuple[str, str], ...]:
        found = set()
        for path in self.used:
            operation = self.origins.get(str(path[0]))
            if operation is not None and len(path) > 1:
                text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path[1:])
                found.add((operation, text.removeprefix(".")))
        return tuple(sorted(found))

    # --- blocks and scopes -----------------------------------------------------------------------

    def _block(
        self,
        steps: tuple[ir.Step, ...],
        prefix: str,
        after: str | None,
        variables: dict[str, Ty],
        partial: dict[str, ir.Location] | None = None,
    ) -> tuple[dict[str, Ty], dict[str, ir.Location], bool]:
        """Compile `steps`; returns the variables after them, those set on some paths only, and
        whether the block always ends the run."""
        partial = dict(partial or {})
        ids = [f"{prefix}{index + 1}" for index in range(len(steps))]
        for index, step in enumerate(steps):
            step_id = ids[index]
            following = ids[index + 1] if index + 1 < len(ids) else after
            scope = Scope(variables, self._later_than(variables), partial)
            terminates = self._step(
                step, step_id, following, scope, variables=variables, partial=partial
            )
            if terminates:
                if index + 1 < len(steps):
                    self.diagnostics.append(
                        warning(
                            Code.TASK_UNREACHABLE,
                            steps[index + 1].where,
                            f"task `{self.task.name}`: this step never runs: the one before"
                            " always ends the run",
                            "remove it, or move it before that step",
                        )
                    )
                return variables, partial, True
        return variables, partial, False

    def _later_than(self, variables: Mapping[str, Ty]) -> dict[str, ir.Location]:
        return {name: where for name, where in self.later.items() if name not in variables}

    def _branch(
        self, steps: tuple[ir.Step, ...], prefix: str, after: str | None, scope: Scope
    ) -> tuple[dict[str, Ty], dict[str, ir.Location], bool]:
        return self._block(steps, prefix, after, dict(scope.variables), dict(scope.partial))

    def _step(
        self,
        step: ir.Step,
        step_id: str,
        following: str | None,
        scope: Scope,
        *,
        variables: dict[str, Ty],
        partial: dict[str, ir.Location],
    ) -> bool:
        """Compile one step (and its branches); updates `variables` in place."""
        slot = len(self.steps)  # the step comes before its branches in the output
        effect: ir.Effect
        terminates = False
        if isinstance(step, ir.AskStep):
            effect = self._ask(step, following, scope)
        elif isinstance(step, ir.CallStep):
            effect = self._call(step, step_id, following, scope, variables)
        elif isinstance(step, ir.IfStep):
            effect, terminates = self._if(
                step, step_id, following, scope, variables=variables, partial=partial
            )
        elif isinstance(step, ir.ConfirmStep):
            effect = self._confirm(step, step_id, following, scope)
        elif isinstance(step, ir.RespondStep):
            message = self.template(step.message, step.where, scope, shown=True)
            effect = ir.RespondEffect(message, following)
        elif isinstance(step, ir.SetStep):
            effect = self._set(step, following, scope, variables, partial)
        elif isinstance(step, ir.InstructStep):
            effect = compile_instruct(self, step, following, scope, variables)
            self.ownership.from_model(step.save_as)
        elif isinstance(step, ir.HandoffStep):
            effect = ir.HandoffEffect(self.template(step.reason, step.where, scope))
            terminates = True
        else:
            effect = ir.EndEffect(step.status)
            terminates = True
        self._emit(step_id, step.where, kind_of(step), effect, slot=slot)
        return terminates

    def _emit(
        self,
        step_id: str,
        where: ir.Location | None,
        kind: str,
        effect: ir.Effect,
        *,
        slot: int | None = None,
    ) -> None:
        function = step_function(self.task.name, step_id)
        step = ir.CompiledStep(step_id, function, where, kind, effect)
        self.steps.insert(len(self.steps) if slot is None else slot, step)

    # --- steps -----------------------------------------------------------------------------------

    def _ask(self, step: ir.AskStep, following: str | None, scope: Scope) -> ir.AskEffect:
        decl = self.inputs.get(step.input)
        if decl is None:
            self.fail(
                Code.TASK_UNKNOWN_INPUT,
                step.where,
                f"`ask: {step.input}`: the task has no input `{step.input}`",
                did_you_mean(step.input, self.inputs)
                if self.inputs
                else "declare it under the task's `inputs:` with its type",
            )
        self.asked.add(step.input)
        if step.prompt is not None:
            prompt = self.template(step.prompt, step.prompt_where or step.where, scope, shown=True)
        else:
            description = decl.description if decl else ""
            prompt = ir.Message((default_prompt(step.input, description, decl),))
        return ir.AskEffect(step.input, prompt, following)

    def _call(
        self,
        step: ir.CallStep,
        step_id: str,
        following: str | None,
        scope: Scope,
        variables: dict[str, Ty],
    ) -> ir.CallEffect | ir.EndEffect:
        endpoint = self.endpoints.get(step.operation)
        if endpoint is None:
            self.fail(
                Code.TASK_UNKNOWN_OPERATION,
                step.where,
                f"`call: {step.operation}`: the spec has no operation `{step.operation}`",
                did_you_mean(step.operation, self.endpoints, listing=False),
            )
            for _, source in step.args:
                self._expression(source, scope)  # still report problems in the arguments
            if step.save_as is not None:
                variables[step.save_as] = Ty(t.ANY)
            return ir.EndEffect("failed")
        args, reads, bound = self._arguments(step, endpoint, scope)
        owner = self.ownership.owner_of(step, endpoint.operation)
        redact = self.ownership.redact_of(endpoint.operation)
        on_error = None
        if step.on_error is not None:
            on_error = f"{step_id}.error.1"
            error_scope = dict(scope.variables)
            error_scope["error"] = Ty(
                t.OBJECT, fields={"status": Ty(t.INTEGER), "message": Ty(t.STRING)}
            )
            self._terminal_branch(step.on_error, f"{step_id}.error.", error_scope, scope, "failed")
        if step.save_as is not None:
            if endpoint.success_schema is None:
                self.fail(
                    Code.TASK_NO_RESULT,
                    step.save_where or step.where,
                    f"`call: {step.operation}` returns no JSON data to keep `as: {step.save_as}`",
                    "remove `as:`",
                )
                variables[step.save_as] = Ty(t.ANY)
            else:
                result = t.from_schema(endpoint.success_schema, self._schemas)
                variables[step.save_as] = replace(result, model=endpoint.response_model)
                self.origins[step.save_as] = endpoint.operation.original_id or endpoint.operation.id
        self.ownership.called(step, endpoint, reads, bound=bound, owner=owner, redact=redact)
        return ir.CallEffect(
            operation=endpoint.constant,
            args=tuple(args),
            response_model=endpoint.response_model if endpoint.success_schema is not None else None,
            save_as=step.save_as,
            next=following,
            on_error=on_error,
            owner=owner,
            redact=redact,
        )

    def _mark(self) -> tuple[int, int]:
        return len(self.used), len(self.names)

    def _reads(self, mark: tuple[int, int]) -> list[Path]:
        """What the expressions checked since `mark` read: field paths, then bare variables."""
        return [*self.used[mark[0] :], *((name,) for name in self.names[mark[1] :])]

    @property
    def _schemas(self) -> Mapping[str, ir.JsonSchema]:
        return self.plan.api.schemas

    def _arguments(
        self, step: ir.CallStep, endpoint: ir.Endpoint, scope: Scope
    ) -> tuple[list[tuple[str, ir.Expr]], dict[str, list[Path]], bool]:
        """The arguments' values, what each one reads, and whether one of them is the
        identity's (a tie of the call to the verified customer)."""
        by_key = {argument.key: argument for argument in endpoint.arguments}
        given = dict(step.args)
        codes: list[tuple[str, ir.Expr]] = []
        reads: dict[str, list[Path]] = {}
        for key, source in step.args:
            argument = by_key.get(key)
            if argument is None:
                self.fail(
                    Code.TASK_UNKNOWN_ARGUMENT,
                    source.where,
                    f"`call: {step.operation}` has no parameter `{key}`",
                    did_you_mean(key, by_key),
                )
                self._expression(source, scope)
                continue
            mark = self._mark()
            typed = self._expression(source, scope)
            reads[key] = self._reads(mark)
            if typed is None:
                continue
            self._check_argument(step.operation, argument, typed, source.where)
            codes.append((key, as_expr(typed, need=argument.required)))
        tied = any(path[0] == "identity" for paths in reads.values() for path in paths)
        bound = self._bindings(endpoint.operation)
        for argument in endpoint.arguments:
            if argument.key in given:
                continue
            if argument.key in bound:
                field = bound[argument.key]
                read = ir.ReadExpr("identity", (field,), "string", need=True)
                codes.append((argument.key, read))
                tied = True
                continue
            if argument.required:
                self.fail(
                    Code.TASK_MISSING_ARGUMENT,
                    step.where,
                    f"`call: {step.operation}` needs `{argument.key}`, a required parameter",
                    f"add it: `with: {{{argument.key}: ...}}`",
                )
        return codes, reads, tied

    def _bindings(self, operation: ir.Operation) -> dict[str, str]:
        """Parameters the agent file binds to the identity for this operation's tool."""
        names = {operation.id, operation.original_id}
        for override in self.plan.agent.overrides:
            if override.operation_id in names:
                return dict(override.bind)
        return {}

    def _check_argument(
        self, operation: str, argument: ir.Argument, typed: Typed, where: ir.Location
    ) -> None:
        expected = t.from_schema(argument.schema, self._schemas)
        mismatch = not t.comparable(typed.ty, expected) or (
            expected.kind == t.INTEGER and typed.ty.kind == t.NUMBER
        )
        if mismatch:
            hint = ""
            if expected.kind == t.STRING and typed.is_literal and typed.literal is not None:
                # `zip: 11122` (or `zip: "11122"`: YAML's quotes are gone before the
                # expression is read) is a number; text needs quotes inside the expression.
                hint = (
                    f"for the text, quote it inside the expression: "
                    f"`{argument.key}: '\"{typed.label}\"'`"
                )
            self.fail(
                Code.TASK_TYPE_MISMATCH,
                where,
                f"`{argument.key}` of `{operation}` is {expected.describe()}, but"
                f" `{typed.label}` is {typed.ty.describe()}",
                hint,
            )
        elif expected.enum and typed.is_literal and typed.literal not in expected.enum:
            choices = [str(value) for value in expected.enum]
            self.fail(
                Code.TASK_TYPE_MISMATCH,
                where,
                f"`{argument.key}` of `{operation}` is one of"
                f" {', '.join(repr(v) for v in expected.enum)}, not {typed.literal!r}",
                did_you_mean(str(typed.literal), choices),
            )
        elif expected.enum and typed.ty.enum:
            # An input (or a result) with more choices than the API takes: the customer could
            # pick one the call then rejects, after they confirmed.
            extra = [value for value in typed.ty.enum if value not in expected.enum]
            if extra:
                self.fail(
                    Code.TASK_TYPE_MISMATCH,
                    where,
                    f"`{argument.key}` of `{operation}` is one of"
                    f" {', '.join(repr(v) for v in expected.enum)}, but `{typed.label}` may"
                    f" also be {', '.join(repr(v) for v in extra)}, which the API rejects",
                    f"remove {', '.join(repr(v) for v in extra)} from the `enum` of"
                    f" `{typed.label}`",
                )

    def _if(
        self,
        step: ir.IfStep,
        step_id: str,
        following: str | None,
        scope: Scope,
        *,
        variables: dict[str, Ty],
        partial: dict[str, ir.Location],
    ) -> tuple[ir.BranchEffect, bool]:
        condition = self._expression(step.condition, scope)
        then_first = f"{step_id}.then.1" if step.then else following
        else_first = f"{step_id}.else.1" if step.otherwise else following
        then_vars, then_partial, then_ends = self._branch(
            step.then, f"{step_id}.then.", following, scope
        )
        else_vars, else_partial, else_ends = self._branch(
            step.otherwise, f"{step_id}.else.", following, scope
        )
        merge_branches(
            variables,
            partial,
            (then_vars, then_partial, then_ends),
            (else_vars, else_partial, else_ends),
            step.where,
        )
        test = as_expr(condition) if condition is not None else ir.LiteralExpr(False)
        return ir.BranchEffect(test, then_first, else_first), then_ends and else_ends

    def _confirm(
        self, step: ir.ConfirmStep, step_id: str, following: str | None, scope: Scope
    ) -> ir.ConfirmEffect:
        message = self.template(step.message, step.where, scope, shown=True)
        declined = None
        if step.declined is not None:
            declined = f"{step_id}.no.1"
            self._terminal_branch(
                step.declined, f"{step_id}.no.", dict(scope.variables), scope, "cancelled"
            )
        return ir.ConfirmEffect(message, following, declined)

    def _terminal_branch(
        self,
        steps: tuple[ir.Step, ...],
        prefix: str,
        variables: dict[str, Ty],
        scope: Scope,
        status: str,
    ) -> None:
        """A branch that ends the run: after its steps, an implicit `end: <status>`."""
        end_id = f"{prefix}{len(steps) + 1}"
        _, _, ends = self._block(steps, prefix, end_id, variables, dict(scope.partial))
        if not ends:
            where = steps[-1].where if steps else None
            self._emit(end_id, where, "end", ir.EndEffect(status))

    def _set(
        self,
        step: ir.SetStep,
        following: str | None,
        scope: Scope,
        variables: dict[str, Ty],
        partial: dict[str, ir.Location],
    ) -> ir.SetEffect:
        values = []
        for name, source in step.values:
            mark = self._mark()
            typed = self._expression(source, scope)
            self.ownership.assigned(name, self._reads(mark))
            variables[name] = typed.ty if typed is not None else Ty(t.ANY)
            partial.pop(name, None)
            if typed is not None:
                values.append((name, as_expr(typed)))
        return ir.SetEffect(tuple(values), following)

    # --- expressions -----------------------------------------------------------------------------

    def _expression(self, source: ir.Expression, scope: Scope) -> Typed | None:
        if source.text is None:
            return literal_value(source.value)
        first_new = len(self.used)
        try:
            typed = check(source.text, scope, self.used, self.names)
        except ExpressionError as problem:
            if problem.name and problem.name in self.unknown:
                return None  # said once per task: one misplaced `as:` is one error, not nine
            if problem.name:
                self.unknown.add(problem.name)
            self.fail(problem.code, source.where, problem.message, problem.hint)
            return None
        self.ownership.check_reads(self.used[first_new:], source.where)
        for path in self.used[first_new:]:
            name = str(path[1]) if path[0] == "inputs" and len(path) > 1 else ""
            if name in self.ask_later and name not in self.asked:
                self.diagnostics.append(
                    warning(
                        Code.TASK_ASK_LATER,
                        source.where,
                        f"task `{self.task.name}`: `inputs.{name}` is used before the step"
                        f" that asks for it ({self.ask_later[name]}); the model may not have"
                        " given it",
                        "ask for it before this step",
                    )
                )
        return typed

    def template(
        self, text: str, where: ir.Location, scope: Scope, *, shown: bool = False
    ) -> ir.Message:
        """A message with `{expression}` parts (`{{`/`}}` are braces). In a message `shown` to
        the customer (respond, ask, confirm) a choice with labels shows its label; hand-off
        reasons (for staff) and instructions (for the model) keep the value."""
        parts: list[str | ir.Expr] = []
        literal = ""
        index = 0
        while index < len(text):
            char = text[index]
            if char in "{}" and text.startswith(char * 2, index):
                literal += char
                index += 2
                continue
            if char == "}":
                self.fail(
                    Code.TASK_BAD_MESSAGE,
                    where,
                    f"a lone `}}` in {text!r}",
                    "write `}}` for a brace",
                )
                return ir.Message((text,))
            if char != "{":
                literal += char
                index += 1
                continue
            end = text.find("}", index)
            if end < 0:
                hint = "write `{{` for a brace"
                self.fail(Code.TASK_BAD_MESSAGE, where, f"`{{` without `}}` in {text!r}", hint)
                return ir.Message((text,))
            typed = self._expression(ir.Expression(text[index + 1 : end], None, where), scope)
            if literal:
                parts.append(literal)
                literal = ""
            if typed is None:
                parts.append(ir.LiteralExpr(None))
            elif shown and typed.ty.labels:
                parts.append(ir.LabelExpr(as_expr(typed), typed.ty.labels))
            else:
                parts.append(as_expr(typed))
            index = end + 1
        if literal or not parts:
            parts.append(literal)
        return ir.Message(tuple(parts))

    def fail(self, code: ir.Code, where: ir.Location, message: str, hint: str = "") -> None:
        self.diagnostics.append(error(code, where, f"task `{self.task.name}`: {message}", hint))
