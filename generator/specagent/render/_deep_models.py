"""models.py for schemas whose references run in long chains or cycles: built after the module.

pydantic builds a model that refers to models not built yet in one nested pass through all of
them, about 15 Python frames per model: a cycle of 50 schemas (each with a list of the next)
passes the default recursion limit, and 600 overflow the C stack. When the reference graph can
nest that deep, every model is declared with `defer_build=True` and the module ends with
`complete_models(...)` (specagent_runtime), which builds them dependencies first in a thread
with a deep stack. Smaller graphs keep datamodel-code-generator's output as it is.
"""

from __future__ import annotations

import ast
import heapq
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["defer_deep_models", "nesting_depth"]

# Models that can be built nested in one pass below this many are left alone: 30 levels take
# about 450 frames, well inside the default limit of 1,000 with a host's own frames on top.
DEEP = 30
_MODEL_BASES = frozenset({"BaseModel", "RootModel"})
_IMPORT = "from specagent_runtime import complete_models\n"


def defer_deep_models(source: str) -> str:
    """`source` (models.py) unchanged, or with deferred building when its models nest deep."""
    tree = ast.parse(source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    models = _model_classes(classes)
    graph = {name: _references(classes[name], models) for name in models}
    rebuilds = [name for node in tree.body if (name := _rebuild_target(node, models))]
    if nesting_depth(graph, rebuilds) < DEEP:
        return source
    edits: list[tuple[int, int, str]] = []
    starts = _line_starts(source)
    for name in models:
        edits.append(_defer_edit(classes[name], starts, source))
    for node in tree.body:
        if _rebuild_target(node, models) and node.end_lineno is not None:
            edits.append((starts[node.lineno - 1], starts[node.end_lineno], ""))
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    source = _with_imports(source)
    order = ", ".join(_dependencies_first(graph))
    return source.rstrip("\n") + f"\n\n\ncomplete_models({order})\n"


def nesting_depth(graph: Mapping[str, Sequence[str]], rebuilds: Sequence[str] = ()) -> int:
    """How deep pydantic nests model builds importing the module, simulated: `graph` maps
    each model, in the module's order, to the models its bases and fields name, in order.

    When a class is defined, pydantic builds it, and inside it every model it names that is
    defined but not built yet, and so on; a name not defined yet stops the whole attempt (the
    class waits for `model_rebuild()`), and a model being built already is a recursive
    reference. A cycle of N models defined in order nests N deep when its last one is defined.
    Then come the module's `rebuilds` (`X.model_rebuild()` calls), then first uses of the rest.
    """
    defined: set[str] = set()
    complete: set[str] = set()
    deepest = 0
    for name in graph:
        defined.add(name)
        built, depth = _try_build(name, graph, defined, complete)
        deepest = max(deepest, depth)
        if built:
            complete.add(name)
    for name in [*rebuilds, *graph]:
        if name not in complete:
            built, depth = _try_build(name, graph, defined, complete)
            deepest = max(deepest, depth)
            if built:
                complete.add(name)
    return deepest


def _try_build(
    root: str, graph: Mapping[str, Sequence[str]], defined: set[str], complete: set[str]
) -> tuple[bool, int]:
    """(whether `root` builds now, the deepest nesting reached trying), without recursion."""
    building = {root}
    stack: list[tuple[str, int]] = [(root, 0)]
    deepest = 1
    while stack:
        name, position = stack[-1]
        targets = graph[name]
        if position == len(targets):
            stack.pop()
            building.discard(name)
            continue
        stack[-1] = (name, position + 1)
        target = targets[position]
        if target not in defined:
            return False, deepest
        if target in complete or target in building:
            continue
        building.add(target)
        stack.append((target, 0))
        deepest = max(deepest, len(stack))
    return True, deepest


def _model_classes(classes: Mapping[str, ast.ClassDef]) -> list[str]:
    """The pydantic models among `classes` (enums aside), in the module's order."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, node in classes.items():
            if name in found:
                continue
            bases = {_base_name(base) for base in node.bases}
            if bases & _MODEL_BASES or bases & found:
                found.add(name)
                changed = True
    return [name for name in classes if name in found]


def _base_name(base: ast.expr) -> str:
    if isinstance(base, ast.Subscript):
        base = base.value
    return base.id if isinstance(base, ast.Name) else ""


def _references(node: ast.ClassDef, models: Iterable[str]) -> list[str]:
    """The models this class's bases and field annotations name (quoted names too), in the
    order pydantic meets them."""
    known = set(models)
    names: dict[str, None] = {}
    parts: list[ast.AST] = [*node.bases]
    parts += [item.annotation for item in node.body if isinstance(item, ast.AnnAssign)]
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Name):
                names[sub.id] = None
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                try:
                    quoted = ast.parse(sub.value, mode="eval")
                except SyntaxError:
                    continue
                names.update((n.id, None) for n in ast.walk(quoted) if isinstance(n, ast.Name))
    return [name for name in names if name in known]


def _components(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components, dependencies first (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, list(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            name, pending = work[-1]
            if pending:
                target = pending.pop()
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, list(graph[target])))
                elif target in on_stack:
                    low[name] = min(low[name], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] == index[name]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == name:
                        break
                found.append(sorted(members))
    return found


def _dependencies_first(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """The build order: cycles after what they use; inside a cycle, each model after as many
    of the models it refers to as possible. pydantic reuses a built model's schema, so only
    the first model of a cycle is built through the whole cycle; in the wrong order each one
    is, which makes importing a 600-model cycle take minutes instead of seconds."""
    order: list[str] = []
    for members in _components(graph):
        inside = set(members)
        pending = {name: {t for t in graph[name] if t in inside and t != name} for name in members}
        users: dict[str, set[str]] = {name: set() for name in members}
        for name, targets in pending.items():
            for target in targets:
                users[target].add(name)
        heap = [(len(targets), name) for name, targets in pending.items()]
        heapq.heapify(heap)
        built: set[str] = set()
        while heap:
            count, name = heapq.heappop(heap)
            if name in built or count != len(pending[name]):
                continue  # built already, or an outdated entry
            built.add(name)
            order.append(name)
            for user in users[name]:
                if user not in built:
                    pending[user].discard(name)
                    heapq.heappush(heap, (len(pending[user]), user))
    return order


def _line_starts(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _defer_edit(node: ast.ClassDef, starts: list[int], source: str) -> tuple[int, int, str]:
    """`defer_build=True` into the class's `model_config`, or a `model_config` line for it."""
    for item in node.body:
        if (
            isinstance(item, ast.AnnAssign | ast.Assign)
            and _assigns_config(item)
            and isinstance(item.value, ast.Call)
        ):
            func = item.value.func
            if func.end_lineno is not None and func.end_col_offset is not None:
                at = starts[func.end_lineno - 1] + func.end_col_offset + 1  # after `ConfigDict(`
                return at, at, "defer_build=True, "
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        and len(node.body) > 1
    ):
        first = node.body[1]  # after the docstring
    line_start = starts[first.lineno - 1]
    indent = source[line_start : line_start + first.col_offset]
    text = f"{indent}model_config = ConfigDict(defer_build=True)\n"
    return line_start, line_start, text


def _assigns_config(item: ast.AnnAssign | ast.Assign) -> bool:
    targets = [item.target] if isinstance(item, ast.AnnAssign) else item.targets
    return any(isinstance(t, ast.Name) and t.id == "model_config" for t in targets)


def _rebuild_target(node: ast.stmt, models: Iterable[str]) -> str | None:
    """The model of an `X.model_rebuild()` statement, else None."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    func = node.value.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "model_rebuild"
        and isinstance(func.value, ast.Name)
        and func.value.id in set(models)
    ):
        return func.value.id
    return None


def _with_imports(source: str) -> str:
    """`ConfigDict` in the pydantic import, and the runtime's `complete_models` after it."""
    tree = ast.parse(source)
    starts = _line_starts(source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "pydantic":
            names = {alias.name for alias in node.names} | {"ConfigDict"}
            line = "from pydantic import " + ", ".join(sorted(names)) + "\n"
            start, end = starts[node.lineno - 1], starts[node.end_lineno or node.lineno]
            return source[:start] + line + _IMPORT + source[end:]
    return _IMPORT + source
