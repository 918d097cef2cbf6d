"""What the renderers consume: endpoints with flat arguments, tools, and the plan holding them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from specagent.ir._agent import AgentConfig
from specagent.ir._api import Api, JsonSchema, Operation
from specagent.ir._diagnostic import Diagnostic


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
    constant: str  # the name of its `OperationSpec` in the package's `_operations.py`
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
    # (response field path, identity field): the response must belong to the customer.
    owner: tuple[str, str] | None = None
    # Calls of this tool one conversation may make (agent file `lookup_limit`); None: the
    # runtime's default for lookups anyone may make.
    lookup_limit: int | None = None


@dataclass(frozen=True, slots=True)
class EnvVar:
    """An environment variable the package reads a credential from."""

    keyword: str  # the runtime scheme's constructor keyword: env, env_username, env_token, ...
    name: str  # ACME_AGENT_API_KEY
    holds: str  # what it holds, for the README: "API key"
    documented: bool = True  # listed in the README (not when the scheme never reads it)


@dataclass(frozen=True, slots=True)
class AuthScheme:
    """A security scheme of the spec that the runtime can serve, and where its credentials come
    from; schemes it cannot serve (mutual TLS, an API key in an unknown place) have none."""

    name: str  # key under components.securitySchemes
    kind: str  # api_key, basic, bearer, oauth2: the runtime's descriptor
    env: tuple[EnvVar, ...]
    param_name: str = ""  # api_key: the header, query or cookie name
    location: str = ""  # api_key: header, query or cookie
    token_url: str = ""  # oauth2: the client-credentials token endpoint, if the spec has one
    scopes: tuple[str, ...] = ()  # oauth2 with a token URL: what the operations ask for


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
    auth: tuple[AuthScheme, ...] = ()  # by scheme name
