"""Command line of the package: `python -m authentiq tools` lists the tools."""

from __future__ import annotations

import json
import sys
from importlib import resources

_PACKAGE = __package__ or "authentiq"


def _tools() -> int:
    text = (resources.files(_PACKAGE) / "agent.json").read_text(encoding="utf-8")
    for tool in json.loads(text)["tools"]:
        flag = " (asks for confirmation)" if tool.get("confirm") else ""
        sys.stdout.write(f"{tool['name']}{flag}\n    {tool['description']}\n")
    return 0


def main(argv: list[str]) -> int:
    if argv == ["tools"]:
        return _tools()
    sys.stderr.write(f"usage: python -m {_PACKAGE} tools\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
