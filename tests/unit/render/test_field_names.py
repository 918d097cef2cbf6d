"""Explicit Python names for model fields datamodel-code-generator would name badly."""

from __future__ import annotations

import unicodedata
from typing import Any

from specagent.render._field_names import field_aliases


def _document(*classes: dict[str, Any]) -> dict[str, Any]:
    schemas = {
        f"C{i}": {"type": "object", "properties": {name: {"type": "string"} for name in props}}
        for i, props in enumerate(classes)
    }
    return {"components": {"schemas": schemas}}


def test_ascii_names_need_no_alias() -> None:
    assert field_aliases(_document({"petId": 1, "class": 1, "dict": 1, "2fa": 1})) == {}


def test_non_ascii_names_are_folded_and_kept_apart_from_their_ascii_twins() -> None:
    aliases = field_aliases(_document({"ﬁle": 1, "file": 1, "café": 1, "cafe": 1, "ü": 1}))
    assert aliases == {"café": "cafe_2", "ﬁle": "file_2", "ü": "u"}
    names = [*aliases.values(), "file", "cafe"]
    assert len({unicodedata.normalize("NFKC", name) for name in names}) == len(names)


def test_one_name_per_wire_name_avoiding_every_class_it_is_in() -> None:
    # `ﬁle` is alone in C0 but beside `file` in C1, and nested in an inline object of C2:
    # the alias is global, so it must avoid `file` everywhere.
    document = _document({"ﬁle": 1}, {"ﬁle": 1, "file": 1})
    document["components"]["schemas"]["C2"] = {
        "type": "object",
        "properties": {"inner": {"type": "object", "properties": {"ﬁle": {}, "file_2": {}}}},
    }
    assert field_aliases(document) == {"ﬁle": "file_3"}


def test_two_non_ascii_names_folding_to_one_get_different_names() -> None:
    assert field_aliases(_document({"é": 1, "è": 1})) == {"è": "e", "é": "e_2"}


def test_a_folded_name_that_would_shadow_pydantic_is_renamed_too() -> None:
    assert field_aliases(_document({"dïct": 1})) == {"dïct": "dict_"}


def test_names_in_pydantics_protected_namespace_are_renamed() -> None:
    aliases = field_aliases(
        _document({"model_dump": 1, "modelValidate": 1, "model_config": 1, "model": 1})
    )
    assert aliases == {
        "modelValidate": "field_model_validate",
        "model_config": "field_model_config",
        "model_dump": "field_model_dump",
    }
