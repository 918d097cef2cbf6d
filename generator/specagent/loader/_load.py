"""The loading pipeline: read, detect the version, bundle `$ref`s, convert, repair."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from specagent import ir
from specagent._diagnostics import blocking
from specagent.ir import Code, Diagnostic, Location, Severity
from specagent.loader import _read
from specagent.loader._build import Builder
from specagent.loader._cycles import find_ref_cycles
from specagent.loader._lines import with_lines
from specagent.loader._refs import OPENAPI3_CONTAINERS, SWAGGER2_CONTAINERS, Bundler
from specagent.loader._repair import repair
from specagent.loader._swagger2 import convert


@dataclass(frozen=True, slots=True)
class LoadedSpec:
    """A spec as one document: every `$ref` local, Swagger 2.0 converted, repairs applied.

    Schemas in `document` are OpenAPI 3.1 flavour JSON Schema: 3.0 `nullable: true` has become
    a `"null"` type (or an `anyOf` with `{"type": "null"}`), boolean `exclusiveMinimum` and
    `exclusiveMaximum` have become numbers. `document["openapi"]` stays as declared ("3.0.3"
    for a converted Swagger 2.0 document, whose declared version is in `source_version`).
    """

    document: dict[str, Any]
    source_name: str
    sources: dict[str, bytes]
    diagnostics: tuple[Diagnostic, ...]
    source_version: str = ""  # "2.0", "3.0.3", "3.1.0" as the document declared it
    root_file: str = ""  # the key of the root file in `sources`

    def with_lines(self, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
        """`diagnostics` with the line and column of each pointer into the spec's root file
        added beside it (found only for the pointers reported: see `_lines`)."""
        raw = self.sources.get(self.root_file)
        if raw is None:
            return list(diagnostics)
        return with_lines(diagnostics, {self.source_name: raw})


def load_spec(
    source: str | Path,
    *,
    strict: bool = False,
    allow_remote_refs: bool = False,
    allow_outside_refs: bool = False,
) -> LoadedSpec:
    """Read, bundle, convert and repair a spec; problems come back as diagnostics.

    `strict` does not change what is reported (repairs are warnings either way); it is accepted
    so callers can pass their options through, and the caller decides how to count warnings.
    """
    del strict
    name = str(source)
    if isinstance(source, str) and _read.is_url(source):
        location = source
        name = _read.mask_url(source)  # a token in the URL must not reach any message
        root_name = urlsplit(source).path.rstrip("/").rsplit("/", 1)[-1] or "openapi"
    else:
        location = str(Path(source).resolve())
        root_name = Path(source).name
    raw, problem = _read.fetch(location, name)
    if raw is None:
        return LoadedSpec({}, name, {}, (problem,) if problem else ())
    parsed = _read.parse(raw, name)
    diagnostics = list(parsed.diagnostics)
    sources = {root_name: raw}
    if parsed.data is None:
        if not blocking(diagnostics):
            diagnostics.append(_empty(raw, name))
        return LoadedSpec({}, name, sources, tuple(diagnostics), root_file=root_name)
    family, declared, version_problem = _detect_version(parsed.data, name)
    if version_problem is not None:
        diagnostics.append(version_problem)
    if family is None:
        return LoadedSpec({}, name, sources, tuple(diagnostics), declared, root_name)
    document: dict[str, Any] = parsed.data
    bundler = Bundler(
        document,
        root_loc=location,
        root_name=root_name,
        display_name=name,
        containers=SWAGGER2_CONTAINERS if family == "2" else OPENAPI3_CONTAINERS,
        read=_read_referenced,
        allow_remote=allow_remote_refs,
        allow_outside=allow_outside_refs,
    )
    bundled = bundler.run()
    sources.update(bundled.sources)
    diagnostics.extend(bundled.diagnostics)
    if family == "2":
        document = convert(document, name, location, diagnostics)
    repair(document, "3.0" if family == "2" else family, name, diagnostics)
    diagnostics.extend(find_ref_cycles(document, name))
    return LoadedSpec(document, name, sources, tuple(diagnostics), declared, root_name)


def build_api(spec: LoadedSpec) -> ir.Api:
    """The IR of a loaded spec; the loader's diagnostics come first in `Api.diagnostics`."""
    builder = Builder(spec.document, spec.source_name, spec.source_version)
    api = builder.build()
    return dataclasses.replace(api, diagnostics=(*spec.diagnostics, *api.diagnostics))


class SpecError(Exception):
    """A spec that cannot be used, for callers that want an exception (`load_api`).

    `diagnostics` holds every problem found; the message lists them, one per line.
    """

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__("\n".join(d.render() for d in diagnostics))
        self.diagnostics = diagnostics


def load_api(
    source: str | Path,
    *,
    strict: bool = False,
    allow_remote_refs: bool = False,
    allow_outside_refs: bool = False,
) -> ir.Api:
    """`build_api(load_spec(...))`, raising SpecError on errors (on warnings too if strict)."""
    spec = load_spec(
        source,
        strict=strict,
        allow_remote_refs=allow_remote_refs,
        allow_outside_refs=allow_outside_refs,
    )
    api = build_api(spec)
    fatal = tuple(blocking(api.diagnostics, strict=strict))
    if fatal or not spec.document:
        raise SpecError(tuple(spec.with_lines(fatal or spec.diagnostics)))
    return api


def _read_referenced(location: str, name: str) -> _read.ReadResult:
    raw, problem = _read.fetch(location, name)
    if raw is None:
        result = _read.ReadResult(data=None, raw=b"")
        if problem is not None:
            result.diagnostics.append(problem)
        return result
    return _read.parse(raw, name)


def _empty(raw: bytes, name: str) -> Diagnostic:
    """An empty or comment-only file (or a bare `null`): it parses, to nothing to generate."""
    text = raw.decode("utf-8", errors="replace").strip()
    what = "is empty" if not text else "holds no document (only comments or `null`)"
    return _error(
        Code.SPEC_EMPTY,
        f"the spec {what}",
        Location(name),
        'an OpenAPI document starts with `openapi: 3.1.0` (or `swagger: "2.0"`), then `info` '
        "and `paths`; is this the right file?",
    )


def _detect_version(data: Any, name: str) -> tuple[str | None, str, Diagnostic | None]:
    """("2" | "3.0" | "3.1" | None, version as declared, problem)."""
    where = Location(name, pointer="")
    if not isinstance(data, dict):
        return (
            None,
            "",
            _error(
                Code.SPEC_NOT_OPENAPI,
                "the document is empty"
                if data is None
                else f"the document is a {type(data).__name__}, not a mapping",
                where,
                "an OpenAPI document is a mapping with `openapi`, `info` and `paths` keys",
            ),
        )
    if "openapi" in data:
        declared = str(data["openapi"])
        where = Location.in_spec(name, ("openapi",))
        if re.fullmatch(r"3\.0(\.\d+)?(-[\w.]+)?", declared):
            return "3.0", declared, None
        if re.fullmatch(r"3\.1(\.\d+)?(-[\w.]+)?", declared):
            return "3.1", declared, None
        if re.fullmatch(r"3\.[2-9](\.\d+)?(-[\w.]+)?", declared):
            warning = Diagnostic(
                Code.SPEC_VERSION,
                Severity.WARNING,
                f"OpenAPI {declared} is newer than 3.1; read as 3.1",
                where,
            )
            return "3.1", declared, warning
        return (
            None,
            declared,
            _error(
                Code.SPEC_VERSION,
                f"unsupported OpenAPI version {declared!r}",
                where,
                "specagent reads OpenAPI 3.0.x, 3.1.x and Swagger 2.0",
            ),
        )
    if "swagger" in data:
        declared = str(data["swagger"])
        if declared == "2.0":
            return "2", declared, None
        return (
            None,
            declared,
            _error(
                Code.SPEC_VERSION,
                f"unsupported Swagger version {declared!r}",
                Location.in_spec(name, ("swagger",)),
                "specagent reads OpenAPI 3.0.x, 3.1.x and Swagger 2.0",
            ),
        )
    return (
        None,
        "",
        _error(
            Code.SPEC_NOT_OPENAPI,
            "not an OpenAPI document: no `openapi` (or `swagger`) version field",
            where,
            "add `openapi: 3.1.0` (or the version the document follows) at the top",
        ),
    )


def _error(code: Code, message: str, where: Location, hint: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, where, hint)
