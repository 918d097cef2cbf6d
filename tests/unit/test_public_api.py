"""`import specagent`: the library API is the names in `__all__`, and importing it is cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import specagent


@pytest.mark.parametrize("name", specagent.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(specagent, name)
    assert value is getattr(specagent, name)  # cached, the same object every time
    if name != "__version__":
        module = sys.modules[specagent._SOURCES[name][0]]
        assert getattr(module, specagent._SOURCES[name][1]) is value


def test_the_sources_list_exactly_the_public_names() -> None:
    assert set(specagent._SOURCES) == set(specagent.__all__) - {"__version__"}
    assert specagent.__all__ == sorted(specagent.__all__, key=lambda n: (n[0].islower(), n))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = specagent.nothing  # type: ignore[attr-defined]


def test_import_specagent_loads_none_of_the_pipeline() -> None:
    code = "import sys, json, specagent; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    ours = [name for name in loaded if name.startswith("specagent")]
    assert ours == ["specagent", "specagent._version"]
    assert "specagent_runtime" not in loaded and "pydantic" not in loaded
