"""Formatting the generated Python with ruff, all files in one run.

ruff only works on files, so the in-memory map goes to a private temporary directory and
comes back; nothing else touches the disk. `--isolated` keeps any ruff configuration found
around the temporary directory (or the user's) from changing the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]  # ships no py.typed

from specagent.render._long_lines import LIMIT, escape_lookalikes, wrap_long_lines

# ruff's own defaults for formatting: the package must pass `ruff format --check` in whatever
# repository it is committed to.
_SETTINGS = ("--isolated", "--no-cache", "--target-version", "py311")
# The rules it must pass too, as many projects (and specagent itself: pyproject.toml's
# [tool.ruff.lint], which tests/unit/render/test_strict_lint.py keeps equal) select them, at
# their line length; the safe fixes are applied.
STRICT_SELECT = ("E", "F", "I", "UP", "B", "PL", "RUF", "T20")
STRICT_IGNORE = ("PLR0913", "PLR2004", "PLR0911", "PLR0912")
STRICT_LINE_LENGTH = LIMIT
_STRICT = (
    "--select",
    ",".join(STRICT_SELECT),
    "--ignore",
    ",".join(STRICT_IGNORE),
    "--line-length",
    str(STRICT_LINE_LENGTH),
)
_LOOKALIKES = ("--select", "RUF001,RUF002,RUF003", "--output-format", "json", "--exit-zero")


class FormatError(RuntimeError):
    """ruff rejected generated code: a bug in specagent, reported with ruff's message."""


def _run(arguments: list[str], cwd: Path) -> str:
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
    return completed.stdout


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
        _run(["check", *_SETTINGS, *_STRICT, "--fix", "--exit-zero", "--quiet", *names], root)
        _run(["format", *_SETTINGS, "--quiet", *names], root)
        if _lint_text(root, names):
            _run(["format", *_SETTINGS, "--quiet", *names], root)
        for path in python:
            result[path] = root.joinpath(*path.parts).read_text(encoding="utf-8")
    return result


def _lint_text(root: Path, names: list[str]) -> bool:
    """Long lines wrapped and lookalike characters escaped (`_long_lines`), in place; whether
    any file changed."""
    places: dict[str, list[tuple[int, int]]] = {}
    for item in json.loads(_run(["check", *_SETTINGS, *_LOOKALIKES, *names], root) or "[]"):
        name = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        location = item["location"]
        places.setdefault(name, []).append((int(location["row"]), int(location["column"])))
    changed = False
    for name in names:
        path = root / name
        text = path.read_text(encoding="utf-8")
        fixed = wrap_long_lines(escape_lookalikes(text, places.get(name, ())))
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")
            changed = True
    return changed
