"""The runtime package imports its names on first use (PEP 562), as the cold start needs.

The names must stay exactly what the eager `__init__` exported: the `TYPE_CHECKING` imports
(what mypy and IDEs see) are the reference, and every public name must resolve to that object.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import specagent_runtime

_INIT = Path(specagent_runtime.__file__)


def _declared() -> dict[str, tuple[str, str]]:
    """Public name -> (module, attribute), read from the `if TYPE_CHECKING:` imports."""
    tree = ast.parse(_INIT.read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
            assert node.test.id == "TYPE_CHECKING"
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module
                for alias in statement.names:
                    found[alias.asname or alias.name] = (statement.module, alias.name)
    return found


def test_every_public_name_is_declared_for_type_checkers() -> None:
    assert sorted(_declared()) == sorted(specagent_runtime.__all__)
    assert len(specagent_runtime.__all__) == len(set(specagent_runtime.__all__))


@pytest.mark.parametrize("name", sorted(specagent_runtime.__all__))
def test_name_is_the_object_of_its_module(name: str) -> None:
    module, attribute = _declared()[name]
    expected = getattr(importlib.import_module(module), attribute)
    assert getattr(specagent_runtime, name) is expected
    assert name in dir(specagent_runtime)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        specagent_runtime.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        from specagent_runtime import no_such_name  # noqa: F401, PLC0415


_FRESH = """
import sys
import specagent_runtime
print(sorted(m for m in sys.modules if m.startswith("specagent_runtime.")))
print([m for m in ("pydantic", "httpx") if m in sys.modules])
from specagent_runtime import *
print(len([n for n in specagent_runtime.__all__ if n in globals()]))
"""


def test_import_loads_nothing_until_a_name_is_used() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _FRESH], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    modules, heavy, starred = done.stdout.splitlines()
    assert modules == "[]"
    assert heavy == "[]"
    assert int(starred) == len(specagent_runtime.__all__)


def test_the_generator_uses_only_public_runtime_names() -> None:
    """The generator is a client of the runtime like any host: its private modules may move."""
    generator = Path(__file__).resolve().parents[3] / "generator"
    private = [
        f"{path.relative_to(generator)}:{number}"
        for path in sorted(generator.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "specagent_runtime._" in line or "specagent_runtime import _" in line
    ]
    assert private == []
