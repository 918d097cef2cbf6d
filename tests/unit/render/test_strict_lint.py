"""The rules generated code is held to are this project's own ([tool.ruff.lint]), so a
package passes in a repository configured like this one; the golden test lints that way."""

from __future__ import annotations

import tomllib
from pathlib import Path

from specagent.render import _format

ROOT = Path(__file__).resolve().parents[3]


def test_the_generators_rule_set_is_the_projects() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]
    assert list(_format.STRICT_SELECT) == config["lint"]["select"]
    assert list(_format.STRICT_IGNORE) == config["lint"]["ignore"]
    assert config["line-length"] == _format.STRICT_LINE_LENGTH
