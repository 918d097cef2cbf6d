"""YAML to plain data, fast and forgiving where specs need it, strict where hostile input hurts.

libyaml (when available) parses and composes the node graph; scalars are resolved with
YAML 1.2 core-schema rules (so `on:`, `yes`, dates, `=` and `1:30` stay strings, which is what
spec authors mean) and the graph is turned into dicts and lists here instead of by PyYAML's
constructor, which is generic and about twice as slow on the 4 MB specs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"

_NULLS = frozenset({"~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_BOOLS_11 = {"yes": True, "on": True, "y": True, "no": False, "off": False, "n": False}
_INT_RE = re.compile(r"[-+]?(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+")
_FLOAT_RE = re.compile(
    r"[-+]?(\.[0-9]+|[0-9][0-9_]*\.[0-9_]*)([eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_NUMBER_START = frozenset("-+.0123456789")

_ParserBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Composer(_ParserBase):  # type: ignore[misc]
    """Parses and composes only; scalars get YAML 1.2 core-schema tags."""

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            return _resolve_plain(value)
        return _SEQ if kind is SequenceNode else _MAP


def _resolve_plain(value: str) -> str:
    if not value or value in _NULLS:
        return _NULL
    if value in _BOOLS:
        return _BOOL
    if value == "<<":
        return _MERGE
    if value[0] in _NUMBER_START:
        if _INT_RE.fullmatch(value):
            return _INT
        if _FLOAT_RE.fullmatch(value):
            return _FLOAT
    return _STR


class YamlProblem(Exception):
    """Raised inside this module only; turned into a diagnostic by the reader."""

    def __init__(self, message: str, node: Node | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = node.start_mark.line + 1 if node is not None else 0
        self.column = node.start_mark.column + 1 if node is not None else 0


@dataclass(slots=True)
class YamlData:
    data: Any
    aliased: bool  # some node is used more than once (aliases): containers are shared
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)


def load(text: str, max_depth: int) -> YamlData:
    """Parse one YAML document. Raises yaml.YAMLError (syntax) or YamlProblem (structure)."""
    composer = _Composer(text)
    try:
        root = composer.get_single_node()
    finally:
        composer.dispose()
    builder = _Builder(max_depth)
    data = builder.node(root, 0) if root is not None else None
    return YamlData(data, builder.aliased, builder.duplicates)


class _Builder:
    def __init__(self, max_depth: int) -> None:
        self._max_depth = max_depth
        self._done: dict[int, Any] = {}
        self._building: set[int] = set()
        self._long_texts: set[int] = set()
        self.aliased = False
        self.duplicates: list[tuple[str, int, int]] = []

    def node(self, node: Node, depth: int) -> Any:
        if isinstance(node, ScalarNode):
            if len(node.value) > 1024:
                # A long text used through many aliases is a bomb too: have it measured.
                if id(node) in self._long_texts:
                    self.aliased = True
                self._long_texts.add(id(node))
            return _scalar(node)
        key = id(node)
        if key in self._done:
            self.aliased = True
            return self._done[key]
        if key in self._building:
            raise YamlProblem("an alias refers to its own ancestor (circular document)", node)
        if depth >= self._max_depth:
            raise YamlProblem(f"nesting deeper than {self._max_depth} levels", node)
        self._building.add(key)
        if isinstance(node, SequenceNode):
            result: Any = [self.node(item, depth + 1) for item in node.value]
        elif isinstance(node, MappingNode):
            result = self._mapping(node, depth)
        else:
            raise YamlProblem("unexpected YAML node", node)
        self._building.discard(key)
        self._done[key] = result
        return result

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                # `<<: *base` (or a list of them): earlier maps win, own keys win over all.
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in reversed(sources):
                    data = self.node(source, depth + 1)
                    if not isinstance(data, dict):
                        raise YamlProblem("a merge key (<<) must refer to a mapping", source)
                    merged.update(data)
                continue
            key = _key_text(self.node(key_node, depth + 1))
            if key in result:
                mark = key_node.start_mark
                self.duplicates.append((key, mark.line + 1, mark.column + 1))
            result[key] = self.node(value_node, depth + 1)
        return {**merged, **result} if merged else result


def _scalar(node: ScalarNode) -> Any:
    value: str = node.value
    tag = node.tag
    if tag == _STR:
        return value
    if tag == _NULL:
        return None if not value or value in _NULLS else value
    if tag == _BOOL:
        lowered = value.lower()
        if value in _BOOLS or lowered in ("true", "false"):
            return lowered == "true"
        return _BOOLS_11.get(lowered, value)  # only an explicit !!bool gets here
    if tag == _INT:
        return _int(value)
    if tag == _FLOAT:
        return _float(value)
    # Dates, `=`, binary and custom tags: the text as written is what a spec means.
    return value


def _int(value: str) -> int | str:
    text = value.replace("_", "")
    try:
        if text.startswith(("0x", "0X")):
            return int(text, 16)
        if text.startswith(("0o", "0O")):
            return int(text, 8)
        return int(text)
    except ValueError:
        return value


def _float(value: str) -> float | str:
    text = value.replace("_", "").lower()
    if text in (".inf", "+.inf"):
        return math.inf
    if text == "-.inf":
        return -math.inf
    if text == ".nan":
        return math.nan
    try:
        return float(text)
    except ValueError:
        return value


def _key_text(key: Any) -> str:
    # JSON (and OpenAPI) keys are strings: `200:` and `true:` must not become int/bool keys.
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)
