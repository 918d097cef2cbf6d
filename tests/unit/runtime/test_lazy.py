"""lazy_module: the generated client's models load on first use, not at import."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

import pytest
from specagent_runtime import lazy_module


def test_module_runs_on_first_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "lazy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "heavy.py").write_text(
        "import builtins\nbuiltins.lazy_ran = True\nVALUE = 42\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_pkg.heavy", raising=False)
    monkeypatch.setattr(builtins, "lazy_ran", False, raising=False)
    module = lazy_module("lazy_pkg.heavy")
    assert builtins.lazy_ran is False  # type: ignore[attr-defined]
    assert module.VALUE == 42
    assert builtins.lazy_ran is True  # type: ignore[attr-defined]
    assert lazy_module("lazy_pkg.heavy") is module
    assert sys.modules["lazy_pkg"].heavy is module
    monkeypatch.delitem(sys.modules, "lazy_pkg.heavy")
    monkeypatch.delitem(sys.modules, "lazy_pkg")


def test_unknown_module_fails_at_once() -> None:
    with pytest.raises(ImportError, match="no_such_module_here"):
        lazy_module("no_such_module_here")
