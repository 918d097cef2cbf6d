"""The test command, shared by ``specagent test`` (the generator's CLI) and ``python -m
<package> test`` (every generated package's, for a CI that has only the runtime).

Exit codes: 0 every test passed every trial; 1 a test failed (the table says which, and in
which turn); 2 the tests cannot run as written (a file's problems with file:line, a package
that cannot be found, a bad option): nothing ran.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "add_arguments", "run", "run_and_report"]

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
DEFAULT_PATH = "agent_tests"


def run_and_report(
    paths: Sequence[str],
    *,
    model: str | None = None,
    trials: int = 1,
    junit: Path | None = None,
    base_url: str | None = None,
    customer_model: str | None = None,
    package: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the tests under `paths` (live when `model` is given), print the table to `out`,
    problems to `err`, write JUnit XML to `junit`; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if trials < 1:
        err.write(f"error: --trials must be at least 1, not {trials}\n")
        return EXIT_BAD_INPUT
    missing = [name for name in ("yaml", "openai") if importlib.util.find_spec(name) is None]
    if missing:
        # test files are YAML (PyYAML); the scripted model speaks through the openai SDK
        needs = " and ".join({"yaml": "PyYAML", "openai": "the openai SDK"}[m] for m in missing)
        err.write(
            f"error: conversation tests need {needs}: pip install 'specagent-runtime[testing]'\n"
        )
        return EXIT_BAD_INPUT
    from specagent_runtime.testing._read import TestFileError  # noqa: PLC0415
    from specagent_runtime.testing._report import format_report, write_junit  # noqa: PLC0415
    from specagent_runtime.testing._runner import RunOptions, run_tests  # noqa: PLC0415

    options = RunOptions(
        mode="live" if model else "scripted",
        trials=trials,
        model=model,
        customer_model=customer_model,
        base_url=base_url,
        package=package,
    )
    try:
        suite = run_tests(list(paths) or [DEFAULT_PATH], options)
    except TestFileError as exc:
        for problem in exc.problems:
            err.write(f"error: {problem}\n")
        count = len(exc.problems)
        err.write(f"{count} problem{'s' if count != 1 else ''}; no test ran\n")
        return EXIT_BAD_INPUT
    out.write(format_report(suite) + "\n")
    if junit is not None:
        try:
            write_junit(suite, junit)
        except OSError as exc:
            err.write(f"error: cannot write {junit}: {exc.strerror}\n")
            return EXIT_BAD_INPUT
    return 0 if suite.ok else EXIT_FAILED


# --- python -m <package> test ---------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    parser.description = (
        f"Run the conversation tests of {package} (YAML files; see docs/testing.md): scripted "
        "by default (no model, no key), live against a real model with --model."
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help=f"test files or folders (default: {DEFAULT_PATH})"
    )
    parser.add_argument("--model", help="run live against this model (OPENAI_API_KEY, ...)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server for --model")
    parser.add_argument(
        "--customer-model", help="the simulated customers' model (default: --model)"
    )
    parser.add_argument("--trials", type=int, default=1, help="trials per test; reports pass^k")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")


def run(package: str, args: argparse.Namespace, env: Mapping[str, str]) -> int:
    return run_and_report(
        args.paths,
        model=args.model,
        trials=args.trials,
        junit=args.junit,
        base_url=args.base_url,
        customer_model=args.customer_model,
        package=package,
    )
