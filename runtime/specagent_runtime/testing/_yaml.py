"""Reading a test file's YAML nodes while remembering the line of every value.

Like the agent file (whose reader lives in the generator, which a service's CI may not have),
a conversation test file is composed into YAML nodes and read field by field, so every problem
names ``file:LINE`` and the key path, suggests the closest valid key, and all problems are
reported at once instead of the first one alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from specagent_runtime.testing._names import did_you_mean

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-/]+$")
# libyaml's parser when PyYAML was built with it: the same nodes and marks, faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KIND_BY_TAG = {
    _STR: "text",
    _NULL: "nothing",
    _BOOL: "true/false",
    _INT: "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in a test file: where, what, and how to fix it."""

    file: str
    line: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


def child(parent: str, key: str | int) -> str:
    """`tests[0].turns[1].expect`; odd keys are quoted."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    part = key if _PLAIN_KEY.match(key) else repr(key)
    return f"{parent}.{part}" if parent else part


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _KIND_BY_TAG.get(node.tag, "a value")


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


@dataclass
class Reader:
    """Typed reads of YAML nodes; each wrong shape becomes a `Problem`, never an exception."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    _constructor: yaml.constructor.SafeConstructor = field(
        default_factory=yaml.constructor.SafeConstructor
    )

    def line(self, node: yaml.Node) -> int:
        return int(node.start_mark.line) + 1

    def fail(self, node: yaml.Node, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, self.line(node), message, hint))

    def wrong(self, node: yaml.Node, path: str, expected: str) -> None:
        self.fail(node, f"`{path}` must be {expected}, found {describe(node)}")

    def mapping(
        self, node: yaml.Node, path: str, allowed: Sequence[str] | None = None
    ) -> dict[str, yaml.Node]:
        """The entries by key; unknown keys (when `allowed` is given) are reported with the
        closest valid one, repeated keys because YAML would silently keep the last."""
        if not isinstance(node, yaml.MappingNode):
            self.wrong(node, path or "the file", "a mapping")
            return {}
        try:
            self._constructor.flatten_mapping(node)  # `<<: *defaults` merge keys
        except yaml.MarkedYAMLError as exc:
            self.fail(node, f"`{path}`: {exc.problem}")
            return {}
        entries: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or is_null(key_node):
                self.fail(key_node, f"a key in `{path or 'the file'}` must be text")
                continue
            key = str(key_node.value)
            key_path = child(path, key)
            if allowed is not None and key not in allowed:
                hint = did_you_mean(key, allowed) or "known keys: " + ", ".join(
                    f"`{k}`" for k in allowed
                )
                self.fail(key_node, f"`{key_path}` is not a known key", hint)
                continue
            if key in entries:
                self.fail(key_node, f"`{key_path}` is given twice", "keep one")
                continue
            entries[key] = value
        return entries

    def text(self, node: yaml.Node, path: str, *, scalars: bool = False) -> str | None:
        """A string; None when left empty. `scalars` also takes a number or boolean as its
        text (a customer may well say `yes` or `42`, which YAML reads as true and 42)."""
        if is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode) and (node.tag == _STR or scalars):
            return str(node.value)
        self.wrong(node, path, "text")
        return None

    def required_text(self, node: yaml.Node, path: str, *, scalars: bool = False) -> str:
        value = self.text(node, path, scalars=scalars)
        if value is None and is_null(node):
            self.fail(node, f"`{path}` must not be empty")
        return value or ""

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return bool(self._constructor.construct_object(node))
        self.wrong(node, path, "true or false")
        return None

    def integer(self, node: yaml.Node, path: str, *, minimum: int = 0) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
            value = int(self._constructor.construct_object(node))
            if value >= minimum:
                return value
            self.fail(node, f"`{path}` must be at least {minimum}, found {value}")
            return None
        self.wrong(node, path, "a whole number")
        return None

    def items(self, node: yaml.Node, path: str, *, single: bool = True) -> list[yaml.Node]:
        """A list's items; with `single`, one value that is not a list counts as a list of one."""
        if is_null(node):
            return []
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if single:
            return [node]
        self.wrong(node, path, "a list")
        return []

    def plain(self, node: yaml.Node, path: str) -> Any:
        """The node as plain data (a body, arguments)."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.fail(node, f"`{path}`: {exc.problem}")
            return None

    def plain_mapping(self, node: yaml.Node, path: str) -> dict[str, Any]:
        if not isinstance(node, yaml.MappingNode):
            self.wrong(node, path, "a mapping")
            return {}
        value = self.plain(node, path)
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def compose(text: str, file: str) -> tuple[yaml.Node | None, list[Problem]]:
    """The document's node tree, or the YAML syntax error with its line."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "unreadable YAML"
        column = f" (column {mark.column + 1})" if mark is not None else ""
        return None, [Problem(file, line, f"not valid YAML: {problem}{column}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, f"not valid YAML: {exc}")]
    return node, []
