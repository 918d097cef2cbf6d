"""Writing a rendered package to disk and checking it the way users will: ruff, mypy, import."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def write(files: Mapping[PurePosixPath, str], root: Path) -> None:
    for path, text in files.items():
        target = root.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def ruff_problems(root: Path, package: str) -> str:
    check = run([str(BIN / "ruff"), "check", "--isolated", "--no-cache", package], root)
    fmt = run(
        [str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", package],
        root,
    )
    if check.returncode or fmt.returncode:
        return check.stdout + check.stderr + fmt.stdout + fmt.stderr
    return ""


def mypy_problems(root: Path, package: str) -> str:
    result = run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", "/dev/null", package],
        root,
    )
    return "" if result.returncode == 0 else result.stdout + result.stderr
