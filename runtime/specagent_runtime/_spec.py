"""Plain data the generated packages hand to the runtime.

This module is the contract between specagent (the generator) and the runtime: generated
`_operations.py` builds `OperationSpec`s, generated `auth.py` builds the scheme descriptors, and
the package's `agent.json` is read into `ToolSpec`s. Keep it backwards compatible: committed
packages in users' repositories construct these exact classes and ship that `agent.json`. The
HTTP method sets live here too, so that the generator and the runtime share one meaning of
"safe" and "idempotent".
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from specagent_runtime._lazy import load

ArgLocation = Literal["path", "query", "header", "cookie", "body"]

# HTTP methods in upper case, as in `OperationSpec.method` (compare ``method.upper()``).
# Safe (RFC 9110 9.2.1): read-only, so a tool for one needs no confirmation.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Idempotent (RFC 9110 9.2.2): sending twice has the effect of sending once, so may be retried.
IDEMPOTENT_METHODS = SAFE_METHODS | {"PUT", "DELETE"}

# Header names that choose where a request goes (virtual host, the client address proxies trust,
# the path or method a gateway acts on) or how it is framed: never an argument anyone may set.
# The generator drops such parameters from the tools; the runtime refuses them (`_http.binding`).
ROUTING_HEADERS = frozenset(
    {
        "host",
        "forwarded",
        "via",
        "x-real-ip",
        "x-client-ip",
        "client-ip",
        "true-client-ip",
        "cf-connecting-ip",
        "fastly-client-ip",
        "x-cluster-client-ip",
        "x-original-url",
        "x-rewrite-url",
        "x-original-host",
        "x-host",
        "x-http-method-override",
        "x-http-method",
        "x-method-override",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "cookie",
    }
)
_ROUTING_PREFIXES = ("x-forwarded-", "x-envoy-")


def is_routing_header(name: str) -> bool:
    """Whether a header parameter named `name` would steer routing or framing (see
    `ROUTING_HEADERS`; any `X-Forwarded-*` too), compared case-blind."""
    lowered = name.strip().lower().replace("_", "-")
    return lowered in ROUTING_HEADERS or lowered.startswith(_ROUTING_PREFIXES)


@dataclass(frozen=True, slots=True)
class Arg:
    """One flat argument of an operation.

    `key` is the argument's unique name (what callers and the model pass); `name` is the wire
    name. With location "body", `name` is a property of an object body, or "" for the whole body.
    """

    key: str
    name: str
    location: ArgLocation
    style: str = "simple"
    explode: bool = False
    allow_reserved: bool = False
    content_type: str | None = None  # parameter serialised as this media type (usually JSON)


@dataclass(frozen=True, slots=True)
class OperationSpec:
    id: str
    method: str  # upper case
    path: str  # template, e.g. "/store/order/{orderId}"
    args: tuple[Arg, ...] = ()
    body_media_type: str | None = None
    body_flattened: bool = False
    body_required: bool = False
    # Alternatives (OR) of scheme-name groups (AND). () means the operation needs no auth;
    # a group () among others means auth is optional.
    security: tuple[tuple[str, ...], ...] = ()
    # The API declares an Idempotency-Key header for this operation.
    idempotency_key: bool = False
    # Response descriptions from the spec by status ("404": "Order not found"), used to turn
    # API errors into text the model can relay.
    responses: tuple[tuple[str, str], ...] = ()
    success_media_type: str | None = None
    # The operation's own server (its `servers`, else its path's) when it differs from the
    # document's: an absolute URL with server variables at their defaults, or a reference
    # relative to the client's base URL ("/v2", joined like a link). "" means the client's base
    # URL. A `base_url` given to the client overrides an absolute server too, so a test server
    # or a proxy sees every request. Never taken from arguments: the host stays pinned.
    server: str = ""
    # Argument keys the agent file binds to the verified identity (`bind:`). No other part of
    # a request may carry their wire names, nor a variant a lenient server reads the same
    # (`_http.binding`); a package generated before this field existed has none.
    bound: tuple[str, ...] = ()


# --- security scheme descriptors (from the spec) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKeyScheme:
    name: str
    param_name: str
    location: Literal["header", "query", "cookie"]
    env: str  # environment variable holding the key


@dataclass(frozen=True, slots=True)
class HttpBearerScheme:
    name: str
    env: str  # environment variable holding the token


@dataclass(frozen=True, slots=True)
class HttpBasicScheme:
    name: str
    env_username: str
    env_password: str


@dataclass(frozen=True, slots=True)
class OAuth2Scheme:
    """OAuth2. With a token URL the runtime runs the client-credentials flow itself; otherwise
    (authorization code, implicit, OpenID Connect) the host supplies an access token."""

    name: str
    token_url: str
    scopes: tuple[str, ...]
    env_client_id: str
    env_client_secret: str
    env_token: str  # a ready access token, used when set (or when there is no token URL)


SecurityScheme = ApiKeyScheme | HttpBearerScheme | HttpBasicScheme | OAuth2Scheme


# --- tools (from agent.json) -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool of the package, as its ``agent.json`` lists it."""

    name: str
    description: str
    operation: str  # operation id
    client_method: str  # the generated client's method (not an HTTP verb: see OperationSpec)
    args_model: str  # class name in the package's models module
    input_schema: Mapping[str, Any]  # full JSON schema, bound arguments included
    bindings: Mapping[str, str] = field(default_factory=dict)  # argument key -> identity field
    confirm: bool = False
    read_only: bool = False
    idempotent: bool = False
    expose: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    # (response field path, identity field): a response is shown only when that field equals
    # the verified customer's value (agent.yaml `owner:`); None: no check.
    owner: tuple[str, str] | None = None
    # Lookups of this tool allowed per conversation (agent file `lookup_limit`); None: the
    # agent's default for lookups anyone may make (see `_tools.limits`).
    lookup_limit: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ToolSpec:
        owner = data.get("owner")
        return cls(
            name=data["name"],
            description=data["description"],
            operation=data["operation"],
            # "method" until agent.json called it "client_method": packages generated then
            # are committed in users' repositories.
            client_method=data["client_method"] if "client_method" in data else data["method"],
            args_model=data["args_model"],
            input_schema=data["input_schema"],
            bindings=dict(data.get("bindings", {})),
            confirm=bool(data.get("confirm", False)),
            read_only=bool(data.get("read_only", False)),
            idempotent=bool(data.get("idempotent", False)),
            expose=tuple(data.get("expose", ())),
            redact=tuple(data.get("redact", ())),
            owner=(str(owner["field"]), str(owner["is"])) if owner else None,
            lookup_limit=int(data["lookup_limit"]) if data.get("lookup_limit") else None,
        )


def package_operations(package: str) -> tuple[OperationSpec, ...]:
    """The operations of a generated package, from its ``_operations`` module, by id. The
    client imports that module lazily, so its code is run here if it has not run yet (its
    namespace would otherwise be empty)."""
    module = importlib.import_module(f"{package}._operations")
    load(module)
    found = [value for value in vars(module).values() if isinstance(value, OperationSpec)]
    return tuple(sorted(found, key=lambda op: op.id))
