"""Real specs outside the corpus that broke the generated package (issue 19), each a few lines:

1. `format: ulid` (python-ulid) in a response: models.py imported a package nobody installs;
2. a cycle of 57 schemas, each with a list of `oneOf: [next, string]`, and a chain of 100 plain
   object links: importing models.py hit Python's recursion limit inside pydantic;
3. `C: {allOf: [A, B]}` where A requires `scope: string` and B has an optional one: mypy
   --strict reported `class C(A, B)` (incompatible definitions in base classes, [misc]);
4. schemas that are arrays (or maps) of themselves: a bare `RootModel[list]` mypy refuses.

And three corpus specs under mypy --strict: 5. `patternProperties` (SendGrid's contacts by
email, WorkOS's metadata) became `dict[constr(pattern=...), X]`, a call in an annotation
([valid-type]); 6. PagerDuty SCIM's `schemas`, an array of `format: uri` strings with a
default list of strings, became `list[AnyUrl] = ["urn:..."]` ([assignment]).

One package holds them all; it must import in a fresh interpreter, validate what the API
sends, and pass mypy --strict and ruff.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from specagent import GenerateOptions, generate
from specagent.render._deep_models import nesting_depth

from tests.unit.render import _package

PACKAGE = "repro_agent"
CYCLE = 57
CHAIN = 100


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _spec() -> dict[str, Any]:
    schemas: dict[str, Any] = {
        "Event": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string", "format": "ulid"}},
        },
        "A": {
            "type": "object",
            "required": ["scope"],
            "properties": {"scope": {"type": "string"}, "a": {"type": "integer"}},
        },
        "B": {
            "type": "object",
            "properties": {"scope": {"type": "string"}, "b": {"type": "integer"}},
        },
        "C": {"allOf": [_ref("A"), _ref("B")]},
        "Tree": {"type": "array", "items": _ref("Tree")},
        "Forest": {"type": "array", "items": {"type": "array", "items": _ref("Forest")}},
        "Mixed": {"type": "array", "items": {"anyOf": [_ref("Mixed"), {"type": "string"}]}},
        "Map": {"type": "object", "additionalProperties": _ref("Map")},
        "MapOfLists": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _ref("MapOfLists")},
        },
        "Metadata": {
            "type": "object",
            "additionalProperties": False,
            "patternProperties": {
                "^[a-zA-Z0-9_-]{0,40}$": {"anyOf": [{"type": "string"}, {"type": "number"}]}
            },
        },
        "ByEmail": {
            "type": "object",
            "patternProperties": {
                "^.+@.+$": {"type": "object", "properties": {"error": {"type": "string"}}},
                "^[0-9]+$": {"type": "integer"},
            },
        },
        "ScimUser": {
            "type": "object",
            "properties": {
                "schemas": {
                    "type": "array",
                    "items": {"type": "string", "format": "uri"},
                    "default": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                }
            },
        },
    }
    for index in range(CYCLE):
        following = f"Step{(index + 1) % CYCLE:02d}"
        items = {"oneOf": [_ref(following), {"type": "string"}]}
        schemas[f"Step{index:02d}"] = {
            "type": "object",
            "properties": {"inputs": {"type": "array", "items": items}},
        }
    for index in range(CHAIN):
        link: dict[str, Any] = {"type": "object", "properties": {"value": {"type": "integer"}}}
        if index + 1 < CHAIN:
            link["properties"]["next"] = _ref(f"Link{index + 1:03d}")
        schemas[f"Link{index:03d}"] = link
    names = ["Event", "C", "Tree", "Forest", "Mixed", "Map", "MapOfLists", "Step00", "Link000"]
    names += ["Metadata", "ByEmail", "ScimUser"]
    properties = {name.lower(): _ref(name) for name in names}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Reproducers", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/all": {
                "get": {
                    "operationId": "getAll",
                    "responses": {
                        "200": {
                            "description": "Everything",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "object", "properties": properties}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {"schemas": schemas},
    }


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repro")
    spec = root / "openapi.yaml"
    spec.write_text(yaml.safe_dump(_spec()), encoding="utf-8")
    result = generate(spec, None, PACKAGE, GenerateOptions())
    assert result.ok, [d.render() for d in result.diagnostics]
    _package.write({Path(PACKAGE) / path: text for path, text in result.files.items()}, root)
    return root


PROBE = """
import json, sys
from repro_agent import models
payload = json.loads(sys.argv[1])
answer = models.GetAllResponse.model_validate(payload)
print(json.dumps({
    "event": type(answer.event.id).__name__,
    "c": answer.c.scope,
    "tree": len(answer.tree.root),
    "forest": type(answer.forest.root[0][0]).__name__,
    "mixed": [type(item).__name__ for item in answer.mixed.root],
    "map": type(answer.map.root["a"]).__name__,
    "step": type(answer.step00.inputs[1]).__name__,
    "link": answer.link000.next.next.value,
    "metadata": {key: type(value).__name__ for key, value in answer.metadata.root.items()},
    "byemail": [answer.byemail.root["a@b.c"].error, answer.byemail.root["42"]],
    "scim": answer.scimuser.schemas is None,
    "limit": sys.getrecursionlimit(),
    "dump": answer.model_dump(mode="json", exclude_none=True) == payload,
}))
"""


def test_the_package_imports_and_validates_in_a_fresh_interpreter(package: Path) -> None:
    payload = {
        "event": {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        "c": {"scope": "read", "a": 1, "b": 2},
        "tree": [[], [[]]],
        "forest": [[[]]],
        "mixed": ["leaf", ["inner"]],
        "map": {"a": {"b": {}}},
        "mapoflists": {"a": [{"b": []}]},
        "step00": {"inputs": ["text", {"inputs": []}]},
        "link000": {"value": 0, "next": {"value": 1, "next": {"value": 2}}},
        "metadata": {"owner": "user_01", "count": 3},
        "byemail": {"a@b.c": {"error": "none"}, "42": 7},
        "scimuser": {},
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(payload)],
        cwd=package,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen == {
        "event": "str",  # `format: ulid` stays a string: no python-ulid needed
        "c": "read",
        "tree": 2,
        "forest": "Forest",
        "mixed": ["str", "Mixed"],
        "map": "Map",
        "step": "Step01",
        "link": 2,
        "metadata": {"owner": "str", "count": "float"},  # the values typed; keys the API's
        "byemail": ["none", 7],
        "scim": True,  # the default that did not fit is left to the API
        "limit": 1000,  # the deep build raised it for its own thread only, and put it back
        "dump": True,
    }


def test_the_deep_models_are_built_after_the_module_and_the_rest_as_before(package: Path) -> None:
    models = (package / PACKAGE / "models.py").read_text(encoding="utf-8")
    assert "from specagent_runtime import complete_models" in models
    assert "\ncomplete_models(" in models
    assert "class C(A, B):" in models
    assert 'class Tree(RootModel[list["Tree"]]):' in models
    assert "RootModel[list]" not in models


def test_mypy_strict_and_ruff_pass(package: Path) -> None:
    assert _package.mypy_problems(package, PACKAGE) == ""
    assert _package.ruff_problems(package, PACKAGE) == ""


def test_nesting_depth_follows_what_pydantic_does() -> None:
    cycle = {f"S{i}": [f"S{(i + 1) % 50}"] for i in range(50)}
    assert nesting_depth(cycle) == 50  # the last class defined builds the whole cycle inside it
    chain_backwards = {f"L{i}": [f"L{i - 1}"] if i else [] for i in range(200)}
    assert nesting_depth(chain_backwards) == 1  # each class refers to a built one
    chain_forwards = {f"L{i}": [f"L{i + 1}"] if i < 199 else [] for i in range(200)}
    # Each waits for a later name; the rebuilds at the end then go from the front.
    assert nesting_depth(chain_forwards, [f"L{i}" for i in range(200)]) == 199
    assert nesting_depth(chain_forwards, [f"L{i}" for i in reversed(range(200))]) == 1
