"""Reading a generated package's ``agent.json``: its tools, instructions, tasks, user context.

One reader for every consumer (the toolset, the agent's user context, ``python -m <package>
tools``), so a missing or broken file fails one way, naming the file. Light on purpose (json
and importlib only): the ``tools`` command lists the tools without importing httpx or pydantic.
"""

from __future__ import annotations

import importlib
import json
import os
from typing import Any

from specagent_runtime._errors import ConfigurationError

FILENAME = "agent.json"


def load_agent_json(package: str) -> dict[str, Any]:
    """The parsed ``<package>/agent.json``, or a `ConfigurationError` naming the file."""
    where = f"{package}/{FILENAME}"
    try:
        data = json.loads(_read(package))
    except (OSError, ValueError, ImportError) as exc:
        raise ConfigurationError(f"{where}: cannot read it ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where}: not a JSON object")
    return data


def _read(package: str) -> str:
    # The file beside the package's __init__.py, as almost every install has it; importlib's
    # resource readers (zip imports and the like) cost a cold start ~15 ms more to import.
    origin = getattr(importlib.import_module(package), "__file__", None)
    if origin is not None:
        path = os.path.join(os.path.dirname(origin), FILENAME)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as file:
                return file.read()
    from importlib.resources import files  # noqa: PLC0415

    return (files(package) / FILENAME).read_text(encoding="utf-8")
