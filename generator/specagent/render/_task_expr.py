"""Task expressions written as Python typed by the response models, so mypy checks each step.

A read of a call's result becomes attribute access on the model the step reads it as
(`order = ctx.result("order", models.Order)`, then `order.status`), a read of an input
attribute access on the task's inputs dataclass; everything is built as `ast` nodes and
unparsed, names through the model index, text only as constants.

The engine's meaning of a missing value is kept: it is None where None can go (a comparison, a
message) and hands the run off where it cannot (`ctx.need(order.total, "order.total") > 100`);
an optional object along a path is narrowed (`(a.city if (a := c.address) is not None else
None)`), an index is `ctx.item(xs, 0)`. Where the models cannot express a read with the JSON
kind the compiler checked (a union, a free-form object, a date compared as text, a whole
object passed on as data) it stays a JSON accessor (`ctx.text("order", "meta", "colour")`),
whose result is typed too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from specagent import ir
from specagent.render._model_index import ModelClass, ModelField, ModelIndex

# Where a value is used: compared or computed with (`value`), shown in a message (`show`: any
# type prints), or handed to the engine as data (`data`: an argument or a `set` value, which
# the engine stores as JSON, so objects and lists stay JSON).
Use = Literal["value", "show", "data"]
PyKind = Literal[
    "model", "root", "list", "str", "int", "float", "bool", "any", "date", "datetime", "other"
]

_ACCESSORS: Mapping[str, str] = {
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "array": "items",
    "date": "date",
    "datetime": "datetime",
}
# The Python kinds a read may have for the JSON kind the compiler checked it as.
_MATCHES: Mapping[str, frozenset[PyKind]] = {
    "string": frozenset({"str"}),
    "integer": frozenset({"int"}),
    "number": frozenset({"float", "int"}),
    "boolean": frozenset({"bool"}),
    "array": frozenset({"list"}),
    "any": frozenset({"any"}),
    "date": frozenset({"date"}),
    "datetime": frozenset({"datetime"}),
}
_COMPARE_OPS: Mapping[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "in": ast.In,
    "not in": ast.NotIn,
}
_ARITHMETIC_OPS: Mapping[str, type[ast.operator]] = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}
_INPUT_TYPES: Mapping[str, str] = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
}
_BUILTIN_KINDS: Mapping[str, PyKind] = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "Any": "any",
}
# How models.py annotates dates: `date` (`date_aliased` where a field is named `date`), and a
# date-time with its offset as pydantic's `AwareDatetime` (a `datetime` for mypy). A plain
# `datetime` may be naive, so it is read through `ctx.datetime`, which gives it the zone.
_DATE_NAMES: Mapping[str, PyKind] = {
    "date": "date",
    "date_aliased": "date",
    "AwareDatetime": "datetime",
}
# The inputs dataclass's annotations of date inputs.
_DATE_INPUTS: Mapping[str, str] = {"date": "date", "date-time": "datetime"}
_MAX_ROOTS = 8  # RootModel of a RootModel of ...: more is not a model anyone writes


@dataclass(frozen=True, slots=True)
class PyType:
    """What a value is in Python, as far as a task read needs to know."""

    kind: PyKind
    optional: bool = False
    cls: ModelClass | None = None  # of a model or a RootModel
    item: PyType | None = None  # of a list
    # What a str/int value is one of: "class:Tier" (an enum class), "literal:Literal['a', 'b']".
    enum: str | None = None


@dataclass(frozen=True, slots=True)
class Local:
    """A variable a step reads typed, bound once at the top of the step function."""

    name: str  # the Python local
    variable: str  # the run variable
    accessor: Literal["result", "inputs"]
    cls: str  # `models.Order`, or the task's inputs class
    root: bool  # a RootModel: the local is its `.root`


@dataclass(frozen=True, slots=True)
class _Written:
    """A read as written: the expression, its type when typed, the local it reads."""

    expr: ast.expr
    ty: PyType | None = None
    local: Local | None = None


@dataclass
class LocalNames:
    """The Python local of each run variable a task's steps read typed: the variable's own name
    unless the module or another local has it (`models` -> `models_`); one per task."""

    reserved: frozenset[str]  # names the module defines, and the runtime's it imports
    names: dict[str, str] = field(default_factory=dict)

    def name(self, variable: str) -> str:
        if variable not in self.names:
            name = variable if not variable.startswith("_") else f"v{variable}"
            taken = self.reserved | set(self.names.values())
            while name in taken:
                name += "_"
            self.names[variable] = name
        return self.names[variable]


def input_annotation(spec: ir.TaskInput) -> ast.expr:
    """`int | None`, `Literal["a", "b"] | None`: an input's type in the inputs dataclass."""
    if spec.enum:
        values = ast.Tuple([ast.Constant(value) for value in spec.enum])
        inner: ast.expr = ast.Subscript(
            ast.Name("Literal"), values if len(spec.enum) > 1 else values.elts[0]
        )
    elif spec.format is not None and spec.format in _DATE_INPUTS:
        inner = ast.Attribute(ast.Name("datetime"), _DATE_INPUTS[spec.format])
    else:
        inner = ast.Name(_INPUT_TYPES[spec.type])
    return ast.BinOp(inner, ast.BitOr(), ast.Constant(None))


def inputs_class(name: str, inputs: Iterable[ir.TaskInput]) -> ModelClass:
    fields = {spec.name: ModelField(spec.name, input_annotation(spec)) for spec in inputs}
    return ModelClass(name, "model", fields)


@dataclass
class StepWriter:
    """Writes the expressions of one step function, collecting the locals they read."""

    index: ModelIndex
    inputs: ModelClass | None  # the task's inputs class (None: the task has no inputs)
    names: LocalNames
    locals: dict[str, Local] = field(default_factory=dict)  # by run variable, in first use
    _temps: int = 0

    # --- entry points ----------------------------------------------------------------------

    def value(self, node: ir.Expr) -> str:
        """A condition or computed value."""
        return ast.unparse(self._expr(node, "value"))

    def data(self, node: ir.Expr) -> str:
        """An argument of a call or a `set` value."""
        return ast.unparse(self._expr(node, "data"))

    def message(self, message: ir.Message) -> str:
        text = message.text
        if text is not None:
            return ast.unparse(ast.Constant(text))
        parts = [
            ast.Constant(part) if isinstance(part, str) else self._expr(part, "show")
            for part in message.parts
        ]
        return ast.unparse(_ctx_call("format", parts))

    # --- nodes -----------------------------------------------------------------------------

    def _expr(self, node: ir.Expr, use: Use) -> ast.expr:
        if isinstance(node, ir.ReadExpr):
            return self._keep(self._read(node, use))
        if isinstance(node, ir.LiteralExpr):
            return ast.Constant(node.value)
        if isinstance(node, ir.ListExpr):
            return ast.Tuple([ast.Constant(item.value) for item in node.items])
        if isinstance(node, ir.CompareExpr):
            return self._compare(node)
        if isinstance(node, ir.LogicExpr):
            op = ast.And() if node.op == "and" else ast.Or()
            values = [self._expr(value, "value") for value in node.values]
            return ast.Call(ast.Name("bool"), [ast.BoolOp(op, values)], [])
        if isinstance(node, ir.NotExpr):
            return ast.UnaryOp(ast.Not(), self._expr(node.operand, "value"))
        if isinstance(node, ir.NegateExpr):
            return ast.UnaryOp(ast.USub(), self._expr(node.operand, "value"))
        if isinstance(node, ir.ClockExpr):
            clock = _ctx_call(node.which, [])
            # As data (an argument, a `set` value) a date is the JSON text the API takes.
            return _method(clock, "isoformat") if use == "data" else clock
        if isinstance(node, ir.LabelExpr):
            labels = dict(node.labels)
            table = ast.Dict(
                [ast.Constant(key) for key in labels], [ast.Constant(v) for v in labels.values()]
            )
            return _ctx_call("label", [self._expr(node.value, use), table])
        if isinstance(node, ir.DaysExpr):
            return _ctx_call(f"days_{node.direction}", [self._expr(node.value, "value")])
        if isinstance(node, ir.ArithmeticExpr):
            left = self._expr(node.left, "value")
            right = self._expr(node.right, "value")
            return ast.BinOp(left, _ARITHMETIC_OPS[node.op](), right)
        return ast.Call(ast.Name("len"), [self._keep(self._read(node.value, "value"))], [])

    def _compare(self, node: ir.CompareExpr) -> ast.expr:
        operands = [node.first, *(operand for _, operand in node.rest)]
        written = [self._operand(operand) for operand in operands]
        for index, (symbol, _) in enumerate(node.rest):
            left, right = written[index].ty, written[index + 1].ty
            if symbol in ("in", "not in"):
                right = right.item if right is not None and right.kind == "list" else None
            if _distinct_enums(left, right):
                # Two enum types mypy would call never equal: compared as their JSON values.
                for position in (index, index + 1):
                    operand = operands[position]
                    if isinstance(operand, ir.ReadExpr):
                        written[position] = _Written(_json_read(operand))
        exprs = [self._keep(item) for item in written]
        ops = [
            _singleton_op(symbol, exprs[index], exprs[index + 1]) or _COMPARE_OPS[symbol]()
            for index, (symbol, _) in enumerate(node.rest)
        ]
        return ast.Compare(exprs[0], ops, exprs[1:])

    def _operand(self, node: ir.Expr) -> _Written:
        if isinstance(node, ir.ReadExpr):
            return self._read(node, "value")
        return _Written(self._expr(node, "value"))

    def _keep(self, written: _Written) -> ast.expr:
        """The read's expression, its local now bound by the step."""
        if written.local is not None:
            self.locals.setdefault(written.local.variable, written.local)
        return written.expr

    # --- reads -----------------------------------------------------------------------------

    def _read(self, node: ir.ReadExpr, use: Use) -> _Written:
        """The read as typed attribute access when the models can express it for `use`,
        else as a JSON accessor (whose type is then that accessor's)."""
        if use == "data" and node.kind in ("date", "datetime"):
            # Stored and sent as the ISO text the API wrote, as before dates had a type.
            return _Written(_json_read(replace(node, kind="string")))
        typed = self._typed(node)
        if typed is None or typed.ty is None or not _fits(typed.ty, node.kind, use):
            return _Written(_json_read(node))
        if not node.need:
            return typed
        expr = _ctx_call("need", [typed.expr, ast.Constant(_label(node))])
        return _Written(expr, replace(typed.ty, optional=False), typed.local)

    def _typed(self, node: ir.ReadExpr) -> _Written | None:
        root = self._root(node)
        if root is None:
            return None
        expr, ty, local = root
        guards: list[tuple[str, ast.expr]] = []
        for part in node.path:
            unwrapped = self._unwrap(expr, ty, guards)
            if unwrapped is None:
                return None
            expr, ty = unwrapped
            if isinstance(part, int):
                if ty.kind != "list" or ty.item is None:
                    return None
                expr = _ctx_call("item", [expr, ast.Constant(part)])
                ty = replace(ty.item, optional=True)
                continue
            if ty.optional:
                expr = self._guard(expr, guards)
            found = ty.cls.fields.get(part) if ty.kind == "model" and ty.cls else None
            if found is None:
                return None
            expr = ast.Attribute(expr, found.python_name)
            ty = self._type(found.annotation)
        unwrapped = self._unwrap(expr, ty, guards)
        if unwrapped is None:
            return None
        expr, ty = unwrapped
        for temp, guarded in reversed(guards):
            test = ast.Compare(
                ast.NamedExpr(ast.Name(temp), guarded), [ast.IsNot()], [ast.Constant(None)]
            )
            expr = ast.IfExp(test, expr, ast.Constant(None))
            ty = replace(ty, optional=True)
        return _Written(expr, ty, local)

    def _root(self, node: ir.ReadExpr) -> tuple[ast.expr, PyType, Local] | None:
        """The variable as the step's local, and its type."""
        name = self.names.name(node.variable)
        if node.source == "inputs" and self.inputs is not None:
            local = Local(name, node.variable, "inputs", self.inputs.name, root=False)
            return ast.Name(name), PyType("model", cls=self.inputs), local
        if node.source != "result" or node.model is None or node.model not in self.index:
            return None
        cls = self.index[node.model]
        if cls.kind == "model":
            local = Local(name, node.variable, "result", f"models.{cls.name}", root=False)
            return ast.Name(name), PyType("model", cls=cls), local
        if cls.kind == "root" and cls.root is not None:
            local = Local(name, node.variable, "result", f"models.{cls.name}", root=True)
            return ast.Name(name), self._type(cls.root), local
        return None

    def _unwrap(
        self, expr: ast.expr, ty: PyType, guards: list[tuple[str, ast.expr]]
    ) -> tuple[ast.expr, PyType] | None:
        """A RootModel value as its `.root`."""
        for _ in range(_MAX_ROOTS):
            if ty.kind != "root":
                return expr, ty
            if ty.cls is None or ty.cls.root is None:
                return None
            if ty.optional:
                expr = self._guard(expr, guards)
            expr = ast.Attribute(expr, "root")
            ty = self._type(ty.cls.root)
        return None

    def _guard(self, expr: ast.expr, guards: list[tuple[str, ast.expr]]) -> ast.expr:
        """`expr` narrowed to not-None: bound to a fresh name tested before the read."""
        self._temps += 1
        temp = f"_v{self._temps}"
        guards.append((temp, expr))
        return ast.Name(temp)

    def _type(self, annotation: ast.expr) -> PyType:
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            members = list(_union_members(annotation))
            nullable = any(_is_none(member) for member in members)
            others = [member for member in members if not _is_none(member)]
            if len(others) == 1:
                inner = self._type(others[0])
                return replace(inner, optional=inner.optional or nullable)
            return PyType("other", optional=nullable)
        if _is_none(annotation):
            return PyType("other", optional=True)
        if isinstance(annotation, ast.Attribute) and isinstance(annotation.value, ast.Name):
            if annotation.value.id == "datetime" and annotation.attr in ("date", "datetime"):
                return PyType("date" if annotation.attr == "date" else "datetime")  # an input
            return PyType("other")
        if isinstance(annotation, ast.Name):
            if annotation.id in _BUILTIN_KINDS:
                return PyType(_BUILTIN_KINDS[annotation.id])
            cls = self.index.get(annotation.id)
            if cls is None:
                # date, AwareDatetime; UUID, Decimal, AnyUrl, a naive datetime: other
                return PyType(_DATE_NAMES.get(annotation.id, "other"))
            if cls.kind in ("model", "root"):
                return PyType(cls.kind, cls=cls)
            if cls.kind == "str_enum":
                return PyType("str", enum=f"class:{cls.name}")
            if cls.kind == "int_enum":
                return PyType("int", enum=f"class:{cls.name}")
            return PyType("other")
        if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
            if annotation.value.id == "list":
                return PyType("list", item=self._type(annotation.slice))
            if annotation.value.id == "Literal":
                values = annotation.slice
                items = values.elts if isinstance(values, ast.Tuple) else [values]
                if all(isinstance(v, ast.Constant) and isinstance(v.value, str) for v in items):
                    return PyType("str", enum=f"literal:{ast.unparse(annotation)}")
        return PyType("other")


def _union_members(node: ast.expr) -> Iterable[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        yield from _union_members(node.left)
        yield from _union_members(node.right)
    else:
        yield node


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _fits(ty: PyType, kind: ir.ValueKind, use: Use) -> bool:
    if use == "show":
        return True
    if use == "data" and kind in ("object", "array", "any", "null"):
        return False
    return ty.kind in _MATCHES.get(kind, frozenset())


def _singleton_op(symbol: str, left: ast.expr, right: ast.expr) -> ast.cmpop | None:
    """`is` / `is not` for `== true` and `!= null`: the same test for the values a task reads,
    written as pycodestyle wants it (E711, E712) in the user's repository."""
    if symbol not in ("==", "!="):
        return None
    for side in (left, right):
        if isinstance(side, ast.Constant) and (side.value is None or isinstance(side.value, bool)):
            return ast.Is() if symbol == "==" else ast.IsNot()
    return None


def _distinct_enums(left: PyType | None, right: PyType | None) -> bool:
    """Two enum classes, or two `Literal`s, that mypy --strict calls never equal (an enum and
    a `Literal` of text, or an enum and a `str`, it accepts)."""
    if left is None or right is None or left.enum is None or right.enum is None:
        return False
    same_sort = left.enum.split(":", 1)[0] == right.enum.split(":", 1)[0]
    return same_sort and left.enum != right.enum


def _method(value: ast.expr, method: str) -> ast.expr:
    return ast.Call(ast.Attribute(value, method), [], [])


def _ctx_call(method: str, args: list[ast.expr]) -> ast.expr:
    return ast.Call(ast.Attribute(ast.Name("ctx"), method), args, [])


def _json_read(node: ir.ReadExpr) -> ast.expr:
    """The read through the JSON accessors: `ctx.text("order", "status")`."""
    accessor = _ACCESSORS.get(node.kind, "value")
    if node.need:
        accessor = f"need_{accessor}"
    parts = [ast.Constant(part) for part in (node.variable, *node.path)]
    return _ctx_call(accessor, list(parts))


def _label(node: ir.ReadExpr) -> str:
    """`order.items[0].sku`, as the agent file writes it (for the hand-off reason)."""
    text = node.variable
    for part in node.path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
