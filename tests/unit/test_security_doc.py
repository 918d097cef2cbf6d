"""docs/security.md's table of attacks tried and held is counted from the suites' own READMEs
(tests/adversarial, tests/faults: one row per attack, each row's test checked by the suite's
test_readme.py) and from tests/security's test functions, so it cannot drift from them.
`UPDATE_GOLDEN=1 uv run pytest tests/unit/test_security_doc.py` rewrites it."""

from __future__ import annotations

import ast
import os
import re
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "security.md"
READMES = {
    "tests/adversarial": REPO / "tests" / "adversarial" / "README.md",
    "tests/faults (+ storage, load)": REPO / "tests" / "faults" / "README.md",
}
SECURITY = REPO / "tests" / "security"
_ROW = re.compile(
    r"^\| (?P<id>[A-Z]+-\d+|control) \| (?P<category>[^|]+?) \|.*\| (?P<status>[^|]+) \|$"
)


def _rows(readme: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            rows.append((match["id"], match["category"], match["status"]))
    return rows


def _security_tests() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(SECURITY.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        counts[path.name] = sum(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
            for node in tree.body
        )
    return counts


def table() -> str:
    lines = [
        "| suite | category | attacks | held when written | held now | controls |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    totals = [0, 0, 0, 0]
    for suite, readme in READMES.items():
        rows = _rows(readme)
        categories = list(dict.fromkeys(category for _, category, _ in rows))
        for category in categories:
            mine = [(i, s) for i, c, s in rows if c == category]
            attacks = [s for i, s in mine if i != "control"]
            before = sum(s.startswith("holds") for s in attacks)
            now = sum(s.startswith(("holds", "fixed")) for s in attacks)
            controls = len(mine) - len(attacks)
            if not attacks:  # a category of controls only: counted with its suite's total
                totals[3] += controls
                continue
            lines.append(
                f"| {suite} | {category} | {len(attacks)} | {before} | {now} | {controls} |"
            )
            for index, value in enumerate((len(attacks), before, now, controls)):
                totals[index] += value
    for name, count in _security_tests().items():
        lines.append(f"| tests/security | `{name}` (test functions) | {count} | | {count} | |")
        totals[0] += count
        totals[2] += count
    lines.append(f"| **all** | | **{totals[0]}** | | **{totals[2]}** | {totals[3]} |")
    return "\n".join(lines)


def test_no_readme_row_says_broken_while_its_suite_has_no_strict_xfail() -> None:
    """A row left "broken" after its fix (the mark removed) would overstate what fails."""
    for readme in READMES.values():
        folder = readme.parent
        sources = [p.read_text(encoding="utf-8") for p in folder.glob("test_*.py")]
        marked = any("xfail(strict=True" in source for source in sources)
        broken = [i for i, _, status in _rows(readme) if status.startswith("**broken**")]
        assert marked or not broken, f"{readme}: rows still say broken: {broken}"


def test_the_attack_table_in_the_docs_is_counted_from_the_suites() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- attacks:TABLE -->\n(.*?)<!-- /attacks:TABLE -->", text, re.S)
    assert match is not None, "docs/security.md lost its <!-- attacks:TABLE --> block"
    if os.environ.get("UPDATE_GOLDEN"):
        text = text[: match.start(1)] + table() + "\n" + text[match.end(1) :]
        DOC.write_text(text, encoding="utf-8")
        return
    assert match.group(1).strip() == table(), (
        "docs/security.md's attack table differs from the suites: "
        "UPDATE_GOLDEN=1 uv run pytest tests/unit/test_security_doc.py"
    )
