"""The name sanitiser: every spec name must become a valid, stable, unique Python name."""

from __future__ import annotations

import keyword

import pytest
from specagent import _names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("petId", "pet_id"),
        ("findPetsByStatus", "find_pets_by_status"),
        ("HTTPServerError", "http_server_error"),
        ("X-Request-ID", "x_request_id"),
        ("class", "class_"),
        ("import", "import_"),
        ("match", "match_"),
        ("2fa", "n2fa"),
        ("Crème brûlée", "creme_brulee"),
        ("__import__", "import_"),
    ],
)
def test_python_name(text: str, expected: str) -> None:
    assert _names.python_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pet", "Pet"),
        ("pet-status", "PetStatus"),
        ("HTTPError", "HTTPError"),
        ("none", "NoneModel"),
        ("3DSecure", "N3DSecure"),
        ("Ünïcödé", "Unicode"),
    ],
)
def test_class_name(text: str, expected: str) -> None:
    assert _names.class_name(text) == expected


def test_nothing_usable_falls_back_to_a_stable_hash() -> None:
    first = _names.python_name("日本語", fallback="op")
    assert first.startswith("op_") and first.isidentifier()
    assert first == _names.python_name("日本語", fallback="op")
    assert first != _names.python_name("中文", fallback="op")
    fallback = _names.class_name("!!!")
    assert fallback.startswith("Model") and fallback.isidentifier() and "_" not in fallback


@pytest.mark.parametrize("text", ["", "123", "def", "True", "ÀÉ", "a b c", "__", "😀x"])
def test_results_are_identifiers_and_not_keywords(text: str) -> None:
    for name in (_names.python_name(text), _names.class_name(text)):
        assert name.isidentifier() and name.isascii()
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)


def test_name_table_suffixes_collisions_in_order() -> None:
    table = _names.NameTable()
    assert [table.take(n) for n in ("pet", "pet", "pet", "pet_2")] == [
        "pet",
        "pet_2",
        "pet_3",
        "pet_2_2",
    ]


def test_name_table_avoids_reserved_names() -> None:
    table = _names.NameTable(_names.RESERVED_CLASS_NAMES, separator="", reserved_suffix="Model")
    assert table.take("BaseModel") == "BaseModelModel"
    assert table.take("BaseModel") == "BaseModelModel2"
    assert table.take("Field") == "FieldModel"
    assert table.take("Pet") == "Pet"
    assert table.take("Pet") == "Pet2"
    methods = _names.NameTable(_names.RESERVED_METHOD_NAMES)
    assert methods.take("close") == "close_"
    assert methods.take("list") == "list_"
    assert methods.take("models") == "models_"


def test_tool_names_are_short_snake_case_and_stable() -> None:
    long = "get" + "VeryLongOperationName" * 10
    name = _names.tool_name(long)
    assert _names.TOOL_NAME_RE.match(name)
    assert len(name) == _names.TOOL_NAME_MAX
    assert name == _names.tool_name(long)
    assert name != _names.tool_name(long + "2")
    assert _names.tool_name("getOrderById") == "get_order_by_id"
    assert _names.TOOL_NAME_RE.match(_names.tool_name("???"))


def test_name_table_respects_max_length_with_suffixes() -> None:
    table = _names.NameTable(max_length=8)
    assert table.take("abcdefgh") == "abcdefgh"
    assert table.take("abcdefgh") == "abcdef_2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﬁle", "file"),  # a ligature: NFKC makes it `file` for Python anyway
        ("café", "cafe"),
        ("Ωmega", "mega"),
        ("名前", f"field_{_names.short_hash('名前')}"),
        ("class", "class_"),
    ],
)
def test_field_names_are_ascii(text: str, expected: str) -> None:
    assert _names.field_name(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("model_dump", "field_model_dump"), ("modelConfig", "field_model_config"), ("model", "model")],
)
def test_field_names_leave_pydantics_namespace(text: str, expected: str) -> None:
    assert _names.field_name(text) == expected
