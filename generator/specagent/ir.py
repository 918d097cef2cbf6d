"""The intermediate representation between a loaded spec and the renderers.

Everything the templates see comes from here: frozen, slotted dataclasses built once from the
normalised spec. Schemas stay JSON Schema mappings (OpenAPI 3.1 flavour, every `$ref` local to
`#/components/schemas/...`), because datamodel-code-generator and the tool schemas both consume
JSON Schema, and re-modelling JSON Schema as classes would only lose information.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JsonSchema = Mapping[str, Any]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs, reported with the others at the end.

    `where` is a JSON pointer into the spec (``openapi.yaml#/paths/~1pet/get``) or a
    ``file:line`` in the agent file; `hint` is the suggestion shown after the message.
    """

    code: str
    severity: Severity
    message: str
    where: str
    hint: str = ""

    def render(self) -> str:
        text = f"{self.severity.value}[{self.code}] {self.where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


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
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class MediaType:
    name: str
    schema: JsonSchema | None


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    description: str
    content: tuple[MediaType, ...]
    pointer: str = ""


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
    method: str  # lower case: get, put, post, delete, options, head, patch, trace
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
    pointer: str = ""


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


# --- agent.yaml ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # lower case

    def is_empty(self) -> bool:
        return not (self.operations or self.tags or self.methods)


@dataclass(frozen=True, slots=True)
class ToolOverride:
    operation_id: str
    name: str | None = None
    description: str | None = None
    confirm: bool | None = None
    # parameter (wire name, or flat argument name) -> identity field, e.g. {"email": "email"}
    bind: tuple[tuple[str, str], ...] = ()
    # Response shaping: dotted field paths the model may see (empty: all) and must not see.
    expose: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    where: str = ""  # file:line of the override, for diagnostics


@dataclass(frozen=True, slots=True)
class AgentConfig:
    name: str = ""
    instructions: str = ""
    include: Selection = field(default_factory=Selection)
    exclude: Selection = field(default_factory=Selection)
    overrides: tuple[ToolOverride, ...] = ()
    source: str = ""  # the agent file's name as given, for diagnostics and the manifest
    # Key path ("tools.include.operations[1]") -> "file:line", so checks against the spec can
    # point at the exact entry in the agent file.
    locations: Mapping[str, str] = field(default_factory=dict)
    # The raw `tasks:` mapping, kept as written until the tasks compiler exists.
    tasks: Mapping[str, Any] = field(default_factory=dict)
    # The raw `context:` mapping; `specagent.tasks` reads and checks it with line numbers.
    context: Mapping[str, Any] = field(default_factory=dict)


# --- what the renderers consume -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Argument:
    """One field of an operation's flat argument model (client method keywords and tool input).

    `key` is the unique name the model sees and the argument model's alias; it equals the wire
    name unless two locations collide, then it is ``name__location`` (FastMCP's convention).
    `location` is a parameter location or "body": a property of an object body when the body is
    flattened (`name` is the property), or the whole body when it is not (`name` == "").
    """

    key: str
    name: str
    location: str
    required: bool
    schema: JsonSchema
    description: str = ""
    style: str = "simple"
    explode: bool = False
    allow_reserved: bool = False
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An operation as the generated client exposes it: one method, one argument model."""

    operation: Operation
    method_name: str  # unique snake_case Python identifier
    args_model: str  # class name of the argument model in models.py
    arguments: tuple[Argument, ...]
    body_media_type: str | None  # the chosen request media type, if there is a body
    body_flattened: bool  # object body: its properties are arguments of their own
    body_required: bool
    success_status: str | None  # the 2xx response the method returns
    success_media_type: str | None
    success_schema: JsonSchema | None  # None: no body, or not JSON
    response_model: str | None  # class name in models.py holding success_schema
    idempotency_key: bool = False  # the API declares an Idempotency-Key header


@dataclass(frozen=True, slots=True)
class Tool:
    name: str  # ^[a-zA-Z0-9_-]{1,64}$, unique, snake_case
    description: str
    endpoint: Endpoint
    confirm: bool
    bindings: tuple[tuple[str, str], ...] = ()  # argument key -> identity field
    expose: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the renderers need: the API, the agent settings, endpoints and tools."""

    api: Api
    agent: AgentConfig
    package: str
    endpoints: tuple[Endpoint, ...]
    tools: tuple[Tool, ...]
    model_names: Mapping[str, str]  # components.schemas name -> class name in models.py
    diagnostics: tuple[Diagnostic, ...] = ()
