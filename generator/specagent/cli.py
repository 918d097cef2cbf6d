"""The `specagent` command line.

Exit codes: 0 success (warnings may be printed); 1 a finding for CI: `check` found the
committed package stale, `diff` found breaking changes; 2 bad input or usage — a problem in the
spec, the agent file, the options or the output folder, all reported together, nothing written;
3 an internal error (a bug in specagent: a one-line message, no traceback unless
SPECAGENT_DEBUG=1); 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import click
from specagent_runtime import TaskDefinition

from specagent import __version__, ir
from specagent._cli_plan import plan_inputs
from specagent._cli_progress import Progress
from specagent._cli_write import check_owner, check_target, package_files, write_package
from specagent._diagnostics import (
    count_errors,
    error,
    format_report,
    redact_urls,
    sort_diagnostics,
    summary_line,
)
from specagent.check import DEFAULT_MAX_LINES, compare_package, format_check, read_manifest
from specagent.diff import diff_plans, format_json, format_markdown, format_text
from specagent.generate import GenerateOptions, GenerateResult, generate
from specagent.tools import FORMATS as TOOL_FORMATS
from specagent.tools import Format as ToolFormat
from specagent.tools import (
    MissingExtraError,
    ToolList,
    format_table,
    model_tools,
    task_definitions,
)

__all__ = ["main"]

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", prog_name="specagent", message="%(prog)s %(version)s"
)
def main() -> None:
    """Generate typed AI support-agent packages from OpenAPI specs.

    Run `specagent COMMAND --help` for a command's options and an example.
    """


_GENERATE_EPILOG = """\b
Examples:
  specagent generate openapi.yaml --tasks agent.yaml --out acme_agent/
  specagent generate https://api.example.com/openapi.json --out src/acme_agent --strict

\b
Exit codes: 0 done (warnings may be shown), 2 bad input (all problems are
listed, nothing is written), 3 internal error (please report it).
"""


@main.command(
    "generate",
    epilog=_GENERATE_EPILOG,
    short_help="Generate an agent package from an OpenAPI spec.",
)
@click.argument("spec", metavar="SPEC")
@click.option(
    "--tasks",
    "agent_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agent file (agent.yaml): which operations become tools, overrides, bindings "
    "to the verified identity, instructions and tasks. Without it every operation is a tool.",
)
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    required=True,
    type=click.Path(path_type=Path),
    help="The package's own folder, e.g. acme_agent/. It is replaced atomically; a folder "
    "that specagent did not generate is never overwritten.",
)
@click.option(
    "--package",
    metavar="NAME",
    help="The import name of the package. Default: the name of the --out folder.",
)
@click.option("--strict", is_flag=True, help="Treat warnings (repaired spec faults) as errors.")
@click.option(
    "--allow-remote-refs",
    is_flag=True,
    help="Follow $refs to http(s) URLs (off by default: generation stays reproducible).",
)
@click.option(
    "--allow-outside-refs",
    is_flag=True,
    help="Follow $refs to files outside the spec's folder (off by default).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems: no progress, no file list.")
def generate_command(
    *,
    spec: str,
    agent_file: Path | None,
    out_dir: Path,
    package: str | None,
    strict: bool,
    allow_remote_refs: bool,
    allow_outside_refs: bool,
    quiet: bool,
) -> None:
    """Generate the agent package for SPEC (a file path or an http(s) URL) into DIR.

    Writes typed models, an API client, the tools, auth wiring, build_agent() and a
    manifest. Problems are reported together on stderr, each with its place (file:line
    or JSON pointer) and a hint; the list of written files goes to stdout.
    """
    options = GenerateOptions(
        package=package,
        strict=strict,
        allow_remote_refs=allow_remote_refs,
        allow_outside_refs=allow_outside_refs,
    )
    code = _guarded(lambda: _generate(spec, agent_file, out_dir, options, quiet=quiet))
    raise SystemExit(code)


def _guarded(run: Callable[[], int]) -> int:
    """Run the command; turn an unexpected exception into a short message and exit 3."""
    try:
        result = run()
    except KeyboardInterrupt:
        click.echo("\ninterrupted; nothing was written", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if os.environ.get("SPECAGENT_DEBUG") == "1":
            raise
        first_line = redact_urls((str(exc).strip().splitlines() or [""])[0][:300])
        click.echo(f"internal error: {type(exc).__name__}: {first_line}", err=True)
        click.echo(
            "  hint: this is a bug in specagent, not in your input; please report it with the "
            "command you ran (SPECAGENT_DEBUG=1 shows the traceback). Nothing was written.",
            err=True,
        )
        return EXIT_INTERNAL
    return result


def _generate(
    spec: str, agent_file: Path | None, out_dir: Path, options: GenerateOptions, *, quiet: bool
) -> int:
    stderr = sys.stderr
    progress = Progress(stderr, interactive=stderr.isatty(), enabled=not quiet)
    source: str | Path = spec if spec.startswith(("http://", "https://")) else Path(spec)
    out_name = Path(os.path.abspath(out_dir)).name
    owner_problems = check_owner(out_dir)
    if owner_problems:  # still check the inputs, to report every problem in one run
        options = dataclasses.replace(options, check_only=True)
    result = generate(source, agent_file, out_name, options, progress)
    progress.done()
    problems = [*result.diagnostics, *owner_problems]
    if result.ok and not owner_problems:
        problems.extend(check_target(out_dir, result.files))
    if count_errors(problems, strict=options.strict):
        _report(problems, strict=options.strict, failed=True)
        return EXIT_BAD_INPUT
    if problems:
        _report(problems, strict=options.strict, failed=False)
    progress("writing")
    try:
        write_package(out_dir, result.files)
    except OSError as exc:
        progress.done()
        reason = exc.strerror or type(exc).__name__
        failure = error("out.write", str(out_dir), f"cannot write the package: {reason}")
        _report([failure], strict=False, failed=True, changed=False)
        return EXIT_BAD_INPUT
    progress.done()
    if not quiet:
        _print_written(out_dir, result)
    return 0


def _report(
    problems: list[ir.Diagnostic], *, strict: bool, failed: bool, changed: bool = True
) -> None:
    problems = sort_diagnostics(problems)
    click.echo(format_report(problems), err=True)
    if not failed:
        click.echo(f"{summary_line(problems)}", err=True)
        return
    closing = f"{summary_line(problems)}; nothing was written"
    if not changed:
        closing = f"{summary_line(problems)}; the existing package, if any, is unchanged"
    if strict and not count_errors(problems):
        closing += " (--strict treats warnings as errors)"
    click.echo(closing, err=True)


def _print_written(out_dir: Path, result: GenerateResult) -> None:
    base = PurePosixPath(out_dir.as_posix())
    for relative in sorted(result.files):
        click.echo(str(base / relative))
    files = len(result.files)
    click.echo(
        f"generated package `{result.package}` in {base}: {result.operations} operations, "
        f"{result.tools} tools, {files} file{'s' if files != 1 else ''}"
    )


# --- options shared by the commands that read a spec -------------------------------------------

_F = Callable[..., None]


def _input_options(command: _F) -> _F:
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


def _source(spec: str) -> str | Path:
    return spec if spec.startswith(("http://", "https://")) else Path(spec)


# --- tools ---------------------------------------------------------------------------------------

_TOOLS_EPILOG = """\b
Examples:
  specagent tools openapi.yaml --tasks agent.yaml > tools.json
  specagent tools openapi.yaml --tasks agent.yaml --summary
  specagent tools openapi.yaml --format anthropic --anonymous

\b
The tool list goes to stdout, the token table to stderr (with --summary,
only the table, on stdout). Tokens: o200k_base (GPT-4o and later), counted
offline on each definition as compact JSON.
Exit codes: 0 done, 2 bad input, 3 internal error.
"""


@main.command(
    "tools",
    epilog=_TOOLS_EPILOG,
    short_help="Show the tools the model sees and their size in tokens.",
)
@click.argument("spec", metavar="SPEC")
@_input_options
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
        if summary:
            click.echo(format_table(found))
            return 0
        click.echo(json.dumps(found.tools, indent=2, ensure_ascii=False))
        click.echo(format_table(found), err=True)
        return 0

    raise SystemExit(_guarded(run))


def _tool_list(
    spec: str,
    agent_file: Path | None,
    options: GenerateOptions,
    format_: ToolFormat,
    *,
    verified: bool,
) -> ToolList | int:
    from specagent.render._tool_schema import agent_json  # noqa: PLC0415  # heavy imports
    from specagent.tasks import build_tasks  # noqa: PLC0415

    progress = Progress(sys.stderr, interactive=sys.stderr.isatty())
    planned = plan_inputs(_source(spec), agent_file, "agent", options, progress)
    problems = [*planned.problems, *planned.agent_problems]
    tasks: list[TaskDefinition] = []
    if planned.plan is not None and planned.agent_text is not None and agent_file is not None:
        program, task_problems = build_tasks(planned.agent_text, str(agent_file), planned.plan)
        problems.extend(task_problems)
        tasks = task_definitions(program)
    progress.done()
    if planned.plan is None or count_errors(problems, strict=options.strict):
        _report(problems, strict=options.strict, failed=True, changed=False)
        return EXIT_BAD_INPUT
    if problems:
        _report(problems, strict=options.strict, failed=False)
    data = json.loads(agent_json(planned.plan))
    methods = {e.operation.id: e.operation.method.upper() for e in planned.plan.endpoints}
    try:
        return model_tools(data, format_, verified=verified, tasks=tasks, http_methods=methods)
    except MissingExtraError as exc:
        _report([error("tools.format", "--format", str(exc))], strict=False, failed=True)
        return EXIT_BAD_INPUT


# --- check ---------------------------------------------------------------------------------------

_CHECK_EPILOG = """\b
Examples:
  specagent check openapi.yaml --tasks agent.yaml --out acme_agent/

\b
Options recorded in the package's manifest (--strict, the $ref switches)
are used again; flags given here add to them. Nothing is written.
Exit codes: 0 up to date, 1 stale (the diff and a summary are printed),
2 bad input, 3 internal error.
"""


@main.command(
    "check",
    epilog=_CHECK_EPILOG,
    short_help="Fail when the committed package is not what the inputs generate.",
)
@click.argument("spec", metavar="SPEC")
@_input_options
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    required=True,
    type=click.Path(path_type=Path),
    help="The committed package's folder, as given to `generate`.",
)
@click.option(
    "--package", metavar="NAME", help="The import name. Default: as in the package's manifest."
)
@click.option(
    "--max-diff-lines",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_LINES,
    show_default=True,
    help="Diff lines shown in all; 0 shows the whole diff.",
)
def check_command(
    *,
    spec: str,
    agent_file: Path | None,
    strict: bool,
    allow_remote_refs: bool,
    allow_outside_refs: bool,
    out_dir: Path,
    package: str | None,
    max_diff_lines: int,
) -> None:
    """Regenerate the package for SPEC in memory and compare it with DIR, for CI: exit 1 with
    a readable diff when the committed package is stale.
    """

    def run() -> int:
        manifest = read_manifest(out_dir)
        if not out_dir.is_dir() or not any(package_files(out_dir)):
            problem = error(
                "out.folder",
                str(out_dir),
                "there is no package in this folder to check",
                "pass `--out` the folder given to `specagent generate`, or generate it first",
            )
            _report([problem], strict=False, failed=True, changed=False)
            return EXIT_BAD_INPUT
        recorded = manifest.get("options", {}) if manifest else {}
        recorded = recorded if isinstance(recorded, dict) else {}
        options = GenerateOptions(
            package=package or _recorded_package(manifest),
            strict=strict or recorded.get("strict") is True,
            allow_remote_refs=allow_remote_refs or recorded.get("allow_remote_refs") is True,
            allow_outside_refs=allow_outside_refs or recorded.get("allow_outside_refs") is True,
        )
        progress = Progress(sys.stderr, interactive=sys.stderr.isatty())
        out_name = Path(os.path.abspath(out_dir)).name
        result = generate(_source(spec), agent_file, out_name, options, progress)
        progress.done()
        problems = list(result.diagnostics)
        if not result.ok:
            _report(problems, strict=options.strict, failed=True, changed=False)
            return EXIT_BAD_INPUT
        if problems:
            _report(problems, strict=options.strict, failed=False)
        generated = {path.as_posix() for path in result.files}
        if manifest is None and not generated & set(package_files(out_dir)):
            problem = error(
                "out.folder",
                str(out_dir),
                "this folder holds no package generated by specagent (no manifest.json, none "
                "of the package's files)",
                "pass `--out` the folder given to `specagent generate`",
            )
            _report([problem], strict=False, failed=True, changed=False)
            return EXIT_BAD_INPUT
        report = compare_package(result.files, out_dir)
        click.echo(format_check(report, max_lines=max_diff_lines))
        return 1 if report.stale else 0

    raise SystemExit(_guarded(run))


def _recorded_package(manifest: dict[str, object] | None) -> str | None:
    name = manifest.get("package") if manifest else None
    return name if isinstance(name, str) and name else None


# --- diff ----------------------------------------------------------------------------------------

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


@main.command(
    "diff",
    epilog=_DIFF_EPILOG,
    short_help="Show what a new spec changes for the agent (exit 1: it breaks).",
)
@click.argument("old_spec", metavar="OLD_SPEC")
@click.argument("new_spec", metavar="NEW_SPEC")
@_input_options
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
        old = plan_inputs(_source(old_spec), agent_file, "agent", options, progress)
        new = plan_inputs(_source(new_spec), agent_file, "agent", options, progress)
        progress.done()
        problems = list(dict.fromkeys([*old.problems, *new.problems]))
        if old.plan is None or new.plan is None or count_errors(problems, strict=options.strict):
            _report(problems, strict=options.strict, failed=True, changed=False)
            return EXIT_BAD_INPUT
        if new.problems:  # the old spec's warnings are the baseline, not news
            _report(list(new.problems), strict=options.strict, failed=False)
        report = diff_plans(
            old.plan,
            new.plan,
            agent_text=new.agent_text,
            agent_source=str(agent_file) if agent_file is not None else "agent.yaml",
            old_agent_problems=old.agent_problems,
            new_agent_problems=new.agent_problems,
        )
        formatter = {"json": format_json, "markdown": format_markdown}.get(format_, format_text)
        click.echo(formatter(report))
        return 1 if report.breaking else 0

    raise SystemExit(_guarded(run))
