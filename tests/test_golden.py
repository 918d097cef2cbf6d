"""Golden tests: every case regenerates byte for byte, and every expected package is a good
package (ruff check, mypy --strict, imports).

UPDATE_GOLDEN=1 rewrites the expected packages from the current generator.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._golden import ROOT, Case, cases, on_disk, regenerate, strict_pyproject

CASES = cases()
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def _write(case: Case, files: dict[object, str]) -> None:
    if case.package_dir.exists():
        shutil.rmtree(case.package_dir)
    for rel, text in files.items():
        target = case.package_dir / str(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_regenerates_identically(case: Case) -> None:
    files = regenerate(case)
    if UPDATE:
        _write(case, dict(files))
    expected = on_disk(case.package_dir)
    assert sorted(map(str, files)) == sorted(map(str, expected)), "file lists differ"
    for rel, text in sorted(files.items(), key=lambda item: str(item[0])):
        if text != expected[rel]:
            diff = "".join(
                difflib.unified_diff(
                    expected[rel].splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    f"expected/{rel}",
                    f"generated/{rel}",
                )
            )
            pytest.fail(f"{case.name}: {rel} differs (UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


def test_regeneration_is_deterministic() -> None:
    case = CASES[0]
    assert regenerate(case) == regenerate(case)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def test_golden_packages_pass_ruff() -> None:
    dirs = [str(c.package_dir) for c in CASES]
    result = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", *dirs], ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    fmt = _run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "--isolated", *dirs],
        ROOT,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_golden_packages_pass_the_strict_rules_in_a_users_repository(tmp_path: Path) -> None:
    """Linted where a user commits them: a repository whose pyproject.toml selects this
    project's own rules (E, F, I, UP, B, PL, RUF... at line length 100), not ruff's defaults."""
    (tmp_path / "pyproject.toml").write_text(strict_pyproject(), encoding="utf-8")
    for case in CASES:
        shutil.copytree(case.package_dir, tmp_path / case.name / case.package)
    result = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], tmp_path)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr


def test_golden_packages_pass_mypy_strict() -> None:
    """One mypy run over every golden package: they share pydantic, httpx and the runtime, so
    checking them together costs a fraction of checking each alone."""
    packages = [arg for case in CASES for arg in ("-p", case.package)]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(case.folder) for case in CASES)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--config-file",
            os.devnull,
            *packages,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_package_imports(case: Case) -> None:
    code = (
        f"import {case.package} as p, {case.package}.client, {case.package}.models, "
        f"{case.package}.agent\n"
        "print(len(p.__all__))"
    )
    result = _run([sys.executable, "-c", code], case.folder)
    assert result.returncode == 0, result.stderr[-4000:]
