"""Repairs to datamodel-code-generator's output, so models.py passes ruff and mypy as is.

Each fix is small and local, applied to the source text, and documented with the output
that needs it; none changes what the models accept.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize

from specagent import _names

# Characters ruff refuses unescaped in strings (PLE2510-PLE2515), newline and tab excepted.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b]")


def strip_header(source: str) -> str:
    """Drop the leading comment block: it names the input (`<dict>`), not our business."""
    lines = source.splitlines()
    index = 0
    while index < len(lines) and lines[index].startswith("#"):
        index += 1
    return "\n".join(lines[index:]).lstrip("\n") + "\n"


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(source: str) -> str:
    """Control characters from the spec written as escapes inside string literals.

    datamodel-code-generator leaves some raw (an ESC in an enum value), which Python accepts
    but ruff rejects and terminals interpret. Raw strings are re-rendered with `repr` instead,
    where an escape would change the value.
    """
    if not _CONTROL_RE.search(source):
        return source
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    pieces = []
    position = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING or not _CONTROL_RE.search(token.string):
            continue
        start = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        prefix = token.string[: len(token.string) - len(token.string.lstrip("rRbBuUfF"))]
        if "r" in prefix.lower():
            replacement = repr(ast.literal_eval(token.string))
        else:
            replacement = _CONTROL_RE.sub(_escape_char, token.string)
        pieces.append(source[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(source[position:])
    return "".join(pieces)


def union_bases(source: str) -> str:
    """`RootModel[Union[A, B]]` in class bases written as `RootModel[A | B]`.

    datamodel-code-generator keeps `Union` where a recursive root model refers to itself by a
    quoted name; ruff flags it (UP007) but cannot fix it. `|` is safe unless a member is a bare
    string; then the whole union becomes one string, which pydantic and mypy resolve later.
    """
    if "Union[" not in source:
        return source
    tree = ast.parse(source)
    edits: list[tuple[int, int, str]] = []
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        for base in node.bases:
            for sub in ast.walk(base):
                if not (
                    isinstance(sub, ast.Subscript)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "Union"
                    and isinstance(sub.slice, ast.Tuple)
                    and sub.end_lineno is not None
                    and sub.end_col_offset is not None
                ):
                    continue
                members = sub.slice.elts
                quoted = any(
                    isinstance(m, ast.Constant) and isinstance(m.value, str) for m in members
                )
                texts = [
                    m.value
                    if isinstance(m, ast.Constant) and isinstance(m.value, str)
                    else ast.unparse(m)
                    for m in members
                ]
                text = " | ".join(texts)
                start = starts[sub.lineno - 1] + sub.col_offset
                end = starts[sub.end_lineno - 1] + sub.end_col_offset
                edits.append((start, end, repr(text) if quoted else text))
                break  # nested unions are replaced with their outer one
    for start, end, text in sorted(edits, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def settle_base_conflicts(source: str) -> str:
    """A field that two bases of a class define differently, redeclared in the class as the
    first base has it.

    `C: {allOf: [{$ref: A}, {$ref: B}]}` becomes `class C(A, B)`; when A has `scope: str` and
    B `scope: str | None = None`, mypy reports the two bases as incompatible ([misc]). pydantic
    already takes A's definition (the first in the method resolution order); writing it in C
    says so to mypy too, and changes nothing the model accepts.
    """
    tree = ast.parse(source)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, str]] = []
    for node in classes.values():
        bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in classes]
        if len(bases) < 2:
            continue
        own = _fields(node)
        first: dict[str, ast.AnnAssign] = {}
        conflicting: list[str] = []
        for base in bases:
            for name, statement in _all_fields(base, classes, frozenset()).items():
                if name in own:
                    continue
                if name not in first:
                    first[name] = statement
                elif _text(first[name]) != _text(statement) and name not in conflicting:
                    conflicting.append(name)
        if not conflicting:
            continue
        last = node.body[-1]
        at = starts[(last.end_lineno or last.lineno)]
        indent = " " * node.body[0].col_offset
        for name in conflicting:
            written = ast.get_source_segment(source, first[name]) or _text(first[name])
            edits.append((at, indent + " ".join(written.split()) + "\n"))
    for at, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        source = source[:at] + text + source[at:]
    return source


def _fields(node: ast.ClassDef) -> dict[str, ast.AnnAssign]:
    return {
        item.target.id: item
        for item in node.body
        if isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and item.target.id != "model_config"
    }


def _all_fields(
    name: str, classes: dict[str, ast.ClassDef], seen: frozenset[str]
) -> dict[str, ast.AnnAssign]:
    """A class's fields with those it inherits (its own win, then its bases in order)."""
    node = classes[name]
    found: dict[str, ast.AnnAssign] = {}
    for base in reversed(node.bases):
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            found.update(_all_fields(base.id, classes, seen | {name}))
    found.update(_fields(node))
    return found


def _text(statement: ast.AnnAssign) -> str:
    value = ast.unparse(statement.value) if statement.value is not None else ""
    return f"{ast.unparse(statement.annotation)}={value}"


_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum"})


# An enum member is written `    NAME = "value"` and used as `models.Class.NAME` in defaults:
# 48 leaves room for both on a 100-column line.
ENUM_MEMBER_MAX = 48


def _readable(name: str) -> bool:
    return name.isascii() and len(name) <= ENUM_MEMBER_MAX and name not in _names.AMBIGUOUS_NAMES


def ascii_enum_members(source: str) -> str:
    """Enum members named from non-ASCII values renamed in ASCII (`PʿAL` -> `PAL`).

    datamodel-code-generator derives member names from the values and keeps their letters;
    Python accepts such names, but a user's linter does not (PLC2401), and Python compares
    identifiers after NFKC normalisation, which can merge two of them. Members named after a
    long value (a sentence) are cut to ENUM_MEMBER_MAX with a hash of the whole name, so the
    line holding one fits (E501 cannot be met by a layout when the name alone is too long), and
    `I`, `O` and `l` get a trailing underscore (E741). The values, which are what the API sends,
    are unchanged; references (`Kaylo.PʿAL` as a default) follow.
    """
    tree = ast.parse(source)
    renames: dict[tuple[str, str], str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if not {b.id for b in node.bases if isinstance(b, ast.Name)} & _ENUM_BASES:
            continue
        members = [
            target.id
            for item in node.body
            if isinstance(item, ast.Assign)
            for target in item.targets
            if isinstance(target, ast.Name)
        ]
        taken = {name for name in members if _readable(name)}
        for name in members:
            if _readable(name):
                continue
            folded = re.sub(r"_+", "_", _names.ascii_text(name)).strip("_")
            if not folded.isidentifier() or keyword.iskeyword(folded):
                folded = f"VALUE_{_names.short_hash(name)}"
            folded = _names.shorten(folded, ENUM_MEMBER_MAX)
            if folded in _names.AMBIGUOUS_NAMES:
                folded += "_"
            candidate, counter = folded, 1
            while candidate in taken:
                counter += 1
                candidate = f"{folded}_{counter}"
            taken.add(candidate)
            renames[(node.name, name)] = candidate
    if not renames:
        return source
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    for found in ast.walk(tree):
        if isinstance(found, ast.ClassDef):
            for item in found.body:
                if isinstance(item, ast.Assign):
                    for target in item.targets:
                        if isinstance(target, ast.Name) and (found.name, target.id) in renames:
                            begin = _offset(starts, source, target.lineno, target.col_offset)
                            new = renames[(found.name, target.id)]
                            edits.append((begin, begin + len(target.id), new))
        elif (
            isinstance(found, ast.Attribute)
            and isinstance(found.value, ast.Name)
            and (found.value.id, found.attr) in renames
            and found.end_lineno is not None
            and found.end_col_offset is not None
        ):
            end = _offset(starts, source, found.end_lineno, found.end_col_offset)
            begin = end - len(found.attr)
            edits.append((begin, end, renames[(found.value.id, found.attr)]))
    for begin, end, text in sorted(edits, reverse=True):
        source = source[:begin] + text + source[end:]
    return source


def _offset(starts: list[int], source: str, line: int, byte_column: int) -> int:
    """A character offset from ast's line and UTF-8 byte column."""
    text = source[starts[line - 1] : starts[line]]
    return starts[line - 1] + len(text.encode("utf-8")[:byte_column].decode("utf-8"))


# Written at the top of models.py only when a subclass redeclares a field of its parent with
# another type (an allOf that narrows `account: AccountSummary` to an unrelated `Account`).
# pydantic accepts that, mypy reports it as an incompatible assignment; nothing in the
# generated code can express it otherwise, so the check is turned off for that file alone.
OVERRIDE_PRAGMA = '# mypy: disable-error-code="assignment"\n'


def redeclares_fields(tree: ast.Module) -> bool:
    fields: dict[str, dict[str, str]] = {}
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
            fields[node.name] = {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }

    def inherited(name: str, seen: frozenset[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for base in bases.get(name, ()):
            if base in fields and base not in seen:
                found.update(inherited(base, seen | {base}))
                found.update(fields[base])
        return found

    for name, own in fields.items():
        parent = inherited(name, frozenset({name}))
        if any(key in parent and parent[key] != text for key, text in own.items()):
            return True
    return False
