"""Names for the classes datamodel-code-generator numbers: `Status1` becomes `PetStatus`.

Inline schemas are named after their property, and two of one name are told apart by a
counter: the petstore's order and pet `status` enums come out as `Status` and `Status1`, which
says nothing to a reader of the client's signatures. A class of such a family that exactly one
other class uses is named after that class instead (`OrderStatus`, `PetStatus`); one used in
two places keeps the generator's name. Names the spec gave (component schemas) and the
argument and response models are never changed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Collection, Mapping

from specagent import _names

__all__ = ["derive_numbered_names", "shorten_argument_classes"]

_NUMBERED = re.compile(r"^(?P<base>[A-Za-z_]\w*?)(?P<number>\d+)$")


def derive_numbered_names(source: str, protected: Collection[str]) -> str:
    """`source` (models.py) with the members of numbered families renamed where derivable."""
    tree = ast.parse(source)
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    users = _users(tree, set(classes))
    renames = _renames(classes, users, set(protected))
    return _rename(source, tree, renames) if renames else source


# The client writes an argument as `        name: models.Class` (ruff format moves `| None = ...`
# to the next line, and no layout breaks the name itself): the field's name and the class's
# together get 76 columns of the 100, room for a `list[...]` around the class.
_ARGUMENT_ROOM = 76


def shorten_argument_classes(
    source: str, args_models: Collection[str], protected: Collection[str]
) -> str:
    """`source` (models.py) with the classes datamodel-code-generator makes for an argument
    (`CreateCallRecordingArgsRecordingStatusCallbackMethod`, named after the argument model and
    the field when the field's name was taken) renamed where the client's line for that
    argument would not fit: after the field alone (`RecordingStatusCallbackMethod`) when no
    other class has that name, else after the field with a hash of the long name
    (`RecordingStatusCallbackMethod4E39E9`: stable whatever other operations do, where a
    counter would depend on them), else the long name cut with its hash (`_names.shorten`).
    Classes that fit keep their name."""
    tree = ast.parse(source)
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    taken, keep, wanted = set(classes), {*protected, *args_models}, set(args_models)
    renames: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in wanted:
            continue
        for item in node.body:
            if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
                continue
            field = item.target.id
            for name in sorted(_names_in([item.annotation]) & taken):
                if name in keep or name in renames:
                    continue
                room = max(_ARGUMENT_ROOM - len(field), 16)
                if len(name) <= room:
                    continue
                plain = _names.class_name(field)
                hashed = plain + _names.short_hash(name).upper()
                candidate = next(
                    (c for c in (plain, hashed) if c not in taken and len(c) <= room),
                    _names.shorten(name, room),
                )
                if candidate not in taken:
                    renames[name] = candidate
                    taken.add(candidate)
    return _rename(source, tree, renames) if renames else source


def _users(tree: ast.Module, classes: set[str]) -> dict[str, set[str]]:
    """Class name -> the classes whose bases or field annotations name it."""
    found: dict[str, set[str]] = {name: set() for name in classes}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        parts: list[ast.AST] = [*node.bases]
        parts += [item.annotation for item in node.body if isinstance(item, ast.AnnAssign)]
        for name in _names_in(parts):
            if name in classes and name != node.name:
                found[name].add(node.name)
    return found


def _names_in(parts: list[ast.AST]) -> set[str]:
    names: set[str] = set()
    for part in parts:
        for sub in ast.walk(part):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                names.update(re.findall(r"[A-Za-z_]\w*", sub.value))
    return names


def _renames(
    classes: list[str], users: Mapping[str, set[str]], protected: set[str]
) -> dict[str, str]:
    families: dict[str, list[str]] = {}
    for name in classes:
        match = _NUMBERED.match(name)
        base = match["base"] if match else name
        families.setdefault(base, []).append(name)
    taken = set(classes)
    renames: dict[str, str] = {}
    for base, members in sorted(families.items()):
        numbered = [m for m in members if m != base]
        if not numbered or protected & set(numbered):
            continue  # no counter, or a name the spec chose
        for member in members:
            parents = users.get(member, set())
            if member in protected or len(parents) != 1:
                continue  # the spec's own name, or no one place to name it after
            (parent,) = parents
            candidate = parent if parent.endswith(base) else parent + base
            if candidate not in taken:
                renames[member] = candidate
                taken.add(candidate)
    # A parent renamed in the same pass is not followed: names stay derivable from the output.
    return renames


def _rename(source: str, tree: ast.Module, renames: Mapping[str, str]) -> str:
    """Every use of the renamed classes: names, and quoted forward references in bases and
    annotations (the only strings that hold class names)."""
    annotation_strings: set[tuple[int, int]] = set()
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        parts: list[ast.AST] = [*node.bases]
        parts += [item.annotation for item in node.body if isinstance(item, ast.AnnAssign)]
        for part in parts:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    line = lines[sub.lineno - 1]
                    column = len(line.encode("utf-8")[: sub.col_offset].decode("utf-8"))
                    annotation_strings.add((sub.lineno, column))
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    edits: list[tuple[int, int, str]] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        begin = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        if token.type == tokenize.NAME and token.string in renames:
            edits.append((begin, end, renames[token.string]))
        elif token.type == tokenize.STRING and token.start in annotation_strings:
            replaced = pattern.sub(lambda m: renames[m.group(1)], token.string)
            if replaced != token.string:
                edits.append((begin, end, replaced))
    for begin, end, text in sorted(edits, reverse=True):
        source = source[:begin] + text + source[end:]
    return source
