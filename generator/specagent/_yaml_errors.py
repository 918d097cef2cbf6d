"""YAML syntax errors in words a newcomer understands, with the place and a fix.

PyYAML (and libyaml, which words the same faults differently) reports what its parser
expected: "expected <block end>, but found '<block mapping start>'". What the user did is
usually one of a dozen things: a `: ` inside an unquoted value, a line indented one step too
far, a tab, a quote never closed, a value starting with `@` or `*`. Both the spec loader and the
agent file reader explain through here, so the same mistake reads the same in both files.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

__all__ = ["YamlFault", "explain"]


@dataclass(frozen=True, slots=True)
class YamlFault:
    line: int  # 1-based
    column: int  # 1-based
    message: str
    hint: str


def explain(exc: yaml.MarkedYAMLError, text: str) -> YamlFault:
    """The fault behind `exc`, placed where the user has to look (for a quote never closed,
    where it was opened; for a key without `:`, the key)."""
    problem = (exc.problem or "").lower()
    context = (exc.context or "").lower()
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    opened = exc.context_mark
    at = _char(text, line, column)
    source_line = _line(text, line)

    def fault(message: str, hint: str, place: yaml.Mark | None = None) -> YamlFault:
        if place is not None:
            return YamlFault(place.line + 1, place.column + 1, message, hint)
        return YamlFault(line, column, message, hint)

    if "mapping values are not allowed" in problem:
        above = _continued(text, line)
        if above is not None:
            return fault(
                "this line is indented further than the key above it, so YAML reads it as "
                f"more of that key's value (`{above[0].strip()}`) and then finds a `:`",
                f"indent it like the key above (column {above[1]}), or quote that value",
            )
        return fault(
            "a `: ` inside a value: YAML reads it as the start of another key",
            _quote_hint(source_line),
        )
    if "sequence entries are not allowed" in problem:
        return fault(
            "a list item (`- `) on the same line as its key",
            "start the list on the next line, indented under the key, or write `key: [a, b]`",
        )
    if "cannot start any token" in problem:
        if at == "\t":
            return fault("a tab character: YAML indents with spaces only", "use spaces")
        return fault(
            f"a plain value cannot start with `{at}` in YAML",
            f'quote the value: `"{at}..."`' if at else "quote the value",
        )
    if "end of stream" in problem and "quoted scalar" in context:
        return fault(
            "a quote opened here is never closed",
            "close it; text that holds this quote character goes in the other kind of quotes",
            opened,
        )
    if "expected ',' or '}'" in problem or "expected ',' or ']'" in problem:
        bracket = "{...}" if "}" in problem else "[...]"
        where = f" (opened at line {opened.line + 1})" if opened is not None else ""
        return fault(
            f"YAML expected `,` or the closing bracket here, inside `{bracket}`{where}",
            'quote values holding `:`, `,`, `#` or brackets (`{a: "b: c"}`), and close the '
            "brackets before the next key",
        )
    if "could not find expected ':'" in problem:
        return fault(
            "a key without `:` (or text where a key is expected)",
            "write `key: value`; the items of a list start with `- `",
            opened,
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return _indentation(line, column, at, opened)
    if "alias" in context or "undefined alias" in problem:
        return fault(
            "a value starting with `*` is read as a YAML alias (a reference to an `&anchor`)",
            'quote it: `"*..."`',
        )
    if "unknown escape" in problem:
        return fault(
            "an unknown escape (a backslash) inside double quotes",
            "use single quotes for text with backslashes, such as patterns: '^[0-9]+$'",
        )
    if "block scalar" in context:
        return fault(
            "after `|` or `>` only `-`, `+` or a digit may follow on the same line",
            "start the text on the next line, indented",
        )
    if "another document" in problem:
        return fault("a second document (`---`) in the file", "keep one document per file")
    raw = " ".join(part for part in (exc.context, exc.problem) if part) or "unreadable YAML"
    return fault(raw, "")


def _indentation(
    line: int,
    column: int,
    at: str,
    opened: yaml.Mark | None,
) -> YamlFault:
    if at == "-":
        message = "a list item (`- `) where a key of the mapping above was expected"
    else:
        message = "this line is indented differently from the keys around it"
    hint = "indent it like the other keys of the same mapping (spaces only)"
    if opened is not None:
        hint = (
            f"the keys of the mapping that starts on line {opened.line + 1} are at column "
            f"{opened.column + 1}; indent this line like them, or one step further under a key "
            "that ends with `:`"
        )
    return YamlFault(line, column, message, hint)


def _quote_hint(source_line: str) -> str:
    """`quote the value: respond: "Order 5: cancelled"`, from the line as written."""
    stripped = source_line.strip().removeprefix("- ")
    key, separator, value = stripped.partition(": ")
    value = value.strip()
    if not separator or not value or value[0] in "\"'{[":
        return 'quote the value: `key: "text: with a colon"`'
    quote = "'" if '"' in value else '"'
    return f"quote the value: `{key}: {quote}{value}{quote}`"


def _continued(text: str, line: int) -> tuple[str, int] | None:
    """The line above and its key's column, when line `line` (indented further) is read as the
    continuation of that line's plain value: `name: Store support` then `   instructions: x`."""
    lines = text.splitlines()
    if not 1 < line <= len(lines):
        return None
    current = lines[line - 1]
    before = [
        text for text in lines[: line - 1] if text.strip() and not text.lstrip().startswith("#")
    ]
    if not before:
        return None
    above = before[-1]
    indent = len(current) - len(current.lstrip())
    above_indent = len(above) - len(above.lstrip())
    _key, separator, value = above.strip().removeprefix("- ").partition(": ")
    value = value.strip()
    if indent <= above_indent or not separator or not value or value[0] in "\"'{[|>&*":
        return None
    column = above_indent + 1 + (2 if above.strip().startswith("- ") else 0)
    return above, column


def _line(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _char(text: str, line: int, column: int) -> str:
    source_line = _line(text, line)
    return source_line[column - 1] if 0 < column <= len(source_line) else ""
