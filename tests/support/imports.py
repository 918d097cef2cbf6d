"""Importing a generated package from a test's folder, and leaving no trace of it.

Many tests generate or use a package of a common name (`petstore_agent`, say) in a folder of
their own. Python finds a module already in `sys.modules` before any folder on `sys.path`, so a
test that imports "its" package after another test imported one of that name gets the other
one; and a test that leaves its modules behind shadows the next test's. Every such test goes
through `imported_from`, which sets the same-named modules aside first and puts them back
after, so each test sees exactly the package in its folder and the others see what they saw.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

__all__ = ["forget", "imported_from"]


def _of(package: str, name: str) -> bool:
    return name == package or name.startswith(package + ".")


def forget(package: str) -> dict[str, ModuleType]:
    """Remove `package` and its submodules from `sys.modules`; returns what was removed."""
    removed = {name: module for name, module in sys.modules.items() if _of(package, name)}
    for name in removed:
        del sys.modules[name]
    return removed


@contextlib.contextmanager
def imported_from(folder: Path, package: str, *submodules: str) -> Iterator[ModuleType]:
    """`package` (and `package.<submodule>` for each one named) imported from `folder`, which
    is first on `sys.path` meanwhile; afterwards the path is as it was, this package's modules
    are forgotten and any same-named ones from before are back."""
    earlier = forget(package)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module(package)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().parent == (folder / package).resolve(), (
            f"{package} was imported from {module.__file__}, not from {folder}"
        )
        for name in submodules:
            importlib.import_module(f"{package}.{name}")
        yield module
    finally:
        sys.path.remove(str(folder))
        forget(package)
        sys.modules.update(earlier)
