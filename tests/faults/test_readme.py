"""tests/faults/README.md lists every attack and control of the exactly-once suite (issue 15),
which spans tests/faults, tests/storage and tests/load: a new test without a row, or a renamed
one, fails here, so the table the fixers work from stays complete."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
SUITE = [
    HERE / "test_duplicate_delivery.py",
    HERE / "test_crash_redelivery.py",
    HERE.parent / "storage" / "test_store_hygiene.py",
    HERE.parent / "load" / "test_duplicate_load.py",
]


def _test_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
    ]


def test_every_test_of_the_suite_has_a_row_in_the_readme(request: pytest.FixtureRequest) -> None:
    text = README.read_text(encoding="utf-8")
    names = {name for path in SUITE for name in _test_functions(path)}
    # Each parametrized case too, for the files this session collected.
    names |= {
        item.name
        for item in request.session.items
        if Path(str(item.path)).resolve() in SUITE and "[" in item.name
    }
    missing = sorted(name for name in names if f"`{name}`" not in text and f"`{name}[" not in text)
    assert not missing, f"add these to tests/faults/README.md: {missing}"
    cases = {i.name for i in request.session.items if Path(str(i.path)).resolve() in SUITE}
    assert all(f"`{case}`" in text for case in cases if "[" in case), "a case id changed"
