"""Command line of the package.

`python -m ticketmaster tools` lists the tools the model sees;
`python -m ticketmaster mcp [--http --host H --port P]` serves them (and the tasks)
as an MCP server (needs `specagent-runtime[mcp]`).
"""

from __future__ import annotations

import json
import sys
from importlib import resources

import specagent_runtime

_PACKAGE = __package__ or "ticketmaster"


def _tools() -> int:
    text = (resources.files(_PACKAGE) / "agent.json").read_text(encoding="utf-8")
    data = json.loads(text)
    for tool in data["tools"]:
        flag = " (asks for confirmation)" if tool.get("confirm") else ""
        sys.stdout.write(f"{tool['name']}{flag}\n    {tool['description']}\n")
    for task in data.get("tasks", []):
        sys.stdout.write(f"{task['name']} (task)\n    {task['description']}\n")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["tools"]:
        return _tools()
    if argv[:1] == ["mcp"]:
        return specagent_runtime.mcp_main(_PACKAGE, argv[1:])
    sys.stderr.write(
        f"usage: python -m {_PACKAGE} tools | mcp [--http --host H --port P]\n"
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
