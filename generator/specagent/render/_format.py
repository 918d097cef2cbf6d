"""Formatting the generated Python with ruff, all files in one run.

ruff only works on files, so the in-memory map goes to a private temporary directory and
comes back; nothing else touches the disk. `--isolated` keeps any ruff configuration found
around the temporary directory (or the user's) from changing the output.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]  # ships no py.typed

# ruff's own defaults (line length, rule set): the package must pass a plain `ruff check` and
# `ruff format --check` in whatever repository it is committed to.
_SETTINGS = ("--isolated", "--no-cache", "--target-version", "py311")


class FormatError(RuntimeError):
    """ruff rejected generated code: a bug in specagent, reported with ruff's message."""


def _run(arguments: list[str], cwd: Path) -> None:
    completed = subprocess.run(
        [os.fsdecode(find_ruff_bin()), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        message = (completed.stderr or completed.stdout).strip()
        raise FormatError(f"ruff {arguments[0]} failed on generated code: {message}")


def format_python(files: Mapping[PurePosixPath, str]) -> dict[PurePosixPath, str]:
    """`files` with every `.py` ruff-fixed and ruff-formatted; other files unchanged."""
    python = sorted(path for path in files if path.suffix == ".py")
    if not python:
        return dict(files)
    result = dict(files)
    with tempfile.TemporaryDirectory(prefix="specagent-format-") as tmp:
        root = Path(tmp)
        for path in python:
            target = root.joinpath(*path.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[path], encoding="utf-8")
        names = [str(PurePosixPath(*path.parts)) for path in python]
        # Safe fixes only (import order, `Dict` -> `dict` in datamodel-codegen output); what
        # cannot be fixed is left for the package's own checks rather than failing generation.
        _run(["check", *_SETTINGS, "--fix", "--exit-zero", "--quiet", *names], root)
        _run(["format", *_SETTINGS, "--quiet", *names], root)
        for path in python:
            result[path] = root.joinpath(*path.parts).read_text(encoding="utf-8")
    return result
