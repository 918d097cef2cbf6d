"""Reading a generated package's ``agent.json``: its tools, instructions, tasks, user context.

One reader for every consumer (the toolset, the agent's user context, ``python -m <package>
tools``), so a missing or broken file fails one way, naming the file. Light on purpose (json
and importlib only): the ``tools`` command lists the tools without importing httpx or pydantic.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from specagent_runtime._errors import ConfigurationError

FILENAME = "agent.json"


def load_agent_json(package: str) -> dict[str, Any]:
    """The parsed ``<package>/agent.json``, or a `ConfigurationError` naming the file."""
    where = f"{package}/{FILENAME}"
    try:
        data = json.loads((files(package) / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, ImportError) as exc:
        raise ConfigurationError(f"{where}: cannot read it ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{where}: not a JSON object")
    return data
