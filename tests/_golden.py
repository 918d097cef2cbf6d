"""Where the golden cases live and how to regenerate one in memory."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from specagent import GenerateOptions, generate

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path  # holds the inputs and the expected package folder
    spec: Path
    agent: Path | None
    package: str

    @property
    def package_dir(self) -> Path:
        return self.folder / self.package


def _spec_in(folder: Path) -> Path:
    for name in ("openapi.yaml", "openapi.json", "openapi.yml"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no openapi.yaml/json in {folder}")


def cases() -> list[Case]:
    found = [
        Case(
            name="petstore",
            folder=ROOT / "examples" / "petstore",
            spec=ROOT / "examples" / "petstore" / "openapi.yaml",
            agent=ROOT / "examples" / "petstore" / "agent.yaml",
            package="petstore_agent",
        ),
        Case(
            name="shop",
            folder=ROOT / "examples" / "shop",
            spec=ROOT / "examples" / "shop" / "openapi.yaml",
            agent=ROOT / "examples" / "shop" / "agent.yaml",
            package="shop_agent",
        ),
    ]
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir()):
        agent = folder / "agent.yaml"
        found.append(
            Case(
                name=folder.name,
                folder=folder,
                spec=_spec_in(folder),
                agent=agent if agent.is_file() else None,
                package=folder.name,
            )
        )
    return found


def regenerate(case: Case) -> dict[PurePosixPath, str]:
    """Files of the case's package, relative to the package folder."""
    result = generate(case.spec, case.agent, case.package, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity == "error"]
    assert not errors, "\n".join(errors)
    return dict(result.files)  # generate() already keys them relative to the package folder


def on_disk(package_dir: Path) -> dict[PurePosixPath, str]:
    if not package_dir.is_dir():
        return {}
    return {
        PurePosixPath(p.relative_to(package_dir).as_posix()): p.read_text(encoding="utf-8")
        for p in sorted(package_dir.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    }


def strict_pyproject() -> str:
    """A user's pyproject.toml with this project's own ruff settings: line length, target and
    [tool.ruff.lint] select and ignore (its per-file ignores are about its own tree)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]
    lint = config["lint"]
    return (
        "[tool.ruff]\n"
        f"line-length = {config['line-length']}\n"
        f"target-version = {json.dumps(config['target-version'])}\n\n"
        "[tool.ruff.lint]\n"
        f"select = {json.dumps(lint['select'])}\n"
        f"ignore = {json.dumps(lint.get('ignore', []))}\n"
    )
