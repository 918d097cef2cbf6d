"""`specagent generate`: the package for a spec, written atomically into its folder."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path, PurePosixPath

import click

from specagent import ir
from specagent._diagnostics import blocking, error
from specagent._generate import GenerateOptions, GenerateResult, generate
from specagent.cli._common import (
    EXIT_BAD_INPUT,
    PACKAGE_UNCHANGED,
    guarded,
    report_problems,
    source,
)
from specagent.cli._progress import Progress
from specagent.cli._write import check_owner, check_target, write_package
from specagent.ir import Code

_GENERATE_EPILOG = """\b
Examples:
  specagent generate openapi.yaml --tasks agent.yaml --out acme_agent/
  specagent generate https://api.example.com/openapi.json --out src/acme_agent --strict

\b
Exit codes: 0 done (warnings may be shown), 2 bad input (all problems are
listed, nothing is written), 3 internal error (please report it).
"""


@click.command(
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
    code = guarded(lambda: _generate(spec, agent_file, out_dir, options, quiet=quiet))
    raise SystemExit(code)


def _generate(
    spec: str, agent_file: Path | None, out_dir: Path, options: GenerateOptions, *, quiet: bool
) -> int:
    stderr = sys.stderr
    progress = Progress(stderr, interactive=stderr.isatty(), enabled=not quiet)
    out_name = Path(os.path.abspath(out_dir)).name
    owner_problems = check_owner(out_dir)
    if owner_problems:  # still check the inputs, to report every problem in one run
        options = dataclasses.replace(options, check_only=True)
    result = generate(source(spec), agent_file, out_name, options, progress)
    progress.done()
    problems = [*result.diagnostics, *owner_problems]
    if result.ok and not owner_problems:
        problems.extend(check_target(out_dir, result.files))
    if blocking(problems, strict=options.strict):
        report_problems(problems, strict=options.strict, failed=True)
        return EXIT_BAD_INPUT
    if problems:
        report_problems(problems, strict=options.strict, failed=False)
    progress("writing")
    try:
        write_package(out_dir, result.files)
    except OSError as exc:
        progress.done()
        reason = exc.strerror or type(exc).__name__
        failure = error(
            Code.OUT_WRITE, ir.Location(str(out_dir)), f"cannot write the package: {reason}"
        )
        report_problems([failure], strict=False, failed=True, outcome=PACKAGE_UNCHANGED)
        return EXIT_BAD_INPUT
    progress.done()
    if not quiet:
        _print_written(out_dir, result)
    return 0


def _print_written(out_dir: Path, result: GenerateResult) -> None:
    base = PurePosixPath(out_dir.as_posix())
    for relative in sorted(result.files):
        click.echo(str(base / relative))
    counts = ", ".join(
        _count(number, noun)
        for number, noun in (
            (result.operations, "operation"),
            (result.tools, "tool"),
            (len(result.files), "file"),
        )
    )
    click.echo(f"generated package `{result.package}` in {base}: {counts}")


def _count(number: int, noun: str) -> str:
    """`1 operation`, `2 operations`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
