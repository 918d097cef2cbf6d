"""Bundling: a spec split over several files becomes one document whose `$ref`s are all local.

A referenced schema (or parameter, response, ...) from another file gets a component of its
own, under a unique name, so recursive and shared definitions keep working; objects that have
no component kind (path items) are inlined. Every file is read once; cycles end at the first
placement. Local references of the main file are checked at the end (dangling refs).
"""

from __future__ import annotations

import copy
import os
import re
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

from specagent import _jsonschema
from specagent.ir import Code, Diagnostic, Location, Severity
from specagent.loader._read import ReadResult, is_url, mask_url

Containers = Mapping[str, tuple[str, ...]]

# Where each kind of referenced object goes in the bundled document.
OPENAPI3_CONTAINERS: Containers = {
    "schema": ("components", "schemas"),
    "parameter": ("components", "parameters"),
    "response": ("components", "responses"),
    "requestBody": ("components", "requestBodies"),
    "header": ("components", "headers"),
    "example": ("components", "examples"),
    "link": ("components", "links"),
    "callback": ("components", "callbacks"),
    "securityScheme": ("components", "securitySchemes"),
}
SWAGGER2_CONTAINERS: Containers = {
    "schema": ("definitions",),
    "parameter": ("parameters",),
    "response": ("responses",),
}

_SCHEMA_MAPS = frozenset(_jsonschema.SCHEMA_MAPS)
_SCHEMA_LISTS = frozenset(_jsonschema.SCHEMA_LISTS)
# A parameter's or media type's `schema` is a schema slot too, in OpenAPI.
_SCHEMA_SLOTS = frozenset({*_jsonschema.SCHEMA_SLOTS, "schema"})
_COMPONENT_KINDS = {
    "schemas": "schema",
    "parameters": "parameter",
    "responses": "response",
    "requestBodies": "requestBody",
    "headers": "header",
    "examples": "example",
    "links": "link",
    "callbacks": "callback",
    "securitySchemes": "securityScheme",
    "pathItems": "pathItem",
}
_MAP_KINDS = {
    "parameters": "parameter",
    "responses": "response",
    "headers": "header",
    "examples": "example",
    "links": "link",
    "callbacks": "callback",
    "paths": "pathItem",
    "webhooks": "pathItem",
}


def context_kind(path: tuple[str, ...]) -> str:
    """What kind of object sits at `path` in an OpenAPI (or Swagger) document."""
    if len(path) == 3 and path[0] == "components":
        return _COMPONENT_KINDS.get(path[1], "other")
    if len(path) == 2 and path[0] in ("definitions", "parameters", "responses"):
        return {"definitions": "schema", "parameters": "parameter"}.get(path[0], "response")
    if len(path) >= 2 and (path[-2] in _SCHEMA_MAPS or path[-2] in _SCHEMA_LISTS):
        return "schema"
    if path and path[-1] in _SCHEMA_SLOTS:
        return "schema"
    if len(path) >= 2 and path[-2] == "items" and path[-1].isdigit():
        return "schema"
    if path and path[-1] == "requestBody":
        return "requestBody"
    if len(path) >= 2:
        return _MAP_KINDS.get(path[-2], "other")
    return "other"


def nested_in_schema(path: tuple[str, ...]) -> bool:
    """True when `path` lies strictly inside a schema: a property, items, a member of
    allOf/oneOf/anyOf... of some schema, as opposed to a schema slot of its own."""
    return any(context_kind(path[:end]) == "schema" for end in range(1, len(path)))


def _is_data(key: str, value: Any, where: tuple[str, ...]) -> bool:
    """Values that are example data or vendor extensions: a `$ref` in them is not ours."""
    if key.startswith("x-") or key in ("example", "enum", "const"):
        return True
    if key == "examples":
        return isinstance(value, list)  # schema examples; a mapping holds Example objects
    if key == "value":
        return len(where) >= 2 and where[-2] == "examples"
    if key == "default":
        return not where or where[-1] != "responses"
    return False


def _ref_holders(node: Any, path: tuple[str, ...]) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    found: list[tuple[dict[str, Any], tuple[str, ...]]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(node, path)]
    while stack:
        obj, where = stack.pop()
        if isinstance(obj, dict):
            if isinstance(obj.get("$ref"), str):
                found.append((obj, where))
            for key, value in obj.items():
                if isinstance(value, dict | list) and not _is_data(key, value, where):
                    stack.append((value, (*where, key)))
        elif isinstance(obj, list):
            stack.extend((value, (*where, str(i))) for i, value in enumerate(obj))
    return found


@dataclass(slots=True)
class _File:
    loc: str  # absolute path or URL
    name: str  # relative name, for `sources` and messages
    data: Any


@dataclass(slots=True)
class BundleResult:
    sources: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


Reader = Callable[[str, str], ReadResult]  # (location, name) -> parsed file


class Bundler:
    """Rewrites `root` in place so that every `$ref` is local."""

    def __init__(
        self,
        root: Any,
        *,
        root_loc: str,
        root_name: str,
        display_name: str,
        containers: Containers,
        read: Reader,
        allow_remote: bool,
        allow_outside: bool,
    ) -> None:
        self._root = _File(root_loc, root_name, root)
        self._display = display_name
        self._containers = containers
        self._read = read
        self._allow_remote = allow_remote
        self._allow_outside = allow_outside
        self._files: dict[str, _File | None] = {root_loc: self._root}
        self._placed: dict[tuple[str, str], str] = {}
        self._taken: dict[str, set[str]] = {}
        self._pending: list[tuple[tuple[str, ...], str, Any]] = []
        self._local_refs: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []
        self._claimed: set[int] = set()  # slots filled up front; walked from the queue
        self._queue: deque[tuple[Any, tuple[str, ...], _File, frozenset[tuple[str, str]]]] = deque()
        self.result = BundleResult()

    def run(self) -> BundleResult:
        self._claim_component_slots()
        self._queue.append((self._root.data, (), self._root, frozenset()))
        while self._queue:
            node, path, base, inlining = self._queue.popleft()
            self._walk(node, path, base, inlining)
        self._insert_pending()
        self._check_local_refs()
        self._hoist_local_refs()
        return self.result

    def _claim_component_slots(self) -> None:
        """`components.schemas.Pet: {$ref: pet.yaml}` puts pet.yaml's content under `Pet`.

        Done before the main walk so every other ref to pet.yaml points at `Pet`, whichever
        comes first in the document.
        """
        for container in dict.fromkeys(self._containers.values()):
            slots = _jsonschema.resolve_pointer(self._root.data, container)
            if not isinstance(slots, dict):
                continue
            for name, slot in slots.items():
                ref = slot.get("$ref") if isinstance(slot, dict) else None
                if isinstance(ref, str) and not ref.startswith("#") and len(slot) == 1:
                    self._follow(slot, ref, (*container, name), self._root, frozenset())
                    self._claimed.add(id(slot))

    # --- walking ------------------------------------------------------------------------

    def _walk(
        self,
        node: Any,
        path: tuple[str, ...],
        base: _File,
        inlining: frozenset[tuple[str, str]],
    ) -> None:
        stack: list[tuple[Any, tuple[str, ...]]] = [(node, path)]
        while stack:
            obj, where = stack.pop()
            if obj is not node and id(obj) in self._claimed:
                continue
            if isinstance(obj, dict):
                ref = obj.get("$ref")
                if isinstance(ref, str) and not self._follow(obj, ref, where, base, inlining):
                    continue
                if ref is not None and not isinstance(ref, str | dict):
                    # (a dict is a property that happens to be named "$ref")
                    self._error(
                        Code.REF_TYPE, f"$ref must be a string, not {type(ref).__name__}", where
                    )
                for key, value in reversed(obj.items()):
                    if isinstance(value, dict | list) and not _is_data(key, value, where):
                        stack.append((value, (*where, key)))
            elif isinstance(obj, list):
                for index in range(len(obj) - 1, -1, -1):
                    value = obj[index]
                    if isinstance(value, dict | list):
                        stack.append((value, (*where, str(index))))

    def _follow(
        self,
        obj: dict[str, Any],
        ref: str,
        path: tuple[str, ...],
        base: _File,
        inlining: frozenset[tuple[str, str]],
    ) -> bool:
        """Handle one `$ref`; True when the walk should go on into `obj`."""
        uri, _, fragment = ref.partition("#")
        if not uri:
            if base is self._root:
                self._local_refs.append((fragment, path, obj))
                return True
            target_loc = base.loc
        else:
            resolved = self._locate(uri, base, path)
            if resolved is None:
                return True
            target_loc = resolved
            if target_loc == self._root.loc:
                obj["$ref"] = "#" + fragment
                self._local_refs.append((fragment, path, obj))
                return True
        return self._bundle(obj, path, (target_loc, fragment), inlining)

    def _locate(self, uri: str, base: _File, path: tuple[str, ...]) -> str | None:
        """The absolute location of a referenced file, or None (with an error) if refused."""
        if is_url(uri) or is_url(base.loc):
            target = urljoin(base.loc, uri) if is_url(base.loc) else uri
            if not self._allow_remote and not self._under_root_url(target):
                self._error(
                    Code.REF_REMOTE,
                    f"$ref to a remote document {uri!r} is not allowed",
                    path,
                    "pass allow_remote_refs (--allow-remote-refs) to fetch it",
                )
                return None
            return target.split("#", 1)[0]
        if urlparse(uri).scheme not in ("", "file") and not re.match(r"^[A-Za-z]:[\\/]", uri):
            self._error(Code.REF_SCHEME, f"unsupported $ref location {uri!r}", path)
            return None
        relative = unquote(uri[7:] if uri.startswith("file://") else uri)
        target_path = (Path(base.loc).parent / relative).resolve()
        root_dir = Path(self._root.loc).parent
        if not self._allow_outside and not target_path.is_relative_to(root_dir):
            self._error(
                Code.REF_OUTSIDE,
                f"$ref {uri!r} points outside the spec's folder",
                path,
                "move the file next to the spec, or pass allow_outside_refs",
            )
            return None
        return str(target_path)

    def _under_root_url(self, url: str) -> bool:
        if not is_url(self._root.loc):
            return False
        folder = self._root.loc.rsplit("/", 1)[0] + "/"
        return url.startswith(folder)

    def _bundle(
        self,
        obj: dict[str, Any],
        path: tuple[str, ...],
        key: tuple[str, str],
        inlining: frozenset[tuple[str, str]],
    ) -> bool:
        placed = self._placed.get(key)
        if placed is not None:
            obj["$ref"] = placed
            return True
        source = self._file(key[0], path)
        if source is None:
            return True
        tokens = _jsonschema.split_fragment(key[1])
        value = _jsonschema.resolve_pointer(source.data, tokens)
        if value is _jsonschema.MISSING:
            self.result.diagnostics.append(
                Diagnostic(
                    Code.REF_DANGLING,
                    Severity.ERROR,
                    f"$ref {obj['$ref']!r} points at nothing in {source.name}",
                    self._where(path),
                    _jsonschema.suggest_pointer(source.data, tokens),
                )
            )
            return True
        kind = context_kind(path)
        container = self._containers.get(kind)
        if container is not None:
            if path == (*container, path[-1]) and len(obj) == 1:
                # The component slot itself holds the ref: the content takes its place.
                self._placed[key] = "#" + _jsonschema.to_pointer(path)
                obj.clear()
                obj.update(copy.deepcopy(value))
                self._queue.append((obj, path, source, frozenset()))
                return False
            name = self._unique_name(kind, container, tokens, key[0])
            local = "#" + _jsonschema.to_pointer((*container, name))
            self._placed[key] = local
            placed_value = copy.deepcopy(value)
            self._pending.append((container, name, placed_value))
            self._queue.append((placed_value, (*container, name), source, frozenset()))
            obj["$ref"] = local
            return True
        if key in inlining:
            self._error(Code.REF_CYCLE, f"$ref {obj['$ref']!r} refers to itself", path)
            return False
        if not isinstance(value, dict):
            self._error(Code.REF_TARGET, f"$ref {obj['$ref']!r} is not an object", path)
            return False
        siblings = {k: v for k, v in obj.items() if k != "$ref"}
        obj.clear()
        obj.update(copy.deepcopy(value))
        obj.update(siblings)
        self._queue.append((obj, path, source, inlining | {key}))
        return False

    def _file(self, loc: str, path: tuple[str, ...]) -> _File | None:
        if loc in self._files:
            return self._files[loc]
        name = self._relative_name(loc)
        read = self._read(loc, name)
        self.result.sources[name] = read.raw
        if read.data is None:
            first = read.diagnostics[0] if read.diagnostics else None
            reason = f": {first.message} ({first.where})" if first else ""
            self._error(Code.REF_UNREADABLE, f"cannot load referenced file {name}{reason}", path)
            self.result.diagnostics.extend(read.diagnostics[1:])
            self._files[loc] = None
            return None
        self.result.diagnostics.extend(read.diagnostics)
        source = _File(loc, name, read.data)
        self._files[loc] = source
        return source

    def _relative_name(self, loc: str) -> str:
        if is_url(loc):
            folder = self._root.loc.rsplit("/", 1)[0] + "/"
            return loc[len(folder) :] if loc.startswith(folder) else mask_url(loc)
        root_dir = Path(self._root.loc).parent
        target = Path(loc)
        if target.is_relative_to(root_dir):
            return target.relative_to(root_dir).as_posix()
        return Path(os.path.relpath(target, root_dir)).as_posix()

    def _unique_name(
        self, kind: str, container: tuple[str, ...], tokens: list[str], loc: str
    ) -> str:
        taken = self._taken.get(kind)
        if taken is None:
            existing = _jsonschema.resolve_pointer(self._root.data, container)
            taken = set(existing) if isinstance(existing, dict) else set()
            self._taken[kind] = taken
        if tokens and tokens[-1]:
            base = tokens[-1]
        else:
            base = PurePosixPath(urlparse(loc).path if is_url(loc) else loc).stem
        base = re.sub(r"[^A-Za-z0-9.-]+", "_", base).strip("_") or kind
        name = base
        counter = 2
        while name in taken:
            name = f"{base}_{counter}"
            counter += 1
        taken.add(name)
        return name

    # --- finishing ----------------------------------------------------------------------

    def _insert_pending(self) -> None:
        root = self._root.data
        for container, name, value in self._pending:
            node = root
            for token in container:
                child = node.get(token) if isinstance(node, dict) else None
                if child is None and isinstance(node, dict):
                    child = node[token] = {}
                node = child
            if not isinstance(node, dict):
                self._error(
                    Code.REF_BUNDLE,
                    f"cannot add bundled {name!r}: {'/'.join(container)} is not a mapping",
                    container,
                )
                continue
            node[name] = value

    def _check_local_refs(self) -> None:
        """Dangling refs: inside a schema they become "any value" (DocuSign's spec has a few
        in properties and items); where a whole parameter, body or response, or its schema,
        would be missing the output would be wrong, so that stays an error."""
        root = self._root.data
        for fragment, path, holder in self._local_refs:
            tokens = _jsonschema.split_fragment(fragment)
            if _jsonschema.resolve_pointer(root, tokens) is not _jsonschema.MISSING:
                continue
            hint = _jsonschema.suggest_pointer(root, tokens)
            if nested_in_schema(path):
                holder.pop("$ref", None)
                self.result.diagnostics.append(
                    Diagnostic(
                        Code.REF_DANGLING,
                        Severity.WARNING,
                        f"$ref '#{fragment}' points at nothing; this part of the schema "
                        "accepts any value",
                        self._where(path),
                        hint,
                    )
                )
                continue
            self.result.diagnostics.append(
                Diagnostic(
                    Code.REF_DANGLING,
                    Severity.ERROR,
                    f"$ref '#{fragment}' points at nothing",
                    self._where(path),
                    hint,
                )
            )

    def _hoist_local_refs(self) -> None:
        """Refs into `#/paths/...` (and other non-component places) get a component copy.

        Later steps hand component schemas to tools that only see `components`, so a schema
        borrowed from an operation's response must live there too.
        """
        prefixes = tuple("#" + _jsonschema.to_pointer(c) + "/" for c in self._containers.values())
        hoisted: dict[tuple[str, ...], str] = {}
        queue = list(self._local_refs)
        while queue:
            fragment, path, holder = queue.pop(0)
            tokens = _jsonschema.split_fragment(fragment)
            if not tokens or ("#" + fragment).startswith(prefixes):
                continue
            known = hoisted.get(tuple(tokens))
            if known is not None:
                holder["$ref"] = known
                continue
            kind = context_kind(path)
            container = self._containers.get(kind)
            target = _jsonschema.resolve_pointer(self._root.data, tokens)
            if container is None or target is _jsonschema.MISSING:
                continue  # path items are resolved where they are; dangling refs reported
            readable = [t for t in tokens if t not in ("paths", "content", "components")]
            name = self._unique_name(kind, container, ["_".join(readable)], self._root.loc)
            local = "#" + _jsonschema.to_pointer((*container, name))
            hoisted[tuple(tokens)] = local
            holder["$ref"] = local
            value = copy.deepcopy(target)
            self._pending = [(container, name, value)]
            self._insert_pending()
            for inner, inner_path in _ref_holders(value, (*container, name)):
                ref = inner["$ref"]
                if ref.startswith("#"):
                    queue.append((ref[1:], inner_path, inner))

    def _where(self, path: tuple[str, ...]) -> Location:
        return Location.in_spec(self._display, path)

    def _error(
        self,
        code: Code,
        message: str,
        path: tuple[str, ...],
        hint: str = "",
    ) -> None:
        # Positions are reported in the bundled (main) document, where the user sees them.
        self.result.diagnostics.append(
            Diagnostic(code, Severity.ERROR, message, self._where(path), hint)
        )
