"""The `specagent` command line.

Exit codes: 0 success (warnings may be printed); 1 a finding for CI: `check` found the
committed package stale, `diff` found breaking changes, `test` found a failing test; 2 bad
input or usage — a problem in the spec, the agent file, the options or the output folder, all
reported together, nothing written;
3 an internal error (a bug in specagent: a one-line message, no traceback unless
SPECAGENT_DEBUG=1); 130 interrupted.

Each command's module is imported only when that command runs (or `--help` lists them all):
`specagent check` on an unchanged package decides in a fraction of a second, and must not first
import the runtime, httpx and the YAML loader for commands it is not running.
"""

from __future__ import annotations

import importlib

import click

from specagent._version import __version__

__all__ = ["main"]

# name -> (module, attribute), in the order `--help` lists them.
_COMMANDS = {
    "init": ("specagent.cli._init", "init_command"),
    "generate": ("specagent.cli._generate", "generate_command"),
    "test": ("specagent.cli._test", "test_command"),
    "tools": ("specagent.cli._tools", "tools_command"),
    "check": ("specagent.cli._check", "check_command"),
    "diff": ("specagent.cli._diff", "diff_command"),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = self.commands.get(cmd_name)
        if found is None and cmd_name in _COMMANDS:
            module, attribute = _COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module}.{attribute} is not a click command")
            self.commands[cmd_name] = found = command
        return found


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="specagent", message="%(prog)s %(version)s"
)
def main() -> None:
    """Generate typed AI support-agent packages from OpenAPI specs.

    Run `specagent COMMAND --help` for a command's options and an example.
    """
