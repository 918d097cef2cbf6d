"""Spec text in generated Python kept within a user's line length and free of lookalikes.

A generated package is linted in the user's repository, often with pycodestyle's E501 at 100
columns and ruff's RUF001-RUF003 (characters that look like ASCII ones: an en dash, a curly
quote). ruff format does not split a long string, docstring or comment, and spec descriptions
are often one long line, so after formatting:

- docstrings (any string written as a statement: module, class, function and field docs) are
  re-wrapped where a line is too long, at the same indentation;
- other strings on a too-long line become implicit concatenations of pieces split after a
  space (the value is the same), in parentheses, for ruff format to lay out;
- full-line comments are wrapped;
- a `"wireName": python_name,` (or `name=name,`) line that two long names make too long gets
  its value in parentheses on a line of its own;
- a lookalike character reported by ruff is written as its `\\uXXXX` escape inside a string
  (the value is the same) and in a comment.

A word longer than the line (a URL) stays whole: E501 accepts a line that is one word.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from collections.abc import Iterable

__all__ = ["LIMIT", "WIDTH", "escape_lookalikes", "wrap_long_lines"]

LIMIT = 100  # what E501 allows (this project's setting, and a common one)
WIDTH = 88  # what the pieces aim at: ruff format's own width, so it leaves them be
_STRING_PREFIX = re.compile(r"^[rRbBuUfF]*")
_NAMED_ESCAPE = re.compile(r"\\N\{[^}]*\}")  # `\N{EM SPACE}`: a docstring line with one stays
_MIN_PIECE = 24


def wrap_long_lines(source: str) -> str:
    """`source` with the strings, docstrings and comments of lines over LIMIT wrapped."""
    lines = source.splitlines(keepends=True)
    if all(len(line.rstrip("\r\n")) <= LIMIT for line in lines):
        return source
    statements = _statement_strings(source)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    for token in tokens:
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        first, last = token.start[0], token.end[0]
        if not any(len(lines[n - 1].rstrip("\r\n")) > LIMIT for n in range(first, last + 1)):
            continue
        begin = starts[first - 1] + token.start[1]
        end = starts[last - 1] + token.end[1]
        if token.type == tokenize.STRING:
            if token.start in statements:
                replacement = _docstring(token.string, token.start[1])
            else:
                replacement = _pieces(token.string, _indent(lines[first - 1]))
        elif token.type == tokenize.COMMENT and not lines[first - 1][: token.start[1]].strip():
            replacement = _comment(token.string, token.start[1])
        else:
            continue
        if replacement != token.string:
            edits.append((begin, end, replacement))
    for begin, end, text in sorted(edits, reverse=True):
        source = source[:begin] + text + source[end:]
    return _parenthesize_values(source)


# `"wireName": python_name,` in a dict and `python_name=python_name,` in a call: one pair per
# line, which ruff format leaves whole however long two long names make it.
_PAIR = re.compile(
    r"^(?P<indent> *)(?P<key>\"[^\"\\]*\": |[A-Za-z_][A-Za-z0-9_]*=)"
    r"(?P<value>[A-Za-z_][A-Za-z0-9_.]*)(?P<comma>,?)$"
)


def _parenthesize_values(source: str) -> str:
    """Long `key: value,` lines with the value in parentheses on a line of its own, which
    ruff format keeps (the value is the same). Lines inside a string are left alone.

    The source is tokenized again: the strings wrapped before this moved the lines."""
    lines = source.splitlines(keepends=True)
    if all(len(line.rstrip("\r\n")) <= LIMIT for line in lines):
        return source
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return source
    in_strings = {
        number
        for token in tokens
        if token.type == tokenize.STRING and token.end[0] > token.start[0]
        for number in range(token.start[0] + 1, token.end[0] + 1)
    }
    for index, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if len(text) <= LIMIT or index + 1 in in_strings:
            continue
        match = _PAIR.match(text)
        if match is None:
            continue
        indent, ending = match["indent"], line[len(text) :]
        lines[index] = (
            f"{indent}{match['key']}(\n{indent}    {match['value']}\n"
            f"{indent}){match['comma']}{ending}"
        )
    return "".join(lines)


def escape_lookalikes(source: str, places: Iterable[tuple[int, int]]) -> str:
    """The characters at `places` (1-based line and column, as ruff reports them) written as
    `\\uXXXX`: inside a string the value stays the same (a raw string is written anew)."""
    lines = source.splitlines(keepends=True)
    wanted: dict[int, set[int]] = {}
    for row, column in places:
        wanted.setdefault(row, set()).add(column - 1)
    if not wanted:
        return source
    raw_strings = _raw_string_spans(source)
    for row, columns in wanted.items():
        if not 0 < row <= len(lines):
            continue
        line = lines[row - 1]
        for column in sorted(columns, reverse=True):
            if column >= len(line) or ord(line[column]) < 0x80:
                continue
            if any(a <= (row, column) < b for a, b in raw_strings):
                continue  # handled below, whole
            line = line[:column] + f"\\u{ord(line[column]):04x}" + line[column + 1 :]
        lines[row - 1] = line
    source = "".join(lines)
    return _unraw(source, wanted) if raw_strings else source


def _statement_strings(source: str) -> set[tuple[int, int]]:
    """Where the strings written as statements start (docstrings, field docs): rewrapping
    them changes documentation only."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        (node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _docstring(text: str, column: int) -> str:
    """The docstring with its too-long lines wrapped at their own indentation."""
    opening = _prefix(text)
    quote = text[len(opening) : len(opening) + 3]
    if quote not in ('"""', "'''") or not set(opening.lower()) <= {"u"}:
        return text  # raw and byte docstrings are left as they are
    body = text[len(opening) + 3 : -3]
    out: list[str] = []
    for index, line in enumerate(body.split("\n")):
        start = column + len(opening) + 3 if index == 0 else 0
        if start + len(line) <= LIMIT or _NAMED_ESCAPE.search(line):
            out.append(line)
            continue
        indent = " " * (column if index == 0 else _indent(line))
        filled = _fill(line.split(), WIDTH - max(start, len(indent)), WIDTH - len(indent))
        out.append(filled[0] if index == 0 else indent + filled[0])
        out.extend(indent + piece for piece in filled[1:])
    return f"{opening}{quote}{chr(10).join(out)}{quote}"


def _fill(words: list[str], first: int, width: int) -> list[str]:
    """Words into lines of at most `first`, then `width` characters (a longer word alone)."""
    lines: list[str] = []
    current = ""
    for word in words:
        limit = first if not lines else width
        if current and len(current) + 1 + len(word) > max(limit, _MIN_PIECE):
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return lines


def _pieces(text: str, indent: int) -> str:
    """A one-line string literal as `("piece " "piece")`: split after spaces, and inside a
    word longer than a line; never inside an escape sequence."""
    opening = _prefix(text)
    if "f" in opening.lower() or text[len(opening) : len(opening) + 3] in ('"""', "'''"):
        return text
    quote = text[len(opening)]
    body = text[len(opening) + 1 : -1]
    width = max(_MIN_PIECE, WIDTH - indent - 8)
    pieces: list[str] = []
    current = ""
    for word in _words(body):
        if current and len(current) + len(word) > width:
            pieces.append(current)
            current = ""
        rest = word
        while len(rest) > width:  # a word longer than a line: cut between its units
            head, rest = _cut(rest, width)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        current += rest
    if current:
        pieces.append(current)
    if len(pieces) < 2:
        return text
    return "(" + " ".join(f"{opening}{quote}{piece}{quote}" for piece in pieces) + ")"


# One character, or one escape sequence (`\n`, `\x41`, `\u2013`, `\N{EM SPACE}`, `\\`).
_UNIT = re.compile(
    r"\\(?:N\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|.)|.", re.S
)


def _words(body: str) -> list[str]:
    """The literal's source text in words, each ending with the space after it."""
    words: list[str] = []
    current = ""
    for unit in _UNIT.findall(body):
        current += unit
        if unit == " ":
            words.append(current)
            current = ""
    if current:
        words.append(current)
    return words


def _cut(word: str, width: int) -> tuple[str, str]:
    """The first `width` characters of `word` or fewer, ending between two units."""
    head = ""
    units = _UNIT.findall(word)
    for index, unit in enumerate(units):
        if head and len(head) + len(unit) > width:
            return head, "".join(units[index:])
        head += unit
    return head, ""


def _prefix(text: str) -> str:
    found = _STRING_PREFIX.match(text)
    return found.group() if found else ""


def _comment(text: str, column: int) -> str:
    body = text.lstrip("#").strip()
    wrapped = textwrap.wrap(
        body, width=WIDTH - column - 2, break_long_words=False, break_on_hyphens=False
    )
    if len(wrapped) < 2:
        return text
    return ("\n" + " " * column).join(f"# {piece}" for piece in wrapped)


def _raw_string_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and "r" in _prefix(token.string).lower():
                spans.append((token.start, token.end))
    except (tokenize.TokenError, SyntaxError):
        return []
    return spans


def _unraw(source: str, wanted: dict[int, set[int]]) -> str:
    """Raw strings holding a reported character, written again as plain literals with every
    non-ASCII character escaped (their values unchanged)."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING or "r" not in _prefix(token.string).lower():
            continue
        rows = range(token.start[0], token.end[0] + 1)
        if not any(row in wanted for row in rows):
            continue
        value = ast.literal_eval(token.string)
        begin = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        edits.append((begin, end, ascii(value)))
    for begin, end, text in sorted(edits, reverse=True):
        source = source[:begin] + text + source[end:]
    return source
