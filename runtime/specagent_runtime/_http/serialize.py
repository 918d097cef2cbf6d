"""Turning an operation's arguments into the parts of an HTTP request (pure, no I/O).

Values arrive as Python objects from the generated pydantic argument models; OpenAPI's
parameter styles decide their text. Every value is percent-encoded as data, never as syntax: a
path argument of `../admin` or `x?y#z` stays one path segment, so an argument can only ever
address the operation it was given for. Every name the request will carry is listed as it is
built, so that `binding.check_bound` can refuse a second source for a bound parameter's name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from specagent_runtime._errors import RequestError
from specagent_runtime._http.binding import (
    FREE_JSON,
    HEADER,
    JSON_FIELD,
    Sent,
    check_bound,
    refuse_routing_header,
)
from specagent_runtime._lazy import lazy_module
from specagent_runtime._spec import Arg, OperationSpec

if TYPE_CHECKING:
    import pydantic
    import pydantic_core
else:
    # Values come from argument models, so pydantic is loaded by the time one is serialised;
    # a cold start that only builds the client does not load it.
    pydantic = lazy_module("pydantic")
    pydantic_core = lazy_module("pydantic_core")

# Characters a query value may keep unencoded with `allowReserved` (RFC 3986 reserved, minus
# the ones that would end the value or the query: & = #).
_RESERVED = ":/?[]@!$'()*+,;"
# Cookie values: everything printable except what would end the cookie or the header.
_COOKIE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~,"
# OpenAPI: header parameters with these names SHALL be ignored (the runtime sets them).
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}

Multipart = list[tuple[str, tuple[str | None, Any, str | None]]]


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """The request parts built from one call's arguments.

    `path` and `query` are already percent-encoded; the client only appends them to the base
    URL. `files` is set for multipart bodies (httpx builds the boundary), else `content`.
    """

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    files: Multipart | None = None


@dataclass(slots=True)
class _Parts:
    """The request being built, argument by argument."""

    path_values: dict[str, str] = field(default_factory=dict)
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    body: dict[str, object] = field(default_factory=dict)
    whole_body: object = None
    sent: list[Sent] = field(default_factory=list)  # every name, by the argument it came from


def prepare_request(op: OperationSpec, args: Mapping[str, object]) -> PreparedRequest:
    """Build the request parts for `op` from `args` (keyed by `Arg.key`; None means omit)."""
    by_key = {arg.key: arg for arg in op.args}
    unknown = sorted(set(args) - set(by_key))
    if unknown:
        raise RequestError(f"unknown argument {unknown[0]!r} for {op.id}", operation_id=op.id)
    parts = _Parts()
    for arg in op.args:
        value = args.get(arg.key)
        if value is None:
            if arg.location == "path":
                raise RequestError(
                    f"missing required path argument {arg.key!r} for {op.id}", operation_id=op.id
                )
            continue
        try:
            _place(op, arg, value, parts)
        except ValueError as exc:  # NaN/infinity in a JSON-encoded parameter
            raise RequestError(
                f"argument {arg.key!r} of {op.id}: {exc}", operation_id=op.id
            ) from None
    headers = parts.headers
    if parts.cookies:
        headers["Cookie"] = "; ".join(parts.cookies)
    path = _fill_path(op, parts.path_values)
    raw_body = parts.body if op.body_flattened else parts.whole_body
    content, files, content_type = _body(op, raw_body)
    if op.bound:
        if content is not None or files is not None:
            parts.sent.extend(_body_names(op, raw_body))
        check_bound(op, _bound_names(op), parts.sent)
    if content_type:
        headers["Content-Type"] = content_type
    return PreparedRequest(
        method=op.method.upper(),
        path=path,
        query="&".join(f"{k}={v}" for k, v in parts.query),
        headers=headers,
        content=content,
        files=files,
    )


def _place(op: OperationSpec, arg: Arg, value: object, parts: _Parts) -> None:
    """Put one argument's value where its location says, noting the names it adds."""
    if arg.location == "body":
        if arg.name:
            parts.body[arg.name] = value
        else:
            parts.whole_body = value
    elif arg.location == "path":
        text = _path_value(op, arg, value)
        parts.path_values[arg.name] = text
        parts.sent.extend(Sent(arg.key, "path", name) for name in _MATRIX_NAME.findall(text))
    elif arg.location == "query":
        pairs = _query_pairs(arg, value)
        parts.query.extend(pairs)
        parts.sent.extend(Sent(arg.key, "query", name) for name, _ in pairs)
    elif arg.location == "header":
        refuse_routing_header(op, arg.key, arg.name)
        if arg.name.lower() not in _IGNORED_HEADERS:
            parts.headers[arg.name] = _header_value(op, arg.name, arg, value)
            parts.sent.append(Sent(arg.key, HEADER, arg.name))
    elif arg.location == "cookie":
        cookies = _cookie_pairs(arg, value)
        parts.cookies.extend(cookies)
        parts.sent.extend(Sent(arg.key, "cookie", pair.partition("=")[0]) for pair in cookies)


def to_jsonable(value: object) -> Any:
    """The JSON value of an argument: models dumped by alias with only the fields set."""
    if type(value) is str or type(value) is int:  # the usual path ID, already JSON
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {_key_text(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=repr)
    return pydantic_core.to_jsonable_python(value, bytes_mode="base64")


def header_safe(name: str, value: str) -> str:
    """Refuse header values that could end the header (CR/LF) or that HTTP cannot carry."""
    if any(ch in value for ch in "\r\n\0"):
        raise RequestError(f"header {name!r}: the value contains a line break, refused")
    if not value.isascii():
        raise RequestError(f"header {name!r}: the value must be ASCII text")
    return value


# --- parameters ------------------------------------------------------------------------------


def _key_text(key: object) -> str:
    return str(key.value) if isinstance(key, Enum) else str(key)


def _scalar(value: Any) -> str:
    """Text of a JSON value inside a parameter; nested structures become JSON."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if type(value) is int:
        return str(value)  # what json.dumps writes, without its encoder set-up
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _param_json(arg: Arg, value: object) -> Any:
    """The value to serialise: with `content` parameters, the whole value encoded as JSON."""
    data = to_jsonable(value)
    if arg.content_type is None:
        return data
    if "json" in arg.content_type.lower():
        # ASCII-only JSON is still valid JSON, and fits in a header.
        return json.dumps(data, separators=(",", ":"), allow_nan=False)
    return _scalar(data)


def _path_value(op: OperationSpec, arg: Arg, value: object) -> str:
    data = _param_json(arg, value)
    enc = _encode_path
    name = enc(arg.name)
    if arg.style == "label":
        prefix, sep = ".", "." if arg.explode else ","
        text = prefix + _styled(data, enc, sep, arg.explode, "=")
    elif arg.style == "matrix":
        text = _matrix(name, data, arg.explode)
    else:
        text = _styled(data, enc, ",", arg.explode, "=")
    # An empty value or a dot segment would make the URL address another resource.
    if text in ("", ".", ".."):
        raise RequestError(
            f"path argument {arg.key!r} of {op.id} must not be empty, '.' or '..'",
            operation_id=op.id,
        )
    return text


def _encode_path(text: str) -> str:
    return quote(text, safe="")


def _styled(data: Any, enc: Any, sep: str, explode: bool, kv: str) -> str:
    """simple/label body: arrays joined by `sep`; objects as k,v pairs or (explode) k=v."""
    if isinstance(data, list):
        return sep.join(enc(_scalar(v)) for v in data)
    if isinstance(data, dict):
        if explode:
            return sep.join(f"{enc(k)}{kv}{enc(_scalar(v))}" for k, v in data.items())
        return sep.join(f"{enc(k)},{enc(_scalar(v))}" for k, v in data.items())
    return str(enc(_scalar(data)))


def _matrix(name: str, data: Any, explode: bool) -> str:
    enc = _encode_path
    if isinstance(data, list):
        if explode:
            return "".join(f";{name}={enc(_scalar(v))}" for v in data)
        return f";{name}=" + ",".join(enc(_scalar(v)) for v in data)
    if isinstance(data, dict):
        if explode:
            return "".join(f";{enc(k)}={enc(_scalar(v))}" for k, v in data.items())
        return f";{name}=" + ",".join(f"{enc(k)},{enc(_scalar(v))}" for k, v in data.items())
    return f";{name}={enc(_scalar(data))}"


def _fill_path(op: OperationSpec, values: Mapping[str, str]) -> str:
    path = op.path
    for name, text in values.items():
        path = path.replace("{" + name + "}", text)
    if "{" in path:
        missing = path[path.index("{") + 1 : path.index("}")] if "}" in path else path
        raise RequestError(f"no value for path parameter {missing!r} of {op.id}")
    return path if path.startswith("/") else "/" + path


def _query_pairs(arg: Arg, value: object) -> list[tuple[str, str]]:
    data = _param_json(arg, value)

    def enc(text: str) -> str:
        return quote(text, safe=_RESERVED if arg.allow_reserved else "")

    name = quote(arg.name, safe="[]")
    # Items are encoded, so a literal comma is unambiguous (and what OpenAPI's examples show).
    delimiter = quote(_DELIMITERS.get(arg.style, ","), safe=",")
    if arg.style == "deepObject" and isinstance(data, dict):
        return [(k, enc(v)) for k, v in _deep_pairs(name, data)]
    if isinstance(data, list):
        if arg.explode:
            return [(name, enc(_scalar(v))) for v in data]
        return [(name, delimiter.join(enc(_scalar(v)) for v in data))]
    if isinstance(data, dict):
        if arg.explode:
            return [(quote(k, safe="[]"), enc(_scalar(v))) for k, v in data.items()]
        flat = [enc(part) for k, v in data.items() for part in (k, _scalar(v))]
        return [(name, delimiter.join(flat))]
    return [(name, enc(_scalar(data)))]


def _deep_pairs(prefix: str, data: Any) -> list[tuple[str, str]]:
    """`filter[name]=x` for objects, nested as `a[b][c]`; arrays repeat the key."""
    if isinstance(data, dict):
        pairs: list[tuple[str, str]] = []
        for key, value in data.items():
            pairs.extend(_deep_pairs(f"{prefix}[{quote(key, safe='')}]", value))
        return pairs
    if isinstance(data, list):
        return [(prefix, _scalar(v)) for v in data]
    return [(prefix, _scalar(data))]


def _header_value(op: OperationSpec, name: str, arg: Arg, value: object) -> str:
    data = _param_json(arg, value)
    text = _styled(data, _identity, ",", arg.explode, "=")
    try:
        return header_safe(name, text)
    except RequestError as exc:
        raise RequestError(f"argument {arg.key!r}: {exc.message}", operation_id=op.id) from None


def _identity(text: str) -> str:
    return text


def _cookie_pairs(arg: Arg, value: object) -> list[str]:
    data = _param_json(arg, value)

    def enc(text: str) -> str:
        return quote(text, safe=_COOKIE_SAFE)

    name = enc(arg.name)
    if isinstance(data, list) and arg.explode:
        return [f"{name}={enc(_scalar(v))}" for v in data]
    if isinstance(data, dict) and arg.explode:
        return [f"{enc(k)}={enc(_scalar(v))}" for k, v in data.items()]
    return [f"{name}={_styled(data, enc, ',', False, '=')}"]


# --- the names a request carries ------------------------------------------------------------

_MATRIX_NAME = re.compile(r";([^;=]*)=")  # `;name=` in a matrix-style path segment


def _body_place(op: OperationSpec) -> str:
    base = (op.body_media_type or "application/json").split(";")[0].strip().lower()
    if base == "multipart/form-data":
        return "multipart"
    if base == "application/x-www-form-urlencoded":
        return "form"
    return FREE_JSON if _is_json(base) else ""


def _bound_names(op: OperationSpec) -> list[Sent]:
    """Where each bound argument puts its name (whether or not it has a value this time)."""
    targets = []
    for arg in op.args:
        if arg.key not in op.bound or (arg.location == "body" and not arg.name):
            continue
        place: str = arg.location
        if place == "body":
            place = _body_place(op)
            if place == FREE_JSON:
                place = JSON_FIELD
        targets.append(Sent(arg.key, place, arg.name))
    return targets


def _body_names(op: OperationSpec, raw: object) -> list[Sent]:
    """The top-level names of an object body (form fields with their `a[b]` keys, parts, JSON
    keys), each credited to the argument it came from."""
    place = _body_place(op)
    if not place or isinstance(raw, bytes | bytearray | memoryview | str) or hasattr(raw, "read"):
        return []
    data = to_jsonable(raw)
    if not isinstance(data, dict):
        return []
    whole = next((a.key for a in op.args if a.location == "body" and not a.name), "body")
    by_name = {a.name: a.key for a in op.args if a.location == "body" and a.name}
    found: list[Sent] = []
    for key, value in data.items():
        if value is None:  # left out of the body, as `_body_fields` does
            continue
        owner = by_name.get(key, whole) if op.body_flattened else whole
        if place == "form":
            found.extend(Sent(owner, place, name) for name, _ in _form_pairs(key, value))
            continue
        if place == FREE_JSON and op.body_flattened and key in by_name:
            found.append(Sent(owner, JSON_FIELD, key))
            continue
        found.append(Sent(owner, place, key))
    return found


# --- bodies ----------------------------------------------------------------------------------


def _body(op: OperationSpec, raw: object) -> tuple[bytes | None, Multipart | None, str | None]:
    """(content, multipart files, Content-Type) for the body value of `op`."""
    media_type = op.body_media_type
    has_value = raw is not None and not (op.body_flattened and raw == {})
    if not has_value:
        if op.body_required and op.body_flattened and media_type:
            raw = {}
        elif op.body_required:
            raise RequestError(f"missing required request body for {op.id}", operation_id=op.id)
        else:
            return None, None, None
    if media_type is None:
        media_type = "application/json"
    base = media_type.split(";")[0].strip().lower()
    try:
        if base == "multipart/form-data":
            return None, _multipart(op, raw), None
        if base == "application/x-www-form-urlencoded":
            return _urlencoded(op, raw), None, media_type
        if isinstance(raw, bytes | bytearray | memoryview):
            return bytes(raw), None, media_type
        if hasattr(raw, "read"):
            return _read_file(raw), None, media_type
        if _is_json(base):
            data = to_jsonable(raw)
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            return text.encode("utf-8"), None, media_type
        if base.startswith("text/"):
            text = raw if isinstance(raw, str) else _scalar(to_jsonable(raw))
            charset = "" if "charset" in media_type.lower() else "; charset=utf-8"
            return text.encode("utf-8"), None, media_type + charset
        if isinstance(raw, str):
            return raw.encode("utf-8"), None, media_type
    except ValueError as exc:  # NaN/infinity in JSON, unencodable values
        raise RequestError(f"request body of {op.id}: {exc}", operation_id=op.id) from None
    raise RequestError(
        f"request body of {op.id}: a {media_type} body needs bytes, str or a file, "
        f"not {type(raw).__name__}",
        operation_id=op.id,
    )


def _is_json(base: str) -> bool:
    return base in ("application/json", "*/*", "application/*") or base.endswith("+json")


def _read_file(raw: object) -> bytes:
    data = raw.read()  # type: ignore[attr-defined]
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise ValueError(f"the file object returned {type(data).__name__}, not bytes")


def _body_fields(op: OperationSpec, raw: object, mode: str) -> dict[str, Any]:
    if isinstance(raw, pydantic.BaseModel):
        raw = raw.model_dump(mode=mode, by_alias=True, exclude_unset=True)
    if not isinstance(raw, Mapping):
        raise RequestError(
            f"request body of {op.id}: a form body must be an object, not {type(raw).__name__}",
            operation_id=op.id,
        )
    return {_key_text(k): v for k, v in raw.items() if v is not None}


def _urlencoded(op: OperationSpec, raw: object) -> bytes:
    """Form fields; nested objects as `a[b]=x` and arrays of objects as `a[0][b]=x`.

    That is the deepObject convention of the form APIs in the wild (Stripe), which the
    OperationSpec cannot tell apart from OpenAPI's JSON default; arrays of scalars repeat the key.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in _body_fields(op, raw, "json").items():
        pairs.extend(_form_pairs(key, value))
    return urlencode(pairs).encode("ascii")


def _form_pairs(prefix: str, data: Any) -> list[tuple[str, str]]:
    if isinstance(data, dict):
        return [pair for k, v in data.items() for pair in _form_pairs(f"{prefix}[{k}]", v)]
    if isinstance(data, list):
        if all(not isinstance(v, dict | list) for v in data):
            return [(prefix, _scalar(v)) for v in data]
        return [pair for i, v in enumerate(data) for pair in _form_pairs(f"{prefix}[{i}]", v)]
    return [(prefix, _scalar(data))]


def _multipart(op: OperationSpec, raw: object) -> Multipart:
    """Parts: bytes and files as file parts, scalars as text, objects as JSON parts."""
    parts: Multipart = []
    for name, value in _body_fields(op, raw, "python").items():
        items = value if isinstance(value, list | tuple) and not _is_file_tuple(value) else [value]
        for item in items:
            parts.append((name, _part(name, item)))
    return parts


def _is_file_tuple(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) in (2, 3)
        and isinstance(value[0], str)
        and isinstance(value[1], bytes | bytearray)
    )


def _part(name: str, item: object) -> tuple[str | None, Any, str | None]:
    if isinstance(item, bytes | bytearray | memoryview):
        return name, bytes(item), "application/octet-stream"
    if isinstance(item, tuple) and _is_file_tuple(item):
        content_type = str(item[2]) if len(item) == 3 else "application/octet-stream"
        return str(item[0]), bytes(item[1]), content_type
    if hasattr(item, "read"):
        filename = str(getattr(item, "name", name)).replace("\\", "/").rsplit("/", 1)[-1]
        return filename, _read_file(item), "application/octet-stream"
    data = to_jsonable(item)
    if isinstance(data, dict | list):
        return None, json.dumps(data, separators=(",", ":"), ensure_ascii=False), "application/json"
    return None, _scalar(data).encode("utf-8"), None
