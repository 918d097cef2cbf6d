"""The intermediate representation between a loaded spec and the renderers.

Everything the templates see comes from here: frozen, slotted dataclasses built once from the
normalised spec. Schemas stay JSON Schema mappings (OpenAPI 3.1 flavour, every `$ref` local to
`#/components/schemas/...`), because datamodel-code-generator and the tool schemas both consume
JSON Schema, and re-modelling JSON Schema as classes would only lose information.

The stages, each a module: the spec as loaded (`_api`), the agent file as read with its tasks as
declared (`_agent`), the plan the renderers follow (`_plan`); diagnostics (`_diagnostic`) are
values every stage makes.
"""

from specagent.ir._agent import (
    AgentConfig,
    AskStep,
    CallStep,
    ConfirmStep,
    ContextDecl,
    ContextSource,
    EndStep,
    Expression,
    HandoffStep,
    IfStep,
    InputDecl,
    InstructStep,
    LiteralValue,
    RespondStep,
    Selection,
    SetStep,
    Step,
    TaskDecl,
    ToolOverride,
)
from specagent.ir._api import (
    Api,
    JsonSchema,
    MediaType,
    OAuthFlow,
    Operation,
    Parameter,
    ParamLocation,
    RequestBody,
    Response,
    SecurityRequirement,
    SecurityScheme,
    Server,
    ServerVariable,
)
from specagent.ir._diagnostic import Diagnostic, Severity
from specagent.ir._plan import Argument, Endpoint, Plan, Tool

__all__ = [
    "AgentConfig",
    "Api",
    "Argument",
    "AskStep",
    "CallStep",
    "ConfirmStep",
    "ContextDecl",
    "ContextSource",
    "Diagnostic",
    "EndStep",
    "Endpoint",
    "Expression",
    "HandoffStep",
    "IfStep",
    "InputDecl",
    "InstructStep",
    "JsonSchema",
    "LiteralValue",
    "MediaType",
    "OAuthFlow",
    "Operation",
    "ParamLocation",
    "Parameter",
    "Plan",
    "RequestBody",
    "RespondStep",
    "Response",
    "SecurityRequirement",
    "SecurityScheme",
    "Selection",
    "Server",
    "ServerVariable",
    "SetStep",
    "Severity",
    "Step",
    "TaskDecl",
    "Tool",
    "ToolOverride",
]
