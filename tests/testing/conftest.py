"""Fixtures of the testing kit's own tests: the example packages imported in this process
(and forgotten afterwards), and the `specagent` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOP = REPO / "examples" / "shop"
PETSTORE = REPO / "examples" / "petstore"
SPECAGENT = Path(sys.executable).parent / "specagent"


def run_specagent(
    *args: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`specagent ARGS` as a user runs it; stdout and stderr as text."""
    return subprocess.run(
        [str(SPECAGENT), *map(str, args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def isolated_imports() -> Iterator[None]:
    """The kit puts the tests' package folders on sys.path and imports the packages; undo
    both, so other tests import their own packages of those names."""

    def ours(name: str) -> bool:
        top = name.partition(".")[0]
        return top in ("petstore_agent", "shop_agent") or top.startswith("_specagent_test_")

    path = list(sys.path)
    # A package of the same name another test imported (a generated petstore_agent, say)
    # would be found instead of the one this test puts on sys.path: set aside, put back after.
    earlier = {name: module for name, module in sys.modules.items() if ours(name)}
    for name in earlier:
        del sys.modules[name]
    modules = set(sys.modules)
    try:
        yield
    finally:
        sys.path[:] = path
        for name in set(sys.modules) - modules:
            if ours(name):
                del sys.modules[name]
        sys.modules.update(earlier)
