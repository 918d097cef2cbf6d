"""`specagent tools`: the tool list the model is sent, and its size in tokens."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from specagent_runtime import TaskDefinition

from specagent import ir
from specagent._diagnostics import blocking, error
from specagent._generate import GenerateOptions, plan_inputs
from specagent.cli._common import (
    EXIT_BAD_INPUT,
    NOT_LISTED,
    guarded,
    input_options,
    report_problems,
    source,
)
from specagent.cli._progress import Progress
from specagent.ir import Code
from specagent.tools import FORMATS as TOOL_FORMATS
from specagent.tools import Format as ToolFormat
from specagent.tools import (
    MissingExtraError,
    ToolList,
    describe_tools,
    format_table,
    model_tools,
    task_definitions,
)

_TOOLS_EPILOG = """\b
Examples:
  specagent tools openapi.yaml --tasks agent.yaml > tools.json
  specagent tools openapi.yaml --tasks agent.yaml --summary
  specagent tools openapi.yaml --format anthropic --anonymous
  specagent tools openapi.yaml --verbose   # every operation id, method and path

\b
The tool list goes to stdout, the token table (and with --verbose each
tool's operation, arguments, bindings and confirmation) to stderr; with
--summary only those, on stdout. Tokens: o200k_base (GPT-4o and later), counted
offline on each definition as compact JSON.
Exit codes: 0 done, 2 bad input, 3 internal error.
"""


@click.command(
    "tools",
    epilog=_TOOLS_EPILOG,
    short_help="Show the tools the model sees and their size in tokens.",
)
@click.argument("spec", metavar="SPEC")
@input_options
@click.option(
    "--format",
    "format_",
    type=click.Choice(TOOL_FORMATS),
    default="openai",
    show_default=True,
    help="openai: Chat Completions `tools`; anthropic: Messages `tools`; mcp: the MCP "
    "server's tools/list (needs specagent-runtime[mcp]); json: provider-neutral.",
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="The list for a customer the host has not verified: tools bound to the identity and "
    "verified-only tasks are left out (default: a verified customer, every tool).",
)
@click.option("--summary", is_flag=True, help="Print only the token table, on stdout.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also show, on stderr, each tool's operation (id, method, path), its arguments with "
    "their place, type and whether they are required, the ones bound to the verified identity, "
    "the confirmation policy, and each task's inputs.",
)
def tools_command(
    *,
    spec: str,
    agent_file: Path | None,
    strict: bool,
    allow_remote_refs: bool,
    allow_outside_refs: bool,
    format_: ToolFormat,
    anonymous: bool,
    summary: bool,
    verbose: bool,
) -> None:
    """Print the tool definitions the model is sent for SPEC, exactly as the runtime sends
    them (bound arguments removed, the hand-off tool included), and a table of each tool's
    size in tokens with the total: what the tool list costs on every request.
    """
    options = GenerateOptions(
        strict=strict, allow_remote_refs=allow_remote_refs, allow_outside_refs=allow_outside_refs
    )

    def run() -> int:
        found = _tool_list(spec, agent_file, options, format_, verified=not anonymous)
        if isinstance(found, int):
            return found
        tools, details = found
        if summary:
            if verbose:
                click.echo(details + "\n")
            click.echo(format_table(tools))
            return 0
        click.echo(json.dumps(tools.tools, indent=2, ensure_ascii=False))
        if verbose:
            click.echo(details + "\n", err=True)
        click.echo(format_table(tools), err=True)
        return 0

    raise SystemExit(guarded(run))


def _tool_list(
    spec: str,
    agent_file: Path | None,
    options: GenerateOptions,
    format_: ToolFormat,
    *,
    verified: bool,
) -> tuple[ToolList, str] | int:
    from specagent.render import agent_json  # noqa: PLC0415  # heavy imports
    from specagent.tasks import compile_agent  # noqa: PLC0415

    progress = Progress(sys.stderr, interactive=sys.stderr.isatty())
    planned = plan_inputs(source(spec), agent_file, "agent", options, progress)
    problems = [*planned.problems, *planned.agent_problems]
    tasks: list[TaskDefinition] = []
    if planned.plan is not None and planned.agent is not None:
        program, task_problems = compile_agent(planned.agent, planned.plan)
        problems.extend(task_problems)
        tasks = task_definitions(program)
    progress.done()
    if planned.plan is None or blocking(problems, strict=options.strict):
        report_problems(problems, strict=options.strict, failed=True, outcome=NOT_LISTED)
        return EXIT_BAD_INPUT
    if problems:
        report_problems(problems, strict=options.strict, failed=False)
    data = json.loads(agent_json(planned.plan))
    methods = {e.operation.id: e.operation.method.upper() for e in planned.plan.endpoints}
    try:
        tools = model_tools(data, format_, verified=verified, tasks=tasks, http_methods=methods)
    except MissingExtraError as exc:
        report_problems(
            [error(Code.TOOLS_FORMAT, ir.Location("--format"), str(exc))], strict=False, failed=True
        )
        return EXIT_BAD_INPUT
    return tools, describe_tools(planned.plan, tasks, shown=tools)
