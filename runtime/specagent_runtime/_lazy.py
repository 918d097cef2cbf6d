"""Modules loaded on first attribute access: the generated packages' `models` and
`_operations`, and httpx and pydantic inside the runtime.

A host that builds the agent on a cold start (a webhook worker, a serverless function) needs
the client class and the tool list, not thousands of pydantic models: Stripe's and GitHub's
models take seconds to import. The client refers to `models.X` and `_operations.X` only inside
its methods, so those modules can wait until the first call; the runtime's HTTP and tool code
refers to httpx and pydantic the same way, so listing the tools loads neither. Once loaded, a
lazy module is an ordinary module again (no cost per attribute).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

__all__ = ["lazy_module", "load"]


class _LazyModule(ModuleType):
    """A module whose code has not run yet; the first missing attribute runs it.

    Not `importlib.util.LazyLoader`: on Python 3.11 a module it is executing in one thread is
    seen half-filled by another (a sync client's first calls from two threads at once). Here an
    attribute the module has not defined yet waits for the module to finish."""

    def __getattr__(self, name: str) -> Any:
        load(self)
        if type(self) is _LazyModule:  # loading failed and was reported in another thread
            raise AttributeError(f"module {self.__name__!r} could not be loaded")
        return getattr(self, name)


def load(module: ModuleType) -> None:
    """Run a lazy module's code now (once, whichever thread asks first); others: nothing."""
    if type(module) is not _LazyModule:
        return
    lock: threading.RLock = module.__dict__["__lazy_lock__"]
    with lock:
        if type(module) is not _LazyModule:
            return
        spec = module.__spec__
        assert spec is not None and spec.loader is not None
        # A missing name during its own execution (a module reading one of its globals as an
        # attribute) must fail as it would in an ordinary module, not recurse into `load`.
        module.__class__ = _Loading  # type: ignore[assignment]
        try:
            spec.loader.exec_module(module)
        except BaseException:
            module.__class__ = _LazyModule
            raise
        module.__class__ = ModuleType  # type: ignore[assignment]
        del module.__dict__["__lazy_lock__"]


class _Loading(ModuleType):
    """A lazy module whose code is running: missing names wait for it, in other threads."""

    def __getattr__(self, name: str) -> Any:
        lock = self.__dict__.get("__lazy_lock__")
        if lock is not None:
            with lock:  # the loading thread holds it (reentrant: this is that thread)
                pass
        if name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def lazy_module(name: str) -> ModuleType:
    """The module `name` (absolute), executed when one of its attributes is first read.

    An already imported module is returned as it is; a name that cannot be found raises
    ImportError now, not at the first use.
    """
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}", name=name)
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__lazy_lock__"] = threading.RLock()
    module.__class__ = _LazyModule
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        # As the import system does: the package's attribute points at its submodule.
        setattr(importlib.import_module(parent), child, module)
    return module
