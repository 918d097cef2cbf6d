"""From a test file to what it runs against: the generated package, a reference server, names.

The package is found the way a developer expects without configuration: a folder
``<package>/agent.json`` next to the tests' folder or above it (the usual layout: the package
and ``agent_tests/`` side by side), else an importable package of that name. A reference server
is a ``module:callable`` found the same way. Every tool and operation the file names is then
checked against the package, with the file's line and the closest valid name.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from specagent_runtime._tools.agent_json import load_agent_json
from specagent_runtime._tools.toolset import HANDOFF_TOOL
from specagent_runtime.testing._model import FINISH_TOOL
from specagent_runtime.testing._names import did_you_mean
from specagent_runtime.testing._read import TestFileError
from specagent_runtime.testing._recorder import package_operations
from specagent_runtime.testing._schema import TestFile
from specagent_runtime.testing._yaml import Problem

__all__ = ["Resolved", "resolve"]


@dataclass(frozen=True, slots=True)
class Resolved:
    """A test file with its package imported and its server (a factory) loaded."""

    file: TestFile
    package: str
    server: Callable[[], Any] | None
    tools: frozenset[str]  # what the model may be offered: tools, tasks, hand-off
    confirm_tools: frozenset[str]


def resolve(files: Iterable[TestFile], default_package: str | None = None) -> list[Resolved]:
    """Import each file's package and server and check its names; raises `TestFileError`
    with every problem of every file."""
    done: list[Resolved] = []
    problems: list[Problem] = []
    for file in files:
        found, file_problems = _resolve_one(file, default_package)
        problems.extend(file_problems)
        if found is not None:
            done.append(found)
    if problems:
        raise TestFileError(problems)
    return done


def _resolve_one(
    file: TestFile, default_package: str | None
) -> tuple[Resolved | None, list[Problem]]:
    where = str(file.path)
    package = file.package or default_package
    if not package:
        hint = "the import name of your generated package, e.g. `package: acme_agent`"
        return None, [Problem(where, 1, "the file does not say which package it tests", hint)]
    problem = import_package(package, file.path.parent)
    if problem:
        return None, [Problem(where, file.package_line, problem[0], problem[1])]
    data = load_agent_json(package)
    tool_names = {str(tool["name"]) for tool in data.get("tools", [])}
    task_names = {str(task["name"]) for task in data.get("tasks", [])}
    confirm = {str(t["name"]) for t in data.get("tools", []) if t.get("confirm")}
    offered = frozenset(tool_names | task_names | {HANDOFF_TOOL})
    operations = {op.id for op in package_operations(package)}
    problems: list[Problem] = []
    for named in file.names:
        if named.kind == "operation":
            known: set[str] = operations
            what = "operation"
        elif named.kind == "tool":
            known, what = tool_names, "tool"
        else:
            known, what = set(offered | {FINISH_TOOL}), "tool or task"
        if named.name not in known:
            hint = did_you_mean(named.name, known) or _listing(what, known)
            problems.append(
                Problem(where, named.line, f"{package} has no {what} {named.name!r}", hint)
            )
    server = None
    if file.server:
        server, server_problem = load_server(file.server, file.path.parent)
        if server_problem:
            problems.append(Problem(where, file.server_line, *server_problem))
    resolved = Resolved(file, package, server, offered, frozenset(confirm))
    return (None if problems else resolved), problems


def _listing(what: str, names: Iterable[str]) -> str:
    shown = sorted(names)
    if not shown:
        return f"the package has no {what}s"
    more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
    return f"{what}s: " + ", ".join(shown[:12]) + more


def _ancestors(start: Path) -> list[Path]:
    start = start.resolve()
    return [start, *start.parents]


def import_package(package: str, near: Path) -> tuple[str, str] | None:
    """Make `package` importable (a folder with agent.json next to `near` or above it wins)
    and import it; the problem and a hint when that fails."""
    if not all(part.isidentifier() for part in package.split(".")):
        return f"`package: {package}` is not an import name", "e.g. `package: acme_agent`"
    relative = Path(*package.split("."))
    places = [*_ancestors(near), Path.cwd()]  # beside the tests or above, else where we run
    root = next((d for d in places if (d / relative / "agent.json").is_file()), None)
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    existing = sys.modules.get(package)
    if root is not None and existing is not None:
        location = Path(getattr(existing, "__file__", "") or "").resolve().parent
        if location != (root / relative).resolve():
            return (
                f"two packages named {package!r}: {location} is already imported, "
                f"these tests want {root / relative}",
                "run their tests separately, or give the packages different names",
            )
    try:
        importlib.import_module(package)
        load_agent_json(package)
    except ModuleNotFoundError as exc:
        if exc.name is not None and package.startswith(exc.name):
            return (
                f"cannot find the package {package!r}: no folder {relative}/ with agent.json "
                "beside the tests or above them, nor in the current folder, and it is not "
                "installed",
                f"generate it (`specagent generate SPEC --tasks agent.yaml --out {relative}/`) "
                "or fix `package:`",
            )
        return f"importing {package!r} failed: {exc}", "install what it needs"
    except Exception as exc:
        return (
            f"importing {package!r} failed: {type(exc).__name__}: {exc}",
            "is it a package generated by specagent? regenerate it",
        )
    return None


def load_server(spec: str, near: Path) -> tuple[Callable[[], Any] | None, tuple[str, str] | None]:
    """`module:callable` (the module found beside `near` or above, or in the current folder,
    else importable)."""
    module_name, _, attribute = spec.partition(":")
    parts = module_name.split(".")
    if not all(part.isidentifier() for part in parts) or not attribute.isidentifier():
        return None, (f"`api.server: {spec}` is not `module:callable`", "e.g. `server:ShopServer`")
    module = _load_module(parts, near)
    if isinstance(module, str):
        return None, (module, "put the module beside the tests (or above), or install it")
    factory = getattr(module, attribute, None)
    if not callable(factory):
        names = [n for n in vars(module) if not n.startswith("_")]
        hint = did_you_mean(attribute, names) or "it must return the server (a context manager)"
        return None, (f"{module_name} has no callable {attribute!r}", hint)
    return factory, None


def _load_module(parts: list[str], near: Path) -> ModuleType | str:
    relative = Path(*parts)
    for folder in dict.fromkeys([*_ancestors(near), Path.cwd().resolve()]):
        for candidate in (folder / relative.with_suffix(".py"), folder / relative / "__init__.py"):
            if not candidate.is_file():
                continue
            if len(parts) > 1:  # a package path: import it as such, from that root
                if str(folder) not in sys.path:
                    sys.path.insert(0, str(folder))
                return _import(".".join(parts))
            # A lone module (server.py) is loaded from its file under a name of its own, so
            # two examples' `server.py` never meet in sys.modules.
            digest = hashlib.sha256(str(candidate).encode()).hexdigest()[:10]
            name = f"_specagent_test_{parts[0]}_{digest}"
            if name in sys.modules:
                return sys.modules[name]
            if str(candidate.parent) not in sys.path:
                sys.path.insert(0, str(candidate.parent))
            spec = importlib.util.spec_from_file_location(name, candidate)
            if spec is None or spec.loader is None:
                return f"cannot load {candidate}"
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                del sys.modules[name]
                return f"loading {candidate} failed: {type(exc).__name__}: {exc}"
            return module
    return _import(".".join(parts))


def _import(name: str) -> ModuleType | str:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        return f"cannot import the server module {name!r}: {exc}"
    except Exception as exc:
        return f"importing {name!r} failed: {type(exc).__name__}: {exc}"
