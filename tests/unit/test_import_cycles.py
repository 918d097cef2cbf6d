"""No import cycles inside the generator package (`generator/specagent`).

Every import counts: at the top of a module, inside a function (a lazy import still ties the two
modules together) and under `TYPE_CHECKING`. Importing `a.b.c` also runs the `__init__` of `a.b`,
so it counts as an import of that package too, except from inside it. A cycle is reported as
the modules of one strongly connected component of that graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "generator" / "specagent"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (see the module docstring)."""
    modules = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    packages = {_module_name(path, root) for path in root.rglob("__init__.py")}
    top = root.name

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        here = name if name in packages else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            for target in targets:
                if target != top and not target.startswith(top + "."):
                    continue
                found = known(target)
                if found is None or found == name:
                    continue
                graph[name].add(found)
                parts = found.split(".")
                for end in range(2, len(parts)):
                    parent = ".".join(parts[:end])
                    if parent in packages and not (name + ".").startswith(parent + "."):
                        graph[name].add(parent)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            target = next(edges, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_generator_has_no_import_cycles() -> None:
    graph = import_graph(GENERATOR)
    assert "specagent.render" in graph and "specagent.tasks._compile" in graph  # found the tree
    assert cycles(graph) == []


def test_a_cycle_is_found_through_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from pkg.sub.b import B\n")
    (package / "sub" / "b.py").write_text("class B: ...\n")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nimport pkg.a\n")
    assert cycles(import_graph(package)) == []
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
    )
    # a -> pkg.sub.b (and so pkg.sub) -> ... -> a
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.sub", "pkg.sub.b"]]
    (package / "sub" / "b.py").write_text("class B: ...\n")
    (package / "sub" / "__init__.py").write_text("from . import b\nfrom ..c import x\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.c", "pkg.sub"]]


TEMPLATES = ROOT / "templates"


def test_the_generator_and_its_templates_use_only_public_runtime_names() -> None:
    """Generated packages and the generator depend on `specagent_runtime`'s public names only,
    so the runtime's private modules can move without breaking a committed package."""
    offenders = []
    for path in sorted([*GENERATOR.rglob("*.py"), *TEMPLATES.rglob("*.jinja")]):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "specagent_runtime._" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
