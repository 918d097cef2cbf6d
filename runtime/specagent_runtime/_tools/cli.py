"""``python -m <package> tools``: the tools (and tasks) a model may be offered, one per entry.

Read from ``agent.json`` alone: listing them imports neither httpx nor pydantic nor the
package's client, so it answers in about the time the interpreter takes to start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping

from specagent_runtime._tools.agent_json import load_agent_json


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"List the tools of {package} and its tasks, with their descriptions; tools that ask "
        "the customer for confirmation say so."
    )


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    data = load_agent_json(package)
    out = sys.stdout
    for tool in data.get("tools", []):
        flag = " (asks for confirmation)" if tool.get("confirm") else ""
        out.write(f"{tool['name']}{flag}\n    {tool['description']}\n")
    for task in data.get("tasks", []):
        out.write(f"{task['name']} (task)\n    {task['description']}\n")
    return 0
