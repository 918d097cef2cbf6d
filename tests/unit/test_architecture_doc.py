"""docs/architecture.md cannot go stale: what it names exists, and it names every module.

Paths are read from inline code spans (`loader/_read.py`, `_tasks/steps.py`, `tests/golden/`)
and resolved against the repository, the two packages' folders and their parents; dotted names
(`specagent.tasks`, `specagent_runtime.TaskContext`) against the packages. Fenced blocks (the
pipeline drawing, the generated package's files) are pictures, not claims, and are skipped.
A module counts as named only by a path that means it alone: `__init__.py` names nothing, and
`loader/__init__.py` names one file.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
GENERATOR = ROOT / "generator" / "specagent"
RUNTIME = ROOT / "runtime" / "specagent_runtime"
# What a path in the doc may be relative to.
BASES = (ROOT, GENERATOR.parent, GENERATOR, RUNTIME.parent, RUNTIME)

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"[\w.\-]*(?:/[\w.\-]*)+")
_DOTTED = re.compile(r"(specagent|specagent_runtime)(\.\w+)+")


def _spans() -> list[str]:
    text = _FENCE.sub("", DOC.read_text(encoding="utf-8"))
    return _CODE.findall(text)


def _paths() -> list[str]:
    return [span for span in _spans() if _PATH.fullmatch(span) and not span.startswith("../")]


def _resolve(path: str) -> list[Path]:
    """Every existing file or folder `path` may mean."""
    return [base / path for base in BASES if (base / path).exists()]


def _module_exists(dotted: str) -> bool:
    """A module or package, or a name defined or re-exported in one (`specagent.generate`)."""
    top, *parts = dotted.split(".")
    folder = GENERATOR if top == "specagent" else RUNTIME
    for index in range(len(parts), -1, -1):
        base = folder.joinpath(*parts[:index])
        module = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if not module.is_file():
            continue
        rest = parts[index:]
        if not rest:
            return True
        return len(rest) == 1 and re.search(rf"\b{rest[0]}\b", module.read_text()) is not None
    return False


def test_every_path_it_names_exists() -> None:
    missing = [path for path in _paths() if not _resolve(path)]
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


def test_every_dotted_module_it_names_exists() -> None:
    names = [span.removesuffix("()") for span in _spans()]
    dotted = [name for name in names if _DOTTED.fullmatch(name)]
    assert dotted, "the doc names no `specagent.x` module: the parser is broken"
    missing = [name for name in dotted if not _module_exists(name)]
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def _expected() -> set[Path]:
    """Every module of both packages, the templates, and each folder of the tests."""
    found = {
        path
        for folder in (GENERATOR, RUNTIME)
        for path in folder.rglob("*")
        if (path.suffix == ".py" or path.name == "py.typed") and "__pycache__" not in path.parts
    }
    found.update((ROOT / "templates").glob("*.jinja"))
    found.update(
        path
        for path in (ROOT / "tests").iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )
    return found


def test_it_names_every_module_template_and_test_folder() -> None:
    named = set()
    for path in _paths():
        meant = {target.resolve() for target in _resolve(path)}
        if len(meant) == 1:
            named.update(meant)
    unnamed = sorted(str(path.relative_to(ROOT)) for path in _expected() if path not in named)
    assert unnamed == [], (
        "docs/architecture.md does not name these (one line each, by a path that means only"
        f" them, e.g. `loader/_read.py`): {unnamed}"
    )


def test_the_parser_sees_the_doc() -> None:
    """A guard for the checks above: a parser that found nothing would pass them all."""
    paths = _paths()
    assert "loader/_read.py" in paths
    assert "_tasks/steps.py" in paths
    assert len(paths) > 150
