"""`specagent diff`: what a new spec changes for the agent (exit 1 when something breaks)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from specagent._diagnostics import blocking
from specagent._generate import GenerateOptions, plan_inputs
from specagent.cli._common import (
    EXIT_BAD_INPUT,
    NOT_COMPARED,
    guarded,
    input_options,
    report_problems,
    source,
)
from specagent.cli._progress import Progress
from specagent.diff import diff_plans, format_json, format_markdown, format_text

_DIFF_EPILOG = """\b
Examples:
  specagent diff old/openapi.yaml openapi.yaml --tasks agent.yaml
  specagent diff base.yaml head.yaml --tasks agent.yaml --format markdown > comment.md

\b
Compares what the agent gets from each spec (tools, arguments, response
fields, security, what the tasks call and read), not the YAML text.
Exit codes: 0 no breaking change, 1 breaking changes, 2 bad input,
3 internal error.
"""


@click.command(
    "diff",
    epilog=_DIFF_EPILOG,
    short_help="Show what a new spec changes for the agent (exit 1: it breaks).",
)
@click.argument("old_spec", metavar="OLD_SPEC")
@click.argument("new_spec", metavar="NEW_SPEC")
@input_options
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown is made for a pull-request comment.",
)
def diff_command(
    *,
    old_spec: str,
    new_spec: str,
    agent_file: Path | None,
    strict: bool,
    allow_remote_refs: bool,
    allow_outside_refs: bool,
    format_: str,
) -> None:
    """Compare OLD_SPEC and NEW_SPEC as the agent sees them: tools added and removed,
    parameters removed, renamed, retyped or made required, enums narrowed, response fields
    gone, security changes, and every task step (with its agent-file line) that relies on
    something gone or changed.
    """
    options = GenerateOptions(
        strict=strict, allow_remote_refs=allow_remote_refs, allow_outside_refs=allow_outside_refs
    )

    def run() -> int:
        progress = Progress(sys.stderr, interactive=sys.stderr.isatty())
        old = plan_inputs(source(old_spec), agent_file, "agent", options, progress)
        new = plan_inputs(source(new_spec), agent_file, "agent", options, progress)
        progress.done()
        problems = list(dict.fromkeys([*old.problems, *new.problems]))
        if old.plan is None or new.plan is None or blocking(problems, strict=options.strict):
            report_problems(problems, strict=options.strict, failed=True, outcome=NOT_COMPARED)
            return EXIT_BAD_INPUT
        if new.problems:  # the old spec's warnings are the baseline, not news
            report_problems(list(new.problems), strict=options.strict, failed=False)
        report = diff_plans(
            old.plan,
            new.plan,
            tasks=new.agent.tasks if new.agent is not None else (),
            old_agent_problems=old.agent_problems,
            new_agent_problems=new.agent_problems,
        )
        formatter = {"json": format_json, "markdown": format_markdown}.get(format_, format_text)
        click.echo(formatter(report))
        return 1 if report.breaking else 0

    raise SystemExit(guarded(run))
