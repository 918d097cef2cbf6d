"""Geneea Natural Language Processing: a typed client and support-agent tools, generated
by specagent.

Names are imported on first use (PEP 562), so importing the package stays cheap even when
the API has thousands of models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import models as models
    from .agent import build_agent as build_agent
    from .client import AsyncClient as AsyncClient
    from .client import Client as Client

__all__ = ["AsyncClient", "Client", "build_agent", "models"]

_SOURCES = {
    "AsyncClient": ".client",
    "Client": ".client",
    "build_agent": ".agent",
    "models": ".models",
}


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(source, __name__)
    value = module if name == "models" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
