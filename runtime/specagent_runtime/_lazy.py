"""Modules loaded on first attribute access, for the generated packages' big `models` module.

A host that builds the agent on a cold start (a webhook worker, a serverless function) needs
the client class and the tool list, not thousands of pydantic models: Stripe's and GitHub's
models take seconds to import. The client refers to `models.X` only inside its methods, so the
module can wait until the first call.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

__all__ = ["lazy_module"]


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
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        # As the import system does: the package's attribute points at its submodule.
        setattr(importlib.import_module(parent), child, module)
    return module
