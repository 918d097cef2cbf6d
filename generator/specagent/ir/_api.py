"""The API as the spec describes it, after loading: operations, schemas, servers, security."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from specagent.ir._diagnostic import Diagnostic, Location

JsonSchema = Mapping[str, Any]

_NOWHERE = Location("")  # IR built by hand (tests) has no place in a spec


# The operations a path item may hold, as OpenAPI names them (lower case), in its order.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ParamLocation(StrEnum):
    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    COOKIE = "cookie"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: ParamLocation
    required: bool
    schema: JsonSchema
    description: str = ""
    # Style and explode are resolved to the OpenAPI defaults for the location, never None.
    style: str = "simple"
    explode: bool = False
    allow_reserved: bool = False
    deprecated: bool = False
    # Set when the parameter is described with `content` instead of `schema` (serialised as
    # that media type, usually JSON).
    content_type: str | None = None
    where: Location = _NOWHERE  # its place in the spec


@dataclass(frozen=True, slots=True)
class MediaType:
    name: str
    schema: JsonSchema | None


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    description: str
    content: tuple[MediaType, ...]
    where: Location = _NOWHERE  # its place in the spec


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # "200", "2XX", "default"
    description: str
    content: tuple[MediaType, ...]


@dataclass(frozen=True, slots=True)
class SecurityRequirement:
    """All schemes in one requirement apply together (AND); requirements are alternatives."""

    schemes: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class ServerVariable:
    name: str
    default: str
    enum: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Server:
    url: str  # as written, with {variables}
    resolved_url: str  # variables replaced by their defaults
    description: str = ""
    variables: tuple[ServerVariable, ...] = ()


@dataclass(frozen=True, slots=True)
class Operation:
    id: str  # unique; from operationId, or synthesised from method and path
    method: str  # lower case, one of HTTP_METHODS
    path: str
    summary: str
    description: str
    tags: tuple[str, ...]
    deprecated: bool
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    # Effective security: the operation's own, else the document's. () means no auth.
    security: tuple[SecurityRequirement, ...]
    servers: tuple[Server, ...] = ()
    original_id: str | None = None  # operationId as written, if any
    where: Location = _NOWHERE  # its place in the spec


@dataclass(frozen=True, slots=True)
class OAuthFlow:
    kind: str  # clientCredentials, authorizationCode, password, implicit
    token_url: str = ""
    authorization_url: str = ""
    refresh_url: str = ""
    scopes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    name: str  # key under components.securitySchemes
    type: str  # apiKey, http, oauth2, openIdConnect, mutualTLS
    description: str = ""
    param_name: str = ""  # apiKey: header/query/cookie name
    location: str = ""  # apiKey: header, query or cookie
    scheme: str = ""  # http: bearer, basic, ...
    bearer_format: str = ""
    flows: tuple[OAuthFlow, ...] = ()
    openid_connect_url: str = ""


@dataclass(frozen=True, slots=True)
class Api:
    title: str
    version: str
    description: str
    source_version: str  # "2.0", "3.0.3", "3.1.0" as the document declared it
    servers: tuple[Server, ...]
    operations: tuple[Operation, ...]
    schemas: Mapping[str, JsonSchema]  # components.schemas, names as in the spec
    security_schemes: tuple[SecurityScheme, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
