"""One conversation with a generated agent, turn by turn, with everything each turn did.

`AgentHarness` builds the package's agent the way a host does (`AsyncClient` + `build_agent`),
with an `ApiRecorder` under the API client and a model (a `ScriptedModel`, or any
OpenAI-compatible or Anthropic client for live runs), then plays turns: a customer message, the
host's confirm button, the host's yes/no for a task. Each turn comes back as a `TurnResult`:
the reply, its events, the model's tool calls and the API requests made meanwhile, with
`expect_*` assertions that raise `AssertionError` naming the turn.

    async with AgentHarness("shop_agent", stubs={"getOrder": {"id": 1, "status": "placed"}}) as h:
        turn = await h.say(
            "Where is order 1? Zip 10115.",
            model=[call("lookup_order", orderId=1, zip="10115"), say("It is placed.")],
        )
        turn.expect_request(operation="getOrder", path_params={"orderId": 1})
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self, cast

import httpx

from specagent_runtime._agent.loop import Agent
from specagent_runtime._errors import ModelError, SpecagentError
from specagent_runtime._events import Event, TaskWaiting, ToolCalled
from specagent_runtime._events import Reply as AgentReply
from specagent_runtime._http.auth import AccessToken, ApiKey, BasicAuth, BearerToken, Credential
from specagent_runtime._identity import Identity, fingerprint
from specagent_runtime._spec import (
    ApiKeyScheme,
    HttpBasicScheme,
    HttpBearerScheme,
    OperationSpec,
    SecurityScheme,
)
from specagent_runtime._stores.base import Store
from specagent_runtime._stores.memory import MemoryStore
from specagent_runtime.testing._checks import (
    EventPattern,
    ReplyCheck,
    RequestPattern,
    ToolPattern,
    consent_problems,
    forbidden_events,
    forbidden_requests,
    missing_events,
    missing_requests,
    missing_tools,
    not_shown_problem,
)
from specagent_runtime.testing._identities import make_identity
from specagent_runtime.testing._model import ScriptedModel, Turn
from specagent_runtime.testing._recorder import ApiRecorder, ApiRequest, Stub, package_operations

__all__ = ["AgentHarness", "TurnResult", "make_identity"]

STUB_BASE_URL = "http://api.test"
SCRIPTED_MODEL_NAME = "scripted-model"
TurnKind = Literal["customer", "host_confirms", "host_answers_task"]
_UNSET: Any = object()


def placeholder_credentials(schemes: Mapping[str, SecurityScheme]) -> dict[str, Credential]:
    """A made-up credential for every scheme: with stubs nothing leaves the process, and the
    client must not go looking for real ones (or fetch an OAuth2 token)."""
    credentials: dict[str, Credential] = {}
    for name, scheme in schemes.items():
        if isinstance(scheme, ApiKeyScheme):
            credentials[name] = ApiKey("test-api-key")
        elif isinstance(scheme, HttpBasicScheme):
            credentials[name] = BasicAuth("test", "test-password")
        elif isinstance(scheme, HttpBearerScheme):
            credentials[name] = BearerToken("test-token")
        else:
            credentials[name] = AccessToken("test-token")
    return credentials


@dataclass(frozen=True, slots=True)
class TurnResult:
    """What one turn did. `error` is set when the turn raised instead of replying."""

    number: int
    kind: TurnKind
    message: str
    reply: AgentReply | None
    requests: tuple[ApiRequest, ...]
    error: str | None = None
    unused_script: tuple[Turn, ...] = ()
    model_requests: int = 0  # requests the model received in this turn (0 when not counted)
    # When the turn failed: the tool results the scripted model was last shown, which the
    # lost reply would have reported as events.
    notes: tuple[str, ...] = ()
    # What the scripted model received in this turn (request bodies); () with a live model.
    model_saw: tuple[dict[str, Any], ...] = ()
    # The identity fingerprint of who spoke (or pressed the button): the consent check's view.
    speaker: str | None = None

    @property
    def text(self) -> str:
        return self.reply.text if self.reply is not None else ""

    @property
    def duplicate(self) -> bool:
        """The message (by its id) was handled before: the stored reply, nothing ran."""
        return self.reply is not None and self.reply.duplicate

    @property
    def events(self) -> list[Event]:
        return list(self.reply.events) if self.reply is not None else []

    @property
    def tool_calls(self) -> list[ToolCalled]:
        return [event for event in self.events if isinstance(event, ToolCalled)]

    @property
    def label(self) -> str:
        return f"turn {self.number}"

    # --- assertions (AssertionError naming the turn) ------------------------------------------

    def _fail(self, problem: str | None) -> None:
        if problem is not None:
            raise AssertionError(f"{self.label}: {problem}")

    def expect_reply(
        self,
        contains: str | Sequence[str] = (),
        *,
        not_contains: str | Sequence[str] = (),
        matches: str | None = None,
        equals: str | None = None,
    ) -> None:
        self._fail(self.error)
        check = ReplyCheck(_words(contains), _words(not_contains), matches, equals)
        self._fail(check.problem(self.text))

    def expect_request(self, **pattern: Any) -> ApiRequest:
        """A request of this turn matching `RequestPattern(**pattern)`; returns it."""
        wanted = RequestPattern(**pattern)
        self._fail(missing_requests([wanted], self.requests, "in this turn"))
        return next(r for r in self.requests if wanted.matches(r))

    def expect_no_request(self, **pattern: Any) -> None:
        self._fail(forbidden_requests([RequestPattern(**pattern)], self.requests, "in this turn"))

    def expect_event(self, kind: str, **fields: Any) -> None:
        self._fail(missing_events([EventPattern(kind, fields)], self.events, "in this turn"))

    def expect_no_event(self, kind: str, **fields: Any) -> None:
        self._fail(forbidden_events([EventPattern(kind, fields)], self.events, "in this turn"))

    def expect_not_shown(self, *texts: str) -> None:
        """None of `texts` reached the (scripted) model in this turn: a redacted field, a
        secret, another customer's data."""
        self._fail(not_shown_problem(texts, self.model_saw))

    def expect_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *, status: str | None = None
    ) -> None:
        pattern = ToolPattern(name, arguments, status)
        self._fail(missing_tools([pattern], self.tool_calls, "in this turn"))


def _words(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


class AgentHarness:
    """A generated package's agent with a recorded API and a model, for one conversation.

    - `model`: a `ScriptedModel` (the default: a new, empty one, in process), or an
      OpenAI-compatible / Anthropic SDK client for live runs (`model_name` then names the model).
    - The API: `stubs` answer by operationId; `forward` (a transport, e.g.
      ``httpx.AsyncHTTPTransport()``) with `base_url` sends everything else to a server;
      `credentials` for that server (with stubs only, made-up ones are used).
    - `client_key`: who the customer is for the lookup budgets when no identity says it (as a
      service passes a visitor id to ``respond(client_key=)``).
    """

    def __init__(
        self,
        package: str,
        *,
        model: ScriptedModel | Any | None = None,
        model_name: str = SCRIPTED_MODEL_NAME,
        stubs: Mapping[str, Stub | Sequence[Stub] | Any] | None = None,
        forward: httpx.AsyncBaseTransport | None = None,
        base_url: str | None = None,
        credentials: Mapping[str, Credential] | None = None,
        identity: Identity | None = None,
        store: Store | None = None,
        conversation_id: str = "test-conversation",
        client_key: str | None = "test-visitor",
        timeout: float = 30.0,
    ) -> None:
        self.package = package
        module = importlib.import_module(package)
        client_class = module.AsyncClient
        schemes: Mapping[str, SecurityScheme] = getattr(client_class, "security_schemes", {})
        self.operations: tuple[OperationSpec, ...] = package_operations(package)
        url = base_url or STUB_BASE_URL
        self.recorder = ApiRecorder(
            self.operations, forward=forward, base_url=url, security_schemes=schemes
        )
        for operation_id, answer in (stubs or {}).items():
            self.recorder.stub(operation_id, answer)
        if credentials is None and forward is None:
            credentials = placeholder_credentials(schemes)
        self._http = httpx.AsyncClient(transport=self.recorder, timeout=timeout)
        self.client = client_class(
            url, credentials=credentials, http_client=self._http, max_retries=0, timeout=timeout
        )
        self.scripted: ScriptedModel | None
        if model is None or isinstance(model, ScriptedModel):
            self.scripted = model if model is not None else ScriptedModel()
            self._model_client: Any = self.scripted.client()
            self._owns_model_client = True
        else:
            self.scripted = None
            self._model_client = model
            self._owns_model_client = False
        self.agent: Agent = module.build_agent(
            self.client,
            model=model_name,
            openai_client=self._model_client,
            store=store if store is not None else MemoryStore(),
        )
        self.identity = identity
        self.conversation_id = conversation_id
        self.client_key = client_key
        self.turns: list[TurnResult] = []

    def __repr__(self) -> str:
        return f"AgentHarness({self.package!r}, {len(self.turns)} turns)"

    # --- turns -------------------------------------------------------------------------------

    async def say(
        self,
        text: str,
        *,
        identity: Identity | None = _UNSET,
        model: Sequence[Turn] | None = None,
        message_id: str | None = None,
    ) -> TurnResult:
        """The customer's message. `model`: the scripted model's answers for this turn only
        (the turn then fails if the model is asked more, and reports answers left unused);
        None leaves the scripted model's queue as it is. `message_id`: the helpdesk's id of
        the message (a new one when None; an earlier one again is a redelivery)."""
        who = self._who(identity)
        mid = self._message_id(message_id)

        async def play() -> AgentReply:
            return await self.agent.respond(
                self.conversation_id,
                text,
                identity=who,
                client_key=self.client_key,
                message_id=mid,
            )

        return await self._turn("customer", text, play, model, fingerprint(who))

    async def host_confirms(
        self,
        tool: str | None = None,
        *,
        identity: Identity | None = _UNSET,
        model: Sequence[Turn] | None = None,
        message_id: str | None = None,
    ) -> TurnResult:
        """The host's confirm button for the pending action (of `tool`, when several wait)."""
        who = self._who(identity)
        mid = self._message_id(message_id)
        pending = [
            a for a in await self.agent.pending(self.conversation_id) if tool in (None, a.tool)
        ]
        label = f"host confirms {tool or 'the pending action'}"
        if not pending:
            return self._failed_turn("host_confirms", label, "no pending action to confirm")

        async def play() -> AgentReply:
            action = pending[-1].id
            return await self.agent.confirm(
                self.conversation_id, action, identity=who, message_id=mid
            )

        return await self._turn("host_confirms", label, play, model, fingerprint(who))

    async def host_answers_task(
        self,
        approved: bool,
        *,
        identity: Identity | None = _UNSET,
        model: Sequence[Turn] | None = None,
        message_id: str | None = None,
    ) -> TurnResult:
        """The host's yes/no button for the task run waiting for a confirmation."""
        who = self._who(identity)
        mid = self._message_id(message_id)
        waiting = [
            e
            for turn in self.turns
            for e in turn.events
            if isinstance(e, TaskWaiting) and e.waiting_for == "confirmation"
        ]
        label = f"host answers the task {'yes' if approved else 'no'}"
        if not waiting:
            return self._failed_turn("host_answers_task", label, "no task waits for a confirmation")
        run_id = waiting[-1].run_id

        async def play() -> AgentReply:
            return await self.agent.confirm_task(
                self.conversation_id, run_id, approved, identity=who, message_id=mid
            )

        return await self._turn("host_answers_task", label, play, model, fingerprint(who))

    # --- the API, outside the conversation ---------------------------------------------------

    async def call_operation(self, operation_id: str, arguments: Mapping[str, Any]) -> Any:
        """Call one operation directly (not through the agent) and return its JSON: how a test
        reads the end state of a reference server. Recorded as turn 0."""
        operation = next((op for op in self.operations if op.id == operation_id), None)
        if operation is None:
            raise ValueError(f"no operation {operation_id!r} in {self.package}")
        previous, self.recorder.turn = self.recorder.turn, 0
        try:
            return await self.client._call(operation, dict(arguments), cast(Any, object))
        finally:
            self.recorder.turn = previous

    @property
    def requests(self) -> list[ApiRequest]:
        """Every request of the conversation (the turns' requests, in order; access-token
        requests left out)."""
        return [r for r in self.recorder.requests if r.turn > 0 and not r.auth]

    def consent_problems(self, exempt: Sequence[str] = ()) -> list[tuple[int, str]]:
        """Consequential requests sent without a confirmation (see `checks.consent_problems`);
        tools the agent file marks ``confirm: false`` are exempt, as are `exempt` operations."""
        chosen = {
            spec.operation
            for spec in self.agent.toolset.specs
            if not spec.confirm and not spec.read_only
        }
        turns = [(t.number, t.events, t.requests, t.speaker) for t in self.turns]
        return consent_problems(turns, [*chosen, *exempt])

    # --- plumbing ----------------------------------------------------------------------------

    def _who(self, identity: Identity | None) -> Identity | None:
        return self.identity if identity is _UNSET else identity

    def _message_id(self, given: str | None) -> str:
        """Every turn has a message id, as a helpdesk's message has: the runtime's inbox keys
        on it (a redelivery of one returns the stored reply and runs nothing)."""
        return given if given is not None else f"{self.conversation_id}:turn-{len(self.turns) + 1}"

    def _failed_turn(self, kind: TurnKind, label: str, problem: str) -> TurnResult:
        result = TurnResult(len(self.turns) + 1, kind, label, None, (), error=problem)
        self.turns.append(result)
        return result

    async def _turn(
        self,
        kind: TurnKind,
        message: str,
        play: Any,
        model: Sequence[Turn] | None,
        speaker: str | None = None,
    ) -> TurnResult:
        number = len(self.turns) + 1
        self.recorder.turn = number
        scripted = self.scripted
        scripted_count = 0
        if scripted is not None and model is not None:
            scripted.reset_script(model)
            scripted_count = len(model)
        asked_before = len(scripted.requests) if scripted is not None else 0
        first = len(self.recorder.requests)
        reply: AgentReply | None = None
        error: str | None = None
        try:
            reply = await play()
        except ModelError as exc:
            error = f"the model call failed: {exc}"
            if scripted is not None and model is not None and not scripted.script:
                asked = len(scripted.requests) - asked_before
                error = (
                    f"the model was asked {asked} time(s), but the turn scripts "
                    f"{scripted_count} answer(s) (add the missing `model:` answers)"
                )
        except SpecagentError as exc:
            error = f"{type(exc).__name__}: {exc}"
        unused: tuple[Turn, ...] = ()
        if scripted is not None and model is not None:
            unused = tuple(scripted.reset_script(()))
        notes: tuple[str, ...] = ()
        if error is not None and scripted is not None and len(scripted.requests) > asked_before:
            notes = _last_tool_results(scripted.requests[-1])
        result = TurnResult(
            number=number,
            kind=kind,
            message=message,
            reply=reply,
            requests=tuple(
                r for r in self.recorder.requests[first:] if r.turn == number and not r.auth
            ),
            error=error,
            unused_script=unused,
            model_requests=(len(scripted.requests) - asked_before) if scripted else 0,
            notes=notes,
            model_saw=tuple(scripted.requests[asked_before:]) if scripted else (),
            speaker=speaker,
        )
        self.turns.append(result)
        return result

    # --- life --------------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self.agent.aclose()
        await self.client.aclose()
        await self._http.aclose()
        if self._owns_model_client:
            await self._model_client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _last_tool_results(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The tool results after the last user message of a chat-completions request."""
    messages = list(body.get("messages") or [])
    start = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=0)
    names = {
        call.get("id"): call.get("function", {}).get("name", "?")
        for m in messages[start:]
        for call in m.get("tool_calls") or []
    }
    return tuple(
        f"{names.get(m.get('tool_call_id'), 'a tool')} answered the model: "
        + " ".join(str(m.get("content", "")).split())[:240]
        for m in messages[start:]
        if m.get("role") == "tool"
    )
