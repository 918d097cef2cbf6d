"""Every string (and number) `format` datamodel-code-generator knows gives a models.py that
imports with the runtime's dependencies alone: `format: ulid` made models.py import `ulid`
(python-ulid), which generated packages do not depend on.

The formats are read from datamodel-code-generator itself, so an upgrade that maps a new format
to a third-party type fails here rather than in a user's service.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from datamodel_code_generator.parser.schema_version import get_data_formats
from specagent import ir
from specagent.plan import make_plan
from specagent.render import _models
from specagent.render._models import ModelsError, build_models

from tests.unit.render._api import ok, operation, petstore_api, ref

# Where the models may take their types from: the standard library and pydantic.
ALLOWED = {"pydantic", "typing_extensions"}


def _every_format() -> dict[str, dict[str, str]]:
    properties = {}
    for kind, formats in sorted(get_data_formats(is_openapi=True).items()):
        for name in sorted(formats):
            if name != "default":
                key = f"{kind}_{name}".replace("-", "_").replace(" ", "_")
                properties[key] = {"type": kind, "format": name}
    return properties


def _plan() -> ir.Plan:
    schemas = {"Formats": {"type": "object", "properties": _every_format()}}
    ops = (operation("getFormats", "get", "/f", responses=(ok(ref("Formats")),)),)
    return make_plan(petstore_api(schemas=schemas, operations=ops), ir.AgentConfig(), "f_agent")


def test_the_format_table_still_has_the_formats_that_need_packages() -> None:
    strings = get_data_formats(is_openapi=True)["string"]
    assert {"ulid", "email", "idn-email"} <= set(strings)


def test_every_format_imports_with_the_runtime_dependencies(tmp_path: Path) -> None:
    models = build_models(_plan())
    tree = ast.parse(models.source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.partition(".")[0]
            assert top in sys.stdlib_module_names or top in ALLOWED, node.module
            assert not {a.name for a in node.names} & {"EmailStr", "NameEmail"}
        assert not isinstance(node, ast.Import) or all(
            a.name.partition(".")[0] in sys.stdlib_module_names for a in node.names
        )
    formats = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Formats")
    fields = {
        s.target.id: ast.unparse(s.annotation)
        for s in formats.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    }
    assert fields["string_ulid"] == "str | None"
    assert fields["string_email"] == "str | None"
    assert fields["string_uuid"] == "UUID | None"  # formats the standard library has stay typed
    # Importable in a fresh interpreter (python-ulid and email-validator are not installed).
    (tmp_path / "models.py").write_text(models.source, encoding="utf-8")
    probe = "import models; print(models.Formats(string_ulid='01ARZ3NDEKTSV4RRFFQ69G5FAV'))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    for missing in ("ulid", "email_validator"):
        check = subprocess.run([sys.executable, "-c", f"import {missing}"], check=False)
        assert check.returncode != 0, f"{missing} is installed: the import check above is weak"


def test_a_format_that_slips_through_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_models, "_EXTRA_DEPENDENCY_FORMATS", frozenset({"email", "idn-email"}))
    with pytest.raises(ModelsError, match=r"models.py would import ulid, which generated"):
        build_models(_plan())
