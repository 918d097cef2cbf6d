"""Reading a composed YAML node tree while remembering where each value was written.

`yaml.safe_load` throws line numbers away, and the agent file's users need them: every problem
names `agent.yaml:LINE` and the key path. So the file is composed into nodes (which carry
marks) and read here field by field, collecting problems instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from specagent import ir
from specagent._diagnostics import did_you_mean, error
from specagent._yaml_errors import explain
from specagent.ir import Code

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-/]+$")

_KIND_BY_TAG = {
    _STR: "text",
    _NULL: "nothing",
    _BOOL: "true/false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}


def child_path(parent: str, key: str | int) -> str:
    """`tools.overrides.getUserByName`, `tools.include.operations[2]`; odd keys are quoted.

    `key` as an int is a list position from 0; the path counts items from 1 (`steps[1]` is the
    first step), as step ids, `specagent diff` and the runtime number a task's steps: one
    numbering for everything a user reads."""
    if isinstance(key, int):
        return f"{parent}[{key + 1}]"
    part = key if _PLAIN_KEY.match(key) else repr(key)
    return f"{parent}.{part}" if parent else part


def describe(node: yaml.Node) -> str:
    """What the user wrote, in words, for 'expected X, found Y' messages."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return _KIND_BY_TAG.get(node.tag, "a value")


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


@dataclass
class NodeReader:
    """Typed access to YAML nodes; each wrong shape becomes one diagnostic, never an exception."""

    source: str
    diagnostics: list[ir.Diagnostic] = field(default_factory=list)
    locations: dict[str, ir.Location] = field(default_factory=dict)
    _constructor: yaml.constructor.SafeConstructor = field(
        default_factory=yaml.constructor.SafeConstructor
    )

    def where(self, node: yaml.Node, key: str = "") -> ir.Location:
        """The node's line; `key` is its key path, when the caller knows it."""
        return ir.Location.at_line(self.source, node.start_mark.line + 1, key=key)

    def remember(self, path: str, node: yaml.Node) -> None:
        self.locations[path] = self.where(node, path)

    def fail(
        self, code: ir.Code, node: yaml.Node, message: str, hint: str = "", *, key: str = ""
    ) -> None:
        self.diagnostics.append(error(code, self.where(node, key), message, hint))

    def wrong_type(self, node: yaml.Node, path: str, expected: str) -> None:
        message = f"`{path}` must be {expected}, found {describe(node)}"
        self.fail(Code.AGENT_TYPE, node, message, key=path)

    def mapping(
        self, node: yaml.Node, path: str, allowed: Sequence[str] | None = None
    ) -> dict[str, yaml.Node]:
        """The mapping's entries by key; unknown keys (when `allowed` is given) are reported
        with the closest valid name, duplicates because YAML would silently keep the last."""
        if not isinstance(node, yaml.MappingNode):
            if path:
                self.wrong_type(node, path, "a mapping")
            else:
                keys = ", ".join(f"`{key}`" for key in allowed or ())
                message = (
                    f"the agent file must be a mapping with keys {keys}, found {describe(node)}"
                )
                self.fail(Code.AGENT_TYPE, node, message)
            return {}
        try:
            self._constructor.flatten_mapping(node)  # resolves `<<: *defaults` merge keys
        except yaml.MarkedYAMLError as exc:
            self.fail(Code.AGENT_SYNTAX, node, f"`{path}`: {exc.problem}")
            return {}
        entries: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or is_null(key_node):
                self.fail(Code.AGENT_TYPE, key_node, f"a key in `{path}` must be text")
                continue
            key = str(key_node.value)
            key_path = child_path(path, key)
            if allowed is not None and key not in allowed:
                self.fail(
                    Code.AGENT_UNKNOWN_KEY,
                    key_node,
                    f"`{key_path}` is not a known key",
                    did_you_mean(key, allowed),
                    key=key_path,
                )
                continue
            if key in entries:
                first = self.locations.get(key_path)
                self.fail(
                    Code.AGENT_DUPLICATE_KEY,
                    key_node,
                    f"`{key_path}` is given twice",
                    f"the first one is at {first}; keep one" if first else "keep one",
                    key=key_path,
                )
                continue
            entries[key] = value_node
            self.remember(key_path, key_node)
        return entries

    def text(self, node: yaml.Node, path: str) -> str | None:
        """A string scalar; `None` when left empty (`name:`), which means 'not given'."""
        if is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return str(node.value)
        self.wrong_type(node, path, "text")
        return None

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            value = self._constructor.construct_object(node)
            return bool(value)
        self.wrong_type(node, path, "true or false")
        return None

    def text_list(self, node: yaml.Node, path: str) -> list[tuple[str, yaml.Node]]:
        """A list of strings, each with its node; a single string counts as a list of one.

        Items are not recorded in `locations` here: callers drop repeats and bad items, and
        record the final positions so `path[i]` matches the i-th value they keep."""
        if is_null(node):
            return []
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return [(str(node.value), node)]
        if not isinstance(node, yaml.SequenceNode):
            self.wrong_type(node, path, "a list of text")
            return []
        items: list[tuple[str, yaml.Node]] = []
        for index, item in enumerate(node.value):
            item_path = child_path(path, index)
            value = self.text(item, item_path)
            if value is not None:
                items.append((value, item))
            elif is_null(item):
                self.wrong_type(item, item_path, "text")
        return items

    def plain(self, node: yaml.Node, path: str) -> Any:
        """The node as plain Python data, for sections kept raw (`tasks`)."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.fail(Code.AGENT_SYNTAX, node, f"`{path}`: {exc.problem}")
            return None


def compose(text: str, source: str) -> tuple[yaml.Node | None, list[ir.Diagnostic]]:
    """The document's node tree, or the YAML syntax error with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        fault = explain(exc, text)
        where = ir.Location.at_line(source, fault.line, fault.column)
        message = f"the agent file is not valid YAML: {fault.message}"
        return None, [error(Code.AGENT_SYNTAX, where, message, fault.hint)]
    except yaml.YAMLError as exc:
        message = f"the agent file is not valid YAML: {exc}"
        return None, [error(Code.AGENT_SYNTAX, ir.Location.at_line(source, 1), message)]
    return node, []
