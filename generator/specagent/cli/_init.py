"""`specagent init`: write a starting agent.yaml for a spec (never over an existing one)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from specagent import _names, ir
from specagent._diagnostics import blocking, error
from specagent._generate import GenerateOptions, generate, plan_inputs
from specagent.cli._common import EXIT_BAD_INPUT, EXIT_INTERNAL, guarded, report_problems, source
from specagent.ir import Code

_INIT_EPILOG = """\b
Examples:
  specagent init openapi.yaml
  specagent init https://api.example.com/openapi.json --out support/

\b
Then: edit agent.yaml, `specagent generate SPEC --tasks agent.yaml --out
PACKAGE/`, and `specagent test --scaffold` once it has tasks.
Exit codes: 0 written, 2 bad input (nothing written), 3 internal error.
"""


@click.command(
    "init",
    epilog=_INIT_EPILOG,
    short_help="Write a starting agent.yaml for a spec.",
)
@click.argument("spec", metavar="SPEC")
@click.option(
    "--out",
    "out_dir",
    metavar="DIR",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write agent.yaml into (created if missing).",
)
@click.option(
    "--package",
    metavar="NAME",
    help="The package name the file's generate hint uses. Default: from the spec's title.",
)
def init_command(*, spec: str, out_dir: Path, package: str | None) -> None:
    """Write DIR/agent.yaml for SPEC: the read operations as tools grouped by tag, parameters
    named like the customer's identity (email, customer_id, user_id, username) bound to the
    verified identity, operations that change data commented out (each needs a decision, and
    runs only after the customer confirms once included). It generates as it is.
    """
    raise SystemExit(guarded(lambda: _init(spec, out_dir, package)))


def _init(spec: str, out_dir: Path, package: str | None) -> int:
    from specagent.scaffold import draft_agent_file  # noqa: PLC0415 - only this command needs it

    target = out_dir / "agent.yaml"
    if target.exists():
        problem = error(
            Code.OUT_WRITE,
            ir.Location(str(target)),
            "agent.yaml already exists; specagent init never overwrites it",
            "edit it, or pass another --out folder",
        )
        report_problems([problem], strict=False, failed=True)
        return EXIT_BAD_INPUT
    options = GenerateOptions()
    planned = plan_inputs(source(spec), None, package or "agent", options)
    if planned.plan is None or planned.blocking(strict=False):
        report_problems(list(planned.problems), strict=False, failed=True)
        return EXIT_BAD_INPUT
    plan = planned.plan
    name = package or _package_for(plan.api.title)
    draft = draft_agent_file(plan, spec, name)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8") as handle:  # "x": never over a file made meanwhile
            handle.write(draft.text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        failure = error(Code.OUT_WRITE, ir.Location(str(target)), f"cannot write: {reason}")
        report_problems([failure], strict=False, failed=True)
        return EXIT_BAD_INPUT
    # The promise is that it generates as it is: check it (stops before rendering, so cheap).
    checked = generate(source(spec), target, name, dataclasses.replace(options, check_only=True))
    found = [d for d in checked.diagnostics if d.location.file == str(target)]
    if blocking(found, strict=False):
        report_problems(found, strict=False, failed=False)
        click.echo(
            "internal error: the agent file specagent init wrote does not generate; "
            "please report it with the spec",
            err=True,
        )
        return EXIT_INTERNAL
    click.echo(
        f"wrote {target}: {draft.reads} read operation(s) as tools, {draft.writes} that change "
        f"data commented out, {draft.bindings} binding(s) to the verified identity proposed"
    )
    tasks = os.path.relpath(target)
    click.echo(f"next: specagent generate {spec} --tasks {tasks} --out {name}/")
    return 0


def _package_for(title: str) -> str:
    words = _names.split_words(title)[:2] or ["api"]
    return _names.python_name("_".join(words), fallback="api").lower() + "_agent"
