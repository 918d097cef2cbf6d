"""Command line of the package: `python -m geneea --help` lists the commands.

`tools` lists the tools the model sees; `mcp [--http --host H --port P]` serves them (and the
tasks) as an MCP server (needs `specagent-runtime[mcp]`). The runtime implements every command
(`specagent_runtime.package_main`), so the package gets new ones without being regenerated.
"""

from __future__ import annotations

import sys

from specagent_runtime import package_main

if __name__ == "__main__":
    sys.exit(package_main(__package__ or "geneea", sys.argv[1:]))
