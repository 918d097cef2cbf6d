"""What the commands share: the input options, the report on stderr, and the guard that turns
a crash into a one-line message (exit 3) instead of a traceback."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from specagent import ir

# `specagent._diagnostics` (and with it the IR's dataclasses) is imported where a report is
# written: `specagent check` on an unchanged package writes none and answers sooner.

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


def guarded(run: Callable[[], int]) -> int:
    """Run the command; turn an unexpected exception into a short message and exit 3."""
    try:
        result = run()
    except KeyboardInterrupt:
        click.echo("\ninterrupted; nothing was written", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("SPECAGENT_DEBUG") == "1":
            raise
        from specagent._diagnostics import mask_urls  # noqa: PLC0415

        first_line = mask_urls((str(exc).strip().splitlines() or [""])[0][:300])
        click.echo(f"internal error: {type(exc).__name__}: {first_line}", err=True)
        click.echo(
            "  hint: this is a bug in specagent, not in your input; please report it with the "
            "command you ran (SPECAGENT_DEBUG=1 shows the traceback). Nothing was written.",
            err=True,
        )
        return EXIT_INTERNAL
    return result


# What a failed command did not do, for the closing line: each says only what is true of it
# (`diff` and `tools` never write, so "the existing package is unchanged" would be news).
NOTHING_WRITTEN = "nothing was written"
PACKAGE_UNCHANGED = "the existing package, if any, is unchanged"
NOT_COMPARED = "nothing was compared"
NOT_LISTED = "no tools were listed"


def report_problems(
    problems: list[ir.Diagnostic],
    *,
    strict: bool,
    failed: bool,
    outcome: str = NOTHING_WRITTEN,
) -> None:
    from specagent._diagnostics import (  # noqa: PLC0415
        blocking,
        format_report,
        sort_diagnostics,
        summary_line,
    )

    problems = sort_diagnostics(problems)
    click.echo(format_report(problems), err=True)
    if not failed:
        click.echo(f"{summary_line(problems)}", err=True)
        return
    closing = f"{summary_line(problems)}; {outcome}"
    if strict and not blocking(problems):
        closing += " (--strict treats warnings as errors)"
    click.echo(closing, err=True)


# --- options shared by the commands that read a spec -------------------------------------------

_F = Callable[..., None]


def input_options(command: _F) -> _F:
    """`--tasks`, `--strict` and the `$ref` switches, as `generate` has them."""
    for option in reversed(
        [
            click.option(
                "--tasks",
                "agent_file",
                metavar="FILE",
                type=click.Path(dir_okay=False, path_type=Path),
                help="The agent file (agent.yaml). Without it every operation is a tool.",
            ),
            click.option(
                "--strict", is_flag=True, help="Treat warnings (repaired spec faults) as errors."
            ),
            click.option("--allow-remote-refs", is_flag=True, help="Follow $refs to http(s) URLs."),
            click.option(
                "--allow-outside-refs",
                is_flag=True,
                help="Follow $refs to files outside the spec's folder.",
            ),
        ]
    ):
        command = option(command)
    return command


def source(spec: str) -> str | Path:
    return spec if spec.startswith(("http://", "https://")) else Path(spec)
