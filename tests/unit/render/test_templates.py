"""The filters that keep spec text data: literals and docstrings must round-trip exactly."""

from __future__ import annotations

import ast

import pytest
from specagent.render._templates import LiteralError, md_cell, py_docstring, py_literal

HOSTILE = [
    "plain",
    '"""',
    "'''",
    'ends with a quote"',
    'ends with two quotes""',
    'quote then space" \n\n ',
    "back\\slash\\",
    "\\N{BULLET} \\x41 \\u0041",
    "{{ 7 * 7 }} {% raw %}",
    "line\nimport os\nos.system('x')",
    '"; import os; "',
    "tab\there\r\nwindows",
    "nul\x00byte",
    "ünïcödé ✓",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_py_literal_round_trips(text: str) -> None:
    assert ast.literal_eval(py_literal(text)) == text


def test_py_literal_containers_and_numbers() -> None:
    value = {"a": (1, 2.5, None, True), "b": ["x"], "c": ("only",)}
    assert ast.literal_eval(py_literal(value)) == value
    assert py_literal(("only",)) == "('only',)"
    with pytest.raises(LiteralError):
        py_literal(float("nan"))
    with pytest.raises(LiteralError):
        py_literal(object())


@pytest.mark.parametrize("text", HOSTILE)
def test_py_docstring_cannot_break_out(text: str) -> None:
    source = f'def f() -> None:\n    """{py_docstring(text)}"""\n'
    tree = ast.parse(source)
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    assert len(function.body) == 1  # only the docstring: nothing escaped into code
    doc = ast.get_docstring(function, clean=False) or ""
    # The words survive (whitespace is re-flowed and control characters dropped).
    assert doc.split() == py_docstring(text).replace('\\"', '"').replace("\\\\", "\\").split()


def test_py_docstring_keeps_backslashes_literal() -> None:
    text = "a \\n b"
    source = '"""' + py_docstring(text) + '"""'
    assert ast.literal_eval(source) == text


def test_md_cell_is_one_line_without_table_breaks() -> None:
    assert md_cell("a | b\n<script>") == "a \\| b &lt;script&gt;"
