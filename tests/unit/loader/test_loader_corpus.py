"""Real specs that strict loaders reject load here with warnings only.

Uses the shared corpus when present (skipped elsewhere). openapi-pydantic's 3.1 models check
that the repaired documents are valid: the check strict tools fail on the raw files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openapi_pydantic.v3.v3_1 import OpenAPI
from specagent.ir import Severity
from specagent.loader import build_api, load_spec

# The corpus sits beside the checkout (`../shared/corpus`), in development and in CI.
CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "specs"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="spec corpus not available")


def _non_component_refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#/components/"):
                found.append(ref)
            stack.extend(v for k, v in current.items() if not k.startswith("x-") and k != "example")
        elif isinstance(current, list):
            stack.extend(current)
    return found


@pytest.mark.parametrize(
    ("name", "repairs"),
    [
        ("discord.com__10.json", {"schema.enum"}),  # empty enums
        ("spotify.com_web-api__1.0.0.yaml", {"schema.required"}),  # required: true
        ("zendesk.com_sunshine-conversations__17.12.1.yaml", {"schema.required"}),
        ("cpy.re_peertube__3.3.0.yaml", set()),
        ("sakari.io__1.0.1.yaml", set()),  # `=` values PyYAML's safe loader cannot construct
        ("epa.gov_eff__2019.10.15.yaml", set()),
    ],
)
def test_rejected_elsewhere_loads_here(name: str, repairs: set[str]) -> None:
    spec = load_spec(CORPUS / name)
    assert [d.render() for d in spec.diagnostics if d.severity is Severity.ERROR] == []
    assert {d.code for d in spec.diagnostics} == repairs
    assert _non_component_refs(spec.document) == []
    OpenAPI.model_validate({**spec.document, "openapi": "3.1.0"})
    assert build_api(spec).operations


def test_meilisearch_tuple_schema_is_kept() -> None:
    # `items: false` beside `prefixItems` is valid OpenAPI 3.1 (openapi-pydantic disagrees).
    spec = load_spec(CORPUS / "meilisearch.com__1.15.2.json")
    assert spec.diagnostics == ()
    indexes = spec.document["components"]["schemas"]["IndexSwap"]["properties"]["indexes"]
    assert indexes["items"] is False
