"""A plan of the Petstore spec, shared by the task tests (loading it takes a moment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from specagent import ir
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan

REPO = Path(__file__).resolve().parents[3]
PETSTORE = REPO / "examples" / "petstore" / "openapi.yaml"


@pytest.fixture(scope="session")
def petstore_api() -> ir.Api:
    return build_api(load_spec(PETSTORE))


@pytest.fixture(scope="session")
def petstore_plan(petstore_api: ir.Api) -> ir.Plan:
    return make_plan(petstore_api, ir.AgentConfig(), "petstore_agent")
