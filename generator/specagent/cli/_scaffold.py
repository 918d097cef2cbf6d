"""`specagent test --scaffold`: write the first conversation tests of an agent file's tasks."""

from __future__ import annotations

from pathlib import Path

import click

from specagent import ir
from specagent._diagnostics import blocking, error
from specagent._generate import GenerateOptions, plan_inputs
from specagent._manifest import read_manifest, recorded_package
from specagent.cli._common import EXIT_BAD_INPUT, report_problems, source
from specagent.ir import Code
from specagent.scaffold import scaffold_tests
from specagent.tasks import compile_agent

DEFAULT_FOLDER = Path("agent_tests")


def _usage(message: str, hint: str = "") -> int:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"  hint: {hint}", err=True)
    return EXIT_BAD_INPUT


def scaffold_command(
    paths: tuple[str, ...], spec: str | None, agent_file: Path | None, package: str | None
) -> int:
    if spec is None or agent_file is None:
        return _usage(
            "--scaffold needs --spec and --tasks: the spec and the agent file with the tasks",
            "specagent test --scaffold --spec openapi.yaml --tasks agent.yaml",
        )
    if len(paths) > 1:
        return _usage("--scaffold writes into one folder; give at most one PATH")
    folder = Path(paths[0]) if paths else DEFAULT_FOLDER
    if folder.exists() and not folder.is_dir():
        return _usage(f"{folder} is a file; --scaffold writes test files into a folder")
    name = package or _generated_package(agent_file, folder)
    if name is None:
        return _usage(
            "which package do the tests run? no generated package (a folder with "
            "manifest.json) was found next to the agent file or the tests' folder",
            "pass --package NAME (the import name given to `specagent generate`)",
        )
    planned = plan_inputs(source(spec), agent_file, name, GenerateOptions())
    problems = [*planned.problems, *planned.agent_problems]
    if planned.plan is None or planned.agent is None or blocking(problems, strict=False):
        report_problems(problems, strict=False, failed=True)
        return EXIT_BAD_INPUT
    program, task_problems = compile_agent(planned.agent, planned.plan)
    if blocking(task_problems, strict=False):
        report_problems(task_problems, strict=False, failed=True)
        return EXIT_BAD_INPUT
    if not program.tasks:
        return _usage(
            f"{agent_file} has no tasks, so there is nothing to scaffold",
            "add `tasks:` (docs/tasks.md), or write tests by hand (docs/testing.md)",
        )
    files = scaffold_tests(planned.plan, program)
    written, kept = [], []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, text in sorted(files.items()):
            target = folder / file_name
            if target.exists():
                kept.append(target)
                continue
            with open(target, "x", encoding="utf-8") as handle:
                handle.write(text)
            written.append(target)
    except OSError as exc:
        failure = error(
            Code.OUT_WRITE, ir.Location(str(folder)), f"cannot write: {exc.strerror or exc}"
        )
        report_problems([failure], strict=False, failed=True)
        return EXIT_BAD_INPUT
    for target in written:
        tests = sum(
            1
            for line in target.read_text(encoding="utf-8").splitlines()
            if line.startswith("  - name:")
        )
        click.echo(f"wrote {target}: {tests} test(s)")
    for target in kept:
        click.echo(f"kept {target}: it exists (delete it to scaffold it again)")
    click.echo(f"next: complete the TODOs, then `specagent test {folder}`")
    return 0


def _generated_package(agent_file: Path, folder: Path) -> str | None:
    """The package generated from `agent_file`: a folder beside it (or beside the tests'
    folder) whose manifest records an agent file of that name."""
    for parent in dict.fromkeys([agent_file.resolve().parent, folder.resolve().parent]):
        for candidate in sorted(parent.iterdir()):
            if not (candidate / "manifest.json").is_file():
                continue
            manifest = read_manifest(candidate)
            inputs = (manifest or {}).get("inputs", {})
            agents = inputs.get("agent", {}) if isinstance(inputs, dict) else {}
            if isinstance(agents, dict) and agent_file.name in agents:
                found = recorded_package(manifest)
                if found:
                    return found
    return None
