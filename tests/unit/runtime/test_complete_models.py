"""complete_models: a long cycle of models built in a deep-stack thread, the limit put back."""

from __future__ import annotations

import sys
import types

import pytest
from pydantic import BaseModel, ConfigDict, PydanticUndefinedAnnotation
from specagent_runtime import complete_models

SIZE = 300


def _cycle_module() -> types.ModuleType:
    """A module of SIZE models, each holding a list of the next, declared deferred."""
    module = types.ModuleType("cycle_models")
    sys.modules[module.__name__] = module
    source = ["from __future__ import annotations", "from pydantic import BaseModel, ConfigDict"]
    for index in range(SIZE):
        following = (index + 1) % SIZE
        source += [
            f"class M{index}(BaseModel):",
            "    model_config = ConfigDict(defer_build=True)",
            f"    inputs: list[M{following} | str] | None = None",
        ]
    exec("\n".join(source), module.__dict__)  # our own text
    return module


def test_the_main_thread_cannot_build_the_cycle() -> None:
    module = _cycle_module()
    try:
        with pytest.raises(RecursionError):
            module.M0.model_rebuild()
    finally:
        del sys.modules[module.__name__]


def test_a_cycle_too_deep_for_the_main_thread_builds() -> None:
    module = _cycle_module()
    try:
        models = [getattr(module, f"M{index}") for index in (0, *range(SIZE - 1, 0, -1))]
        before = sys.getrecursionlimit()
        complete_models(*models)
        assert sys.getrecursionlimit() == before
        value = module.M0.model_validate({"inputs": ["a", {"inputs": ["b"]}]})
        assert isinstance(value.inputs[1], module.M1)
    finally:
        del sys.modules[module.__name__]


def test_a_failure_is_raised_in_the_importing_thread() -> None:
    class Broken(BaseModel):
        model_config = ConfigDict(defer_build=True)
        value: Missing  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(PydanticUndefinedAnnotation):
        complete_models(Broken)
