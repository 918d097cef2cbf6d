"""Reading the typed values of the `tasks:` section: inputs, expressions, numbers, names.

Shared by the readers of the steps (`_tasks`) and of the `instruct:` step (`_instruct`); every
value keeps its place so the compiler can point at `agent.yaml:LINE`.
"""

from __future__ import annotations

import keyword
import math
import re

import yaml
from specagent_runtime import choice_words

from specagent import ir
from specagent._diagnostics import did_you_mean
from specagent.agentfile._yaml import NodeReader, child_path
from specagent.ir import Code

INPUT_TYPES = ("string", "integer", "number", "boolean")
# Names an expression starts from that are not the task's own variables.
RESERVED_NAMES = frozenset({"inputs", "identity", "context", "error", "len", "ctx"}) | {
    "today",
    "now",
    "days_since",
    "days_until",
}
INPUT_FORMATS = ("email", "date", "date-time")

_INPUT_KEYS = (
    "type",
    "description",
    "enum",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "min_length",
    "max_length",
    "labels",
)
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})
_LITERAL_TAGS = _NUMBER_TAGS | {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}


class Values:
    """Typed reads on top of a `NodeReader`; each wrong value becomes one diagnostic."""

    def __init__(self, reader: NodeReader) -> None:
        self.reader = reader
        self._constructor = yaml.constructor.SafeConstructor()

    def input(self, name: str, node: yaml.Node, path: str) -> ir.InputDecl | None:
        where = self.reader.where(node)
        self.check_name(name, node, path, "input")
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            kind = str(node.value)  # `order_id: integer`, the short form
            self.check_type(kind, node, path)
            return ir.InputDecl(name, where, kind)
        entries = self.reader.mapping(node, path, _INPUT_KEYS)
        kind = self.text(entries, path, "type") or "string"
        if "type" in entries:
            self.check_type(kind, entries["type"], child_path(path, "type"))
        enum = tuple(
            value
            for value, _ in (
                self.reader.text_list(entries["enum"], child_path(path, "enum"))
                if "enum" in entries
                else []
            )
        )
        fmt = self.text(entries, path, "format")
        if fmt is not None and fmt not in INPUT_FORMATS:
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                entries["format"],
                f"`{child_path(path, 'format')}`: `{fmt}` is not an input format (`email`,"
                " `date` or `date-time`)",
                did_you_mean(fmt, INPUT_FORMATS),
            )
            fmt = None
        if fmt in ("date", "date-time") and kind != "string":
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                entries["format"],
                f"`{child_path(path, 'format')}`: a {fmt} input has `type: string`",
                f"write `{{type: string, format: {fmt}}}`",
            )
            fmt = None
        pattern = self.text(entries, path, "pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.reader.fail(
                    Code.TASK_BAD_PATTERN,
                    entries["pattern"],
                    f"`{child_path(path, 'pattern')}` is not a regular expression: {exc.msg}",
                )
                pattern = None
        labels = self.labels(entries, path, enum)
        self.distinct_choices(entries, path, enum, labels)
        return ir.InputDecl(
            name=name,
            where=where,
            type=kind,
            description=self.text(entries, path, "description") or "",
            enum=enum,
            pattern=pattern,
            format=fmt,
            minimum=self.number(entries, path, "minimum"),
            maximum=self.number(entries, path, "maximum"),
            min_length=self.whole(entries, path, "min_length"),
            max_length=self.whole(entries, path, "max_length"),
            labels=labels,
        )

    def labels(
        self, entries: dict[str, yaml.Node], path: str, enum: tuple[str, ...]
    ) -> tuple[tuple[str, str], ...]:
        """`labels: {too_small: "Too small"}`: how each choice is shown to the customer; a
        label of a value the enum does not have would never be shown."""
        node = entries.get("labels")
        if node is None:
            return ()
        labels_path = child_path(path, "labels")
        if not enum:
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                node,
                f"`{labels_path}`: labels name the choices of an `enum`, and this input has none",
                "add `enum: [...]` with the values, or remove `labels`",
            )
            return ()
        found: dict[str, str] = {}
        for value, label_node in self.reader.mapping(node, labels_path).items():
            label = self.reader.text(label_node, child_path(labels_path, value))
            if value not in enum:
                self.reader.fail(
                    Code.TASK_BAD_VALUE,
                    label_node,
                    f"`{labels_path}`: `{value}` is not one of the input's enum values"
                    f" ({', '.join(enum)})",
                    did_you_mean(value, enum) or "label only the values of `enum`",
                )
            elif label is not None and label.strip():
                found[value] = label.strip()
        return tuple((value, found[value]) for value in enum if value in found)

    def distinct_choices(
        self,
        entries: dict[str, yaml.Node],
        path: str,
        enum: tuple[str, ...],
        labels: tuple[tuple[str, str], ...],
    ) -> None:
        """Two choices whose values or labels read the same once case, spaces and punctuation
        are set aside (as the runtime compares answers: `choice_words`) could never both be
        picked: the customer's answer would always name the first."""
        shown = dict(labels)
        owner: dict[str, tuple[str, str]] = {}  # words -> (value, how it was written)
        for value in enum:
            for written in dict.fromkeys((value, shown.get(value, ""))):
                words = choice_words(written)
                first = owner.setdefault(words, (value, written))
                if not words or first[0] == value:
                    continue
                key = "labels" if written != value or first[1] != first[0] else "enum"
                self.reader.fail(
                    Code.TASK_BAD_VALUE,
                    entries.get(key, entries["enum"]),
                    f"`{child_path(path, key)}`: {_choice(value, written)} reads the same as"
                    f" {_choice(*first)} to the customer: an answer could not choose between"
                    " them",
                    "give each choice a value and label that differ in more than case, spaces"
                    " or punctuation",
                )
                return

    def text(self, entries: dict[str, yaml.Node], path: str, key: str) -> str | None:
        if key not in entries:
            return None
        return self.reader.text(entries[key], child_path(path, key))

    def expression(self, node: yaml.Node, path: str) -> ir.Expression | None:
        where = self.reader.where(node)
        if isinstance(node, yaml.ScalarNode) and node.tag in _LITERAL_TAGS:
            value = self._constructor.construct_object(node)
            if isinstance(value, float) and not math.isfinite(value):
                self.reader.wrong_type(node, path, "a finite number")
                return None
            return ir.Expression(None, value, where)
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return ir.Expression(str(node.value), None, where)
        self.reader.wrong_type(node, path, "an expression (text), a number, true/false or null")
        return None

    def number(self, entries: dict[str, yaml.Node], path: str, key: str) -> float | None:
        node = entries.get(key)
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS:
            value = float(self._constructor.construct_object(node))
            if math.isfinite(value):
                return value
        self.reader.wrong_type(node, child_path(path, key), "a number")
        return None

    def whole(self, entries: dict[str, yaml.Node], path: str, key: str) -> int | None:
        node = entries.get(key)
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
            return int(self._constructor.construct_object(node))
        self.reader.wrong_type(node, child_path(path, key), "a whole number")
        return None

    def check_type(self, kind: str, node: yaml.Node, path: str) -> None:
        if kind not in INPUT_TYPES:
            self.reader.fail(
                Code.TASK_BAD_VALUE,
                node,
                f"`{path}`: `{kind}` is not an input type",
                did_you_mean(kind, INPUT_TYPES),
            )

    def check_name(self, name: str, node: yaml.Node, path: str, what: str) -> None:
        if not name.isascii() or not name.isidentifier() or keyword.iskeyword(name):
            self.reader.fail(
                Code.TASK_BAD_NAME,
                node,
                f"`{path}`: {what} name `{name}` must be a plain identifier"
                " (ASCII letters, digits and `_`, not a Python keyword)",
            )
        elif name in RESERVED_NAMES:
            self.reader.fail(
                Code.TASK_BAD_NAME,
                node,
                f"`{path}`: `{name}` is reserved in task expressions; choose another {what} name",
            )


def _choice(value: str, written: str) -> str:
    return f"`{value}`" if written == value else f"{written!r} (the label of `{value}`)"
