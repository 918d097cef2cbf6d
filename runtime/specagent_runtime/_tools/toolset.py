"""The tools of a generated package: which to offer, what the model sees, how a call runs.

Every check that protects the customer happens here, before anything is sent to the API: tools
bound to the verified identity are offered only when that identity is known, their bound
arguments are filled by the runtime and hidden from the model's schema, and a model that tries to
pass one anyway is refused. Refusals and API errors come back as `ToolResult`s the model can act
on, never as exceptions, because the model (not the developer) has to recover from them.
"""

from __future__ import annotations

import copy
import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from specagent_runtime._errors import ApiError, ConfigurationError
from specagent_runtime._http.client import AsyncApiClient
from specagent_runtime._identity import Identity, verified_identity
from specagent_runtime._lazy import lazy_module
from specagent_runtime._secrets import redact_known
from specagent_runtime._spec import ToolSpec
from specagent_runtime._tools.agent_json import load_agent_json
from specagent_runtime._tools.index import FIND_TOOLS, INDEX_TOOLS, find, index_tools
from specagent_runtime._tools.shaping import (
    dumps,
    fit,
    owned_by,
    scrub_error,
    shape,
    to_json_data,
)

if TYPE_CHECKING:
    import pydantic
    from pydantic import BaseModel, ValidationError
else:
    # Loaded with the first call's argument model: building the tool list needs no pydantic.
    pydantic = lazy_module("pydantic")

logger = logging.getLogger("specagent_runtime.tools")

HANDOFF_TOOL = "handoff_to_human"
# What the model is told a call of the hand-off tool did (the host routes the conversation).
HANDOFF_RESULT = "a human colleague will take over"
HANDOFF_SCHEMA: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": HANDOFF_TOOL,
        "description": (
            "Hand the conversation to a human colleague: when the customer asks for a person, "
            "when no tool can do what they need, or when something went wrong."
        ),
        "parameters": {
            "type": "object",
            "properties": {
                "reason": {
                    "type": "string",
                    "description": "Why a human should take over, for the colleague.",
                }
            },
            "required": ["reason"],
        },
    },
}

Status = Literal["ok", "error", "confirmation_required"]

# What the model is told when an `owner:` check withholds a response.
WITHHELD = (
    "withheld: the service answered with a record that does not belong to the verified "
    "customer, so nothing of it is shown. Tell the customer you cannot show it, and offer a "
    "human colleague if they need more."
)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call produced, as the model will see it.

    `data` is the shaped response (JSON data) when the call succeeded; `message` explains a
    refusal, an API error or a pending confirmation in words the model can relay or act on.
    """

    tool: str
    status: Status
    data: Any = None
    message: str = ""
    truncated: bool = False
    # The API's HTTP status when it refused (404...), for the lookup budgets; never shown.
    api_status: int | None = None

    @classmethod
    def error(cls, tool: str, message: str) -> ToolResult:
        return cls(tool, "error", message=message)

    @property
    def is_error(self) -> bool:
        return self.status == "error"

    def for_model(self) -> str:
        """The tool message content: a labelled JSON envelope, so the model can tell where the
        company's data starts and ends (and the system prompt says such data is not an order)."""
        envelope: dict[str, Any] = {"tool": self.tool, "status": self.status}
        if self.status == "ok":
            envelope["data"] = self.data
            if self.truncated:
                envelope["truncated"] = True
        else:
            envelope["message"] = self.message
        # An API may hand back a credential in a body (an echoed key, a token): never to the
        # model, nor to the stored conversation that keeps this text.
        return redact_known(dumps(envelope))


@dataclass(frozen=True, slots=True)
class PreparedCall:
    """A call that passed every check, ready to run.

    `arguments` are all argument values after binding, as JSON keyed by argument key (what a
    confirmation compares and stores); `model_arguments` are only those the model chose.
    """

    spec: ToolSpec
    arguments: Mapping[str, Any]
    model_arguments: Mapping[str, Any]
    values: BaseModel = field(repr=False)
    # The verified customer's value the response's owner field must equal (`ToolSpec.owner`).
    owner: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class AgentInfo:
    name: str
    instructions: str
    version: str = ""  # the API's version (agent.json of packages generated before: none)


def _copy_json(value: Any) -> Any:
    """A copy of JSON data (dicts, lists, scalars) the caller may change: several times
    faster than `copy.deepcopy`, which a cold start paid for every schema of a big API."""
    if isinstance(value, dict):  # before Mapping: an ABC check costs ten times more
        return {key: _copy_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _copy_json(item) for key, item in value.items()}
    return value


def _summarise(error: ValidationError, bound: Mapping[str, str]) -> str:
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        where = f"`{'.'.join(str(part) for part in item['loc']) or 'arguments'}`"
        if item["loc"] and str(item["loc"][0]) in bound:
            # Not the model's fault, and the customer's value is not its to see.
            where += " (the verified customer's)"
        problems.append(f"{where}: {item['msg']}")
    return "invalid arguments: " + "; ".join(problems)


class Toolset:
    """A generated package's tools bound to one API client.

    `execute` does not ask for confirmation itself (the `Agent` does, across turns); a host that
    calls it directly for a tool with ``confirm`` must pass ``confirmed=True`` after asking.
    """

    def __init__(
        self,
        specs: list[ToolSpec],
        client: AsyncApiClient,
        *,
        package: str,
        agent: AgentInfo | None = None,
        result_budget: int = 4000,
        index_above: int | None = None,
    ) -> None:
        names = [spec.name for spec in specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates or HANDOFF_TOOL in names:
            clash = duplicates or [HANDOFF_TOOL]
            raise ConfigurationError(
                f"{package}/agent.json: tool names must be unique, {clash} repeat"
            )
        self.specs = list(specs)
        self.client = client
        self.package = package
        self.agent = agent or AgentInfo(name=package, instructions="")
        self.result_budget = result_budget
        # More tools offered than this: the model gets `find_tools`/`call_tool` and an index
        # instead of every schema (see `index`). None: always every schema.
        self.index_above = index_above
        self._by_name = {spec.name: spec for spec in specs}
        self._models: Any = None

    @classmethod
    def from_package(
        cls, package: str, client: AsyncApiClient, *, result_budget: int = 4000
    ) -> Toolset:
        """Read ``<package>/agent.json``; the models module is imported on the first call."""
        data = load_agent_json(package)
        return cls.from_agent_json(package, data, client, result_budget=result_budget)

    @classmethod
    def from_agent_json(
        cls,
        package: str,
        data: Mapping[str, Any],
        client: AsyncApiClient,
        *,
        result_budget: int = 4000,
    ) -> Toolset:
        """The tools of an ``agent.json`` already read (`load_agent_json`)."""
        try:
            agent = data.get("agent", {})
            specs = [ToolSpec.from_json(tool) for tool in data["tools"]]
            info = AgentInfo(
                str(agent.get("name", package)),
                str(agent.get("instructions", "")),
                str(agent.get("version", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(
                f"{package}/agent.json: cannot read the tools ({type(exc).__name__}: {exc})"
            ) from exc
        return cls(specs, client, package=package, agent=info, result_budget=result_budget)

    def get(self, name: str) -> ToolSpec | None:
        return self._by_name.get(name)

    def offered(self, identity: Identity | None) -> list[ToolSpec]:
        """Tools whose bound arguments this identity can fill (all unbound tools without one)."""
        return [spec for spec in self.specs if self._can_bind(spec, identity)]

    @staticmethod
    def _can_bind(spec: ToolSpec, identity: Identity | None) -> bool:
        fields = [*spec.bindings.values(), *([spec.owner[1]] if spec.owner else [])]
        if not fields:
            return True
        identity = verified_identity(identity)
        return identity is not None and all(identity.get(f) for f in fields)

    def model_schema(self, spec: ToolSpec) -> dict[str, Any]:
        """The input schema without the bound arguments: the model cannot name what it cannot
        see, so it cannot ask about another customer."""
        schema: dict[str, Any] = _copy_json(spec.input_schema)
        properties = dict(schema.get("properties", {}))
        for key in spec.bindings:
            properties.pop(key, None)
        schema["properties"] = properties
        required = [key for key in schema.get("required", []) if key not in spec.bindings]
        if required:
            schema["required"] = required
        else:
            schema.pop("required", None)
        return schema

    def indexed(self, identity: Identity | None) -> bool:
        """Whether this identity is offered the compact index rather than every schema."""
        return self.index_above is not None and len(self.offered(identity)) > self.index_above

    def openai_tools(self, identity: Identity | None) -> list[dict[str, Any]]:
        """The chat-completions ``tools`` list for this identity, hand-off included."""
        if self.indexed(identity):
            return [*index_tools(self.offered(identity)), copy.deepcopy(HANDOFF_SCHEMA)]
        tools = [
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "description": spec.description,
                    "parameters": self.model_schema(spec),
                },
            }
            for spec in self.offered(identity)
        ]
        return [*tools, copy.deepcopy(HANDOFF_SCHEMA)]

    def _args_model(self, spec: ToolSpec) -> type[BaseModel]:
        if self._models is None:
            self._models = importlib.import_module(f"{self.package}.models")
        model = getattr(self._models, spec.args_model, None)
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            raise LookupError(f"{self.package}.models has no model {spec.args_model!r}")
        return model

    def prepare(
        self, name: str, arguments: Mapping[str, Any], identity: Identity | None
    ) -> PreparedCall | ToolResult:
        """Check the model's call and fill its bindings; a `ToolResult` is a refusal."""
        if name in INDEX_TOOLS and name not in self._by_name and self.indexed(identity):
            return self._through_index(name, arguments, identity)
        spec = self._by_name.get(name)
        if spec is None:
            available = ", ".join(s.name for s in self.offered(identity)) or "none"
            return ToolResult.error(name, f"there is no tool `{name}`; the tools are: {available}")
        if not self._can_bind(spec, identity):
            return ToolResult.error(
                name,
                f"`{name}` works only for a verified customer, and this customer is not "
                "verified; help without it or hand off to a human",
            )
        chosen = sorted(key for key in arguments if key in spec.bindings)
        if chosen:
            listed = ", ".join(f"`{key}`" for key in chosen)
            return ToolResult.error(
                name,
                f"you cannot choose {listed}; it is the verified customer's and is filled in "
                "automatically. Call the tool again without it.",
            )
        known = set(spec.input_schema.get("properties", {}))
        unknown = sorted(key for key in arguments if key not in known)
        if unknown:
            allowed = ", ".join(sorted(known - set(spec.bindings))) or "none"
            return ToolResult.error(
                name, f"unknown arguments {unknown}; the arguments of `{name}` are: {allowed}"
            )
        mistyped = _booleans_for_numbers(spec, arguments)
        if mistyped:
            return ToolResult.error(
                name, f"{', '.join(mistyped)}: expected a number, not true/false"
            )
        verified = verified_identity(identity)
        bound = {key: verified.get(f) for key, f in spec.bindings.items()} if verified else {}
        return self._validate(spec, {**arguments, **bound}, dict(arguments), verified)

    def _through_index(
        self, name: str, arguments: Mapping[str, Any], identity: Identity | None
    ) -> PreparedCall | ToolResult:
        if name == FIND_TOOLS:
            found = find(arguments, self.offered(identity), self.model_schema)
            return ToolResult(name, "ok", data=found)
        inner, inner_arguments = arguments.get("name"), arguments.get("arguments", {})
        if not isinstance(inner, str) or not isinstance(inner_arguments, Mapping):
            return ToolResult.error(
                name, "call_tool takes `name` (a tool from find_tools) and `arguments` (an object)"
            )
        if inner in INDEX_TOOLS:
            return ToolResult.error(name, f"`{inner}` cannot be run through call_tool")
        return self.prepare(inner, inner_arguments, identity)

    def resume(
        self, name: str, arguments: Mapping[str, Any], identity: Identity | None = None
    ) -> PreparedCall | ToolResult:
        """Rebuild a call from arguments that were checked and bound earlier (a stored pending
        action), validating them again against the current models. `identity` is the one
        confirming it, whose value an `owner:` check compares (without it, a tool with such
        a check shows nothing of its response)."""
        spec = self._by_name.get(name)
        if spec is None:
            return ToolResult.error(name, f"the tool `{name}` no longer exists")
        model_arguments = {k: v for k, v in arguments.items() if k not in spec.bindings}
        return self._validate(spec, arguments, model_arguments, verified_identity(identity))

    def _validate(
        self,
        spec: ToolSpec,
        data: Mapping[str, Any],
        model_arguments: dict[str, Any],
        identity: Identity | None,
    ) -> PreparedCall | ToolResult:
        try:
            model = self._args_model(spec)
        except (ImportError, LookupError):
            # The package is inconsistent (edited by hand?): a developer's problem, not the
            # model's, but the conversation can still go on without this tool.
            logger.exception("tool %s: cannot load its argument model", spec.name)
            return ToolResult.error(
                spec.name, "this tool is not available right now; offer to hand off to a human"
            )
        try:
            values = model.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            return ToolResult.error(spec.name, _summarise(exc, spec.bindings))
        normalised = values.model_dump(mode="json", by_alias=True, exclude_unset=True)
        owner = identity.get(spec.owner[1]) if spec.owner and identity is not None else None
        return PreparedCall(spec, normalised, model_arguments, values, owner)

    async def run(self, call: PreparedCall) -> ToolResult:
        """Send the call to the API and shape the response for the model."""
        spec = call.spec
        kwargs = {name: getattr(call.values, name) for name in type(call.values).model_fields}
        try:
            response = await getattr(self.client, spec.client_method)(**kwargs)
        except ApiError as exc:
            # str(exc) is the developer's view (operation, status, body excerpt, no secrets);
            # neither view keeps a value of a field the tool redacts.
            exc = scrub_error(exc, spec.redact)
            logger.info("tool %s: %s", spec.name, exc)
            return ToolResult(
                spec.name, "error", message=exc.model_message(), api_status=exc.status
            )
        except Exception:
            logger.exception("tool %s failed unexpectedly", spec.name)
            return ToolResult.error(
                spec.name,
                "the tool failed for a technical reason; nothing is known about the "
                "outcome. Do not retry; offer to hand off to a human.",
            )
        try:
            json_data = to_json_data(response)
        except Exception:
            json_data = _UNSHAPED
        if spec.owner is not None and (
            json_data is _UNSHAPED or not owned_by(json_data, spec.owner[0], call.owner)
        ):
            # The API answered with someone else's record: nothing of it is shown or kept.
            logger.warning(
                "tool %s: the response's %s is not the verified customer's %s; withheld",
                spec.name,
                spec.owner[0],
                spec.owner[1],
            )
            return ToolResult.error(spec.name, WITHHELD)
        try:
            if json_data is _UNSHAPED:
                raise ValueError("the response cannot be turned into JSON data")
            data = shape(json_data, expose_paths=spec.expose, redact_paths=spec.redact)
            data, truncated = fit(data, self.result_budget)
        except Exception:
            # The call itself succeeded: say so, so the model does not retry an action.
            logger.exception("tool %s: the response could not be shaped", spec.name)
            return ToolResult(
                spec.name, "ok", data={"result": "done; the response cannot be shown"}
            )
        return ToolResult(spec.name, "ok", data=data, truncated=truncated)

    async def execute(
        self,
        name: str,
        arguments: Mapping[str, Any],
        identity: Identity | None = None,
        *,
        confirmed: bool = False,
    ) -> ToolResult:
        """Check, bind and run one call outside an agent (another host, a test)."""
        prepared = self.prepare(name, arguments, identity)
        if isinstance(prepared, ToolResult):
            return prepared
        if prepared.spec.confirm and not confirmed:
            return ToolResult.error(
                name, f"`{name}` needs the customer's confirmation before it runs"
            )
        return await self.run(prepared)


# The response could not be turned into JSON data (it is then neither shown nor owned).
_UNSHAPED = object()


def _booleans_for_numbers(spec: ToolSpec, arguments: Mapping[str, Any]) -> list[str]:
    """Arguments where the model sent true/false for a number. pydantic's lax mode would read
    `true` as 1, and a tool would then act on order 1 instead of refusing."""
    properties = spec.input_schema.get("properties", {})
    found = []
    for key, value in arguments.items():
        schema = properties.get(key)
        if isinstance(value, bool) and isinstance(schema, Mapping):
            kinds = schema.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if ("integer" in kinds or "number" in kinds) and "boolean" not in kinds:
                found.append(f"`{key}`")
    return found
