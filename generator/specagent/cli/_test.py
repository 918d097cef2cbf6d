"""`specagent test`: run conversation tests, or write the first ones (`--scaffold`).

The runner is the runtime's (`specagent_runtime.testing`), so ``python -m <package> test`` runs
the same files where only the runtime is installed; this command adds what needs the
generator: `--scaffold`, which reads the agent file's tasks.
"""

from __future__ import annotations

from pathlib import Path

import click
from specagent_runtime.testing import run_and_report

from specagent.cli._common import EXIT_BAD_INPUT, guarded

_TEST_EPILOG = """\b
Examples:
  specagent test examples/shop/agent_tests
  specagent test agent_tests --junit reports/agent-tests.xml
  specagent test agent_tests --model gpt-4o-mini --trials 4
  specagent test --scaffold --spec openapi.yaml --tasks agent.yaml

\b
Scripted (the default): each turn's `model:` answers are played by a scripted
model, so bindings, consent, tasks and limits are tested deterministically,
with no key. Live (--model): the customer's turns go to a real model
(OPENAI_API_KEY, or --base-url for any OpenAI-compatible server; claude-*
models use ANTHROPIC_API_KEY), outcomes only, pass^k over --trials.
Exit codes: 0 all passed, 1 a test failed, 2 bad input (nothing ran),
3 internal error.
"""


@click.command(
    "test",
    epilog=_TEST_EPILOG,
    short_help="Run conversation tests (scripted, or live with --model).",
)
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option(
    "--model",
    metavar="MODEL",
    help="Play the customer's turns to this model instead of the scripts (live).",
)
@click.option(
    "--trials",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Run each test this many times; the table reports pass^k for k = trials.",
)
@click.option(
    "--junit",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as JUnit XML (for CI).",
)
@click.option("--base-url", metavar="URL", help="An OpenAI-compatible server for --model.")
@click.option(
    "--customer-model",
    metavar="MODEL",
    help="The model that plays simulated customers (default: --model).",
)
@click.option(
    "--package",
    metavar="NAME",
    help="The generated package, for test files that do not name it (`package:`).",
)
@click.option(
    "--scaffold",
    is_flag=True,
    help="Write one scripted test per path through each task of --tasks into PATH "
    "(default agent_tests/), to complete; existing files are kept.",
)
@click.option(
    "--spec",
    metavar="SPEC",
    help="With --scaffold: the OpenAPI spec the package was generated from.",
)
@click.option(
    "--tasks",
    "agent_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --scaffold: the agent file whose tasks get tests.",
)
def test_command(
    *,
    paths: tuple[str, ...],
    model: str | None,
    trials: int,
    junit: Path | None,
    base_url: str | None,
    customer_model: str | None,
    package: str | None,
    scaffold: bool,
    spec: str | None,
    agent_file: Path | None,
) -> None:
    """Run the conversation tests in PATH (files or folders of YAML; default agent_tests/)
    and print a table: each test, its trials, how many passed, pass^k and the first failure
    with its turn.
    """
    if scaffold:
        from specagent.cli._scaffold import scaffold_command  # noqa: PLC0415

        raise SystemExit(guarded(lambda: scaffold_command(paths, spec, agent_file, package)))
    if spec is not None or agent_file is not None:
        click.echo("error: --spec and --tasks go with --scaffold", err=True)
        raise SystemExit(EXIT_BAD_INPUT)
    code = guarded(
        lambda: run_and_report(
            list(paths),
            model=model,
            trials=trials,
            junit=junit,
            base_url=base_url,
            customer_model=customer_model,
            package=package,
        )
    )
    raise SystemExit(code)
