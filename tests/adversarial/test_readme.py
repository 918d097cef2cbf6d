"""The README's table lists every attack and control of this folder: a new test without a row
(or a renamed one) fails here, so the table the fixer works from stays complete."""

from __future__ import annotations

from pathlib import Path

import pytest

README = Path(__file__).resolve().parent / "README.md"


def test_every_collected_test_has_a_row_in_the_readme(request: pytest.FixtureRequest) -> None:
    text = README.read_text(encoding="utf-8")
    here = Path(__file__).resolve().parent
    names = {
        item.name
        for item in request.session.items
        if Path(str(item.path)).resolve().parent == here and item.name != request.node.name
    }
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"add these to tests/adversarial/README.md: {missing}"
