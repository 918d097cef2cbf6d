"""specagent_runtime.testing: public names, and light to import."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest
import specagent_runtime.testing as testing


@pytest.mark.parametrize("name", sorted(testing.__all__))
def test_every_public_name_is_its_module_s(name: str) -> None:
    module, attribute = testing._SOURCES[name]
    assert getattr(testing, name) is getattr(importlib.import_module(module), attribute)


def test_the_sources_list_exactly_the_public_names() -> None:
    assert set(testing._SOURCES) == set(testing.__all__)
    with pytest.raises(AttributeError, match="no_such"):
        testing.no_such  # noqa: B018


def test_importing_it_loads_nothing_and_the_runtime_does_not_load_it() -> None:
    code = (
        "import sys, json, specagent_runtime, specagent_runtime.testing\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('specagent', 'httpx',"
        " 'pydantic', 'yaml', 'openai')))))\n"
        "import specagent_runtime as r; r.Agent\n"
        "print('specagent_runtime.testing._runner' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, runner = done.stdout.splitlines()
    assert json.loads(loaded) == ["specagent_runtime", "specagent_runtime.testing"]
    assert runner == "False"


def test_the_public_names_are_documented() -> None:
    from tests.testing.conftest import REPO  # noqa: PLC0415

    doc = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    missing = [name for name in testing.__all__ if not re.search(rf"`{name}[`(]", doc)]
    assert missing == [], f"docs/testing.md: document {missing}"
