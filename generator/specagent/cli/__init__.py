"""The `specagent` command line.

Exit codes: 0 success (warnings may be printed); 1 a finding for CI: `check` found the
committed package stale, `diff` found breaking changes, `test` found a failing test; 2 bad
input or usage — a problem in the spec, the agent file, the options or the output folder, all
reported together, nothing written;
3 an internal error (a bug in specagent: a one-line message, no traceback unless
SPECAGENT_DEBUG=1); 130 interrupted.
"""

from __future__ import annotations

import click

from specagent._version import __version__
from specagent.cli._check import check_command
from specagent.cli._diff import diff_command
from specagent.cli._generate import generate_command
from specagent.cli._init import init_command
from specagent.cli._test import test_command
from specagent.cli._tools import tools_command

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="specagent", message="%(prog)s %(version)s"
)
def main() -> None:
    """Generate typed AI support-agent packages from OpenAPI specs.

    Run `specagent COMMAND --help` for a command's options and an example.
    """


for _command in (
    init_command,
    generate_command,
    test_command,
    tools_command,
    check_command,
    diff_command,
):
    main.add_command(_command)
