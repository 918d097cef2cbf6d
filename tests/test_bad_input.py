"""Bad-input cases: each folder in tests/bad_input/ is one mistake a user can make.

A case folder holds `cmd` (the arguments after `specagent`, one line), the inputs, and
`expected_stderr.txt`. The CLI runs in a copy of the folder; it must exit 2, print exactly the
expected stderr and nothing on stdout, and leave the folder exactly as it was (nothing
written, no temporary folder left behind). `UPDATE_GOLDEN=1` rewrites the expected stderr
files; review them by eye afterwards: each message must make sense to a newcomer.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from specagent import cli
from specagent.cli import _progress

CASES_DIR = Path(__file__).resolve().parent / "bad_input"
CASES = sorted(path for path in CASES_DIR.iterdir() if path.is_dir())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
EXPECTED = "expected_stderr.txt"
COMMANDS = {"generate", "check", "diff", "tools"}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (None) under `folder`."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() if path.is_file() else None
        for path in sorted(folder.rglob("*"))
    }


def test_there_are_cases() -> None:
    assert len(CASES) >= 13


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    before = snapshot(work)
    args = shlex.split((work / "cmd").read_text(encoding="utf-8"))
    assert args[0] in COMMANDS, "cmd holds the arguments after `specagent`"
    monkeypatch.chdir(work)
    # Stage timings depend on the machine; progress has its own tests.
    monkeypatch.setattr(_progress, "SLOW_STAGE_SECONDS", float("inf"))
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)

    if UPDATE:
        (case / EXPECTED).write_text(result.stderr, encoding="utf-8")
    expected = (case / EXPECTED).read_text(encoding="utf-8")
    assert result.exit_code == 2, result.stderr + result.stdout
    assert result.stderr == expected
    assert result.stdout == ""
    assert snapshot(work) == before, "the command wrote to the case folder"
