"""The Jinja environment for the generated files, and the filters that keep spec text data.

Spec text reaches generated Python only through `py_literal` (a `repr`, which always yields a
valid literal) and `py_docstring` (escaped so it cannot close the docstring); names come only
from the sanitiser. Templates therefore never need to think about quoting.
"""

from __future__ import annotations

import math
import re
import textwrap
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_QUOTE_RUN_RE = re.compile(r'"+')
_DOCSTRING_WIDTH = 88


class LiteralError(TypeError):
    """A value that has no exact Python literal (a NaN, an object) reached a template."""


def py_literal(value: Any) -> str:
    """Python source for `value`: strings via `repr`, containers element by element."""
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LiteralError(f"no Python literal for the number {value!r}")
        return repr(value)
    if isinstance(value, tuple | list):
        items = ", ".join(py_literal(item) for item in value)
        if isinstance(value, list):
            return f"[{items}]"
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, dict):
        pairs = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items())
        return "{" + pairs + "}"
    raise LiteralError(f"no Python literal for a value of type {type(value).__name__}")


def py_docstring(text: str, width: int = _DOCSTRING_WIDTH) -> str:
    """Text that stays inside a triple-double-quoted docstring whatever it contains.

    Backslashes are doubled (so `\\N{...}` or a trailing backslash cannot form an escape),
    runs of two or more double quotes and a final quote are escaped (so nothing can close the
    string), control characters are dropped, and paragraphs are wrapped.
    """
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = text.replace("\\", "\\\\")
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip())]
    text = "\n\n".join(
        textwrap.fill(paragraph, width=width, break_long_words=False, break_on_hyphens=False)
        for paragraph in paragraphs
        if paragraph
    )
    # Escaped last, on the final text, so that the quote before the closing `"""` is known.
    return _QUOTE_RUN_RE.sub(
        lambda match: (
            '\\"' * len(match.group())
            if len(match.group()) > 1 or match.end() == len(text)
            else match.group()
        ),
        text,
    )


def py_docstring_block(text: str) -> str:
    """`py_docstring` for text laid out already (sections, indented items): escaped the same
    way, its lines kept as they are."""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = text.replace("\\", "\\\\").strip()
    return _QUOTE_RUN_RE.sub(
        lambda match: (
            '\\"' * len(match.group())
            if len(match.group()) > 1 or match.end() == len(text)
            else match.group()
        ),
        text,
    )


def md_cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes and HTML escaped."""
    text = " ".join(text.split())
    for old, new in (("\\", "\\\\"), ("|", "\\|"), ("<", "&lt;"), (">", "&gt;"), ("`", "\\`")):
        text = text.replace(old, new)
    return text


def _templates_dir() -> Path:
    # Installed wheels ship the templates as package data `specagent/templates`; a source
    # checkout keeps them in the repository's top-level `templates/` folder.
    packaged = resources.files("specagent") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "templates"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is Python, JSON and Markdown, never HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["py_literal"] = py_literal
    env.filters["py_docstring"] = py_docstring
    env.filters["py_docstring_block"] = py_docstring_block
    env.filters["md_cell"] = md_cell
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
