"""The playground's agent, and the scripted model it talks to when the developer has no key.

`playground_agent(package)` builds the agent of a generated package for the playground page:
with ``OPENAI_API_KEY`` set (or an `openai_client` passed) it talks to the real model
(``--model``, else ``$SPECAGENT_MODEL``, else ``gpt-4o-mini``); without one it talks to
`ScriptedChat`, so ``python -m <pkg> serve --playground`` gives a working page on a machine with
no key and no network but the company API's.

`ScriptedChat` answers the agent's chat-completions calls in process, with no SDK and no
socket (the `[serve]` extra alone is enough), from `DefaultScript`: a short, deterministic
script that reads the request the way a model would, so it fits any generated package:

1. the conversation's first customer message is answered with a greeting that says what the
   stand-in does;
2. from then on, each customer message makes it call the read tool that best fits the
   message (words of the tool's name and description; arguments taken from the message:
   numbers, emails, words matching a parameter's pattern), then
3. propose the consequential tool or task that best fits, which the runtime turns into a
   confirmation (Confirm/Decline on the page); after the host confirms, it reports the result.

A message asking for a person calls the hand-off tool. Inside a task's `instruct:` step it calls
`finish_step` with values taken from the step's instruction (the numbers and quoted words in
it). What it says quotes the tool results verbatim, as a careless real model might: API text
reaches the page through the model's words too, which the page shows as text.
"""

from __future__ import annotations

import importlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specagent_runtime._agent.loop import Agent
from specagent_runtime._errors import ConfigurationError
from specagent_runtime._stores.base import Store
from specagent_runtime._stores.memory import MemoryStore
from specagent_runtime._tasks.instruct import FINISH_TOOL
from specagent_runtime._tools.toolset import HANDOFF_TOOL

DEFAULT_MODEL = "gpt-4o-mini"
SCRIPTED_MODEL = "playground-scripted"
GREETING = (
    "Hello! I am the playground's scripted stand-in for a model (no OPENAI_API_KEY is set). "
    "Send me a request: I will call the read tool that fits it best, then propose the action "
    "that fits, so you can see tool calls, API requests and a confirmation."
)
_HANDOFF_WORDS = re.compile(r"\b(human|person|someone|agent|operator|colleague)\b", re.I)
_WORD = re.compile(r"[a-z]{4,}")
# Words too common to say which tool fits a message.
_COMMON = frozenset(
    "about also been could does from have into just more need only please some that their them"
    " there they this want were what when which will with would your".split()
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?!\w|\.\d)")  # 1003, "1003.", not 2.5
_EMAIL = re.compile(r"[^\s@\"'<>]+@[^\s@\"'<>]+\.[a-z]{2,}", re.I)
_QUOTED = re.compile(r"\"([^\"]{1,200})\"")
_QUOTE_LIMIT = 600  # characters of a tool result quoted in a scripted reply


# --- a chat-completions answer, shaped as the openai SDK's objects are read ------------------


@dataclass(frozen=True, slots=True)
class _Function:
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class _ToolCall:
    id: str
    function: _Function
    type: str = "function"


@dataclass(frozen=True, slots=True)
class _Message:
    content: str | None
    tool_calls: list[_ToolCall] | None
    role: str = "assistant"


@dataclass(frozen=True, slots=True)
class _Choice:
    message: _Message
    index: int = 0
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class _Completion:
    choices: list[_Choice]
    model: str = SCRIPTED_MODEL


@dataclass(frozen=True, slots=True)
class Answer:
    """One scripted answer: words, or tool calls (name, arguments)."""

    text: str | None = None
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()


class _Completions:
    def __init__(self, chat: ScriptedChat) -> None:
        self._chat = chat

    async def create(
        self,
        *,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> _Completion:
        return self._chat.complete(messages, tools or ())


class _Chat:
    def __init__(self, chat: ScriptedChat) -> None:
        self.completions = _Completions(chat)


class ScriptedChat:
    """An in-process stand-in for ``openai.AsyncOpenAI`` (only ``chat.completions.create``).

    `requests` keeps the last requests' tool names, for the page and for tests: what the model
    was offered, per identity."""

    def __init__(self, script: DefaultScript | None = None, *, keep: int = 50) -> None:
        self.script = script if script is not None else DefaultScript()
        self.chat = _Chat(self)
        self.requests: list[list[str]] = []
        self._keep = keep
        self._counter = 0

    def __repr__(self) -> str:
        return f"ScriptedChat({len(self.requests)} requests)"

    def complete(
        self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Mapping[str, Any]]
    ) -> _Completion:
        offered = {
            str(tool["function"]["name"]): dict(tool["function"])
            for tool in tools
            if isinstance(tool.get("function"), Mapping)
        }
        self.requests = [*self.requests, sorted(offered)][-self._keep :]
        answer = self.script.answer(list(messages), offered)
        self._counter += 1
        calls = [
            _ToolCall(f"call_pg_{self._counter}_{index}", _Function(name, json.dumps(arguments)))
            for index, (name, arguments) in enumerate(answer.calls)
        ]
        message = _Message(answer.text, calls or None)
        return _Completion([_Choice(message, finish_reason="tool_calls" if calls else "stop")])

    async def close(self) -> None:
        """Nothing to close (the agent's `aclose` calls it)."""


# --- the script -------------------------------------------------------------------------------


@dataclass(slots=True)
class DefaultScript:
    """Greets, calls a read tool, proposes a consequential one (see the module docstring).

    `read_only` names the tools that only read (from the agent's tool specs, `learn`); any
    other offered tool, and every task, counts as consequential."""

    read_only: set[str] = field(default_factory=set)

    def learn(self, agent: Agent) -> None:
        self.read_only = {spec.name for spec in agent.toolset.specs if spec.read_only}

    def answer(
        self, messages: list[Mapping[str, Any]], offered: dict[str, dict[str, Any]]
    ) -> Answer:
        if FINISH_TOOL in offered:
            return self._finish_step(messages, offered[FINISH_TOOL])
        spoken = [m for m in messages if m.get("role") != "system" and not _is_context(m)]
        customer = [i for i, m in enumerate(spoken) if m.get("role") == "user"]
        if not spoken:
            return Answer(self._greeting(offered))
        last = spoken[-1]
        text = _text(spoken[customer[-1]].get("content")) if customer else ""
        if last.get("role") == "user":
            if len(customer) == 1:
                return Answer(self._greeting(offered))
            if HANDOFF_TOOL in offered and _HANDOFF_WORDS.search(text):
                return Answer(calls=((HANDOFF_TOOL, {"reason": f"the customer asked: {text}"}),))
            read = self._pick(offered, text, read=True)
            if read is not None:
                return Answer(calls=(read,))
            action = self._pick(offered, text, read=False, fitting=True)
            if action is not None:
                return Answer(calls=(action,))
            return Answer(f"No tool fits that. {self._suggestion(offered)}")
        if last.get("role") != "tool":
            return Answer("Is there anything else I can do?")
        call_id = str(last.get("tool_call_id", ""))
        name = _called_name(spoken, call_id)
        result = _text(last.get("content"))
        if call_id.startswith("confirmed_"):
            return Answer(f"Done: {name} answered {_quote(result)}")
        if name == HANDOFF_TOOL:
            return Answer("I have asked a colleague to take over.")
        if name in self.read_only:
            earlier = set(_calls_since_customer(spoken))
            action = self._pick(offered, text, read=False, exclude=earlier, fitting=True)
            if action is not None:
                return Answer(calls=(action,))
            return Answer(f"{name} answered {_quote(result)} {self._suggestion(offered)}")
        return Answer(f"{name} answered {_quote(result)}")

    def _actions(self, offered: dict[str, dict[str, Any]]) -> list[str]:
        return [
            name
            for name in offered
            if name not in self.read_only and name not in (HANDOFF_TOOL, FINISH_TOOL)
        ]

    def _greeting(self, offered: dict[str, dict[str, Any]]) -> str:
        return f"{GREETING} {self._suggestion(offered)}"

    def _suggestion(self, offered: dict[str, dict[str, Any]]) -> str:
        actions = self._actions(offered)
        if not actions:
            return "No action is offered to this customer."
        return "Actions I can propose here: " + ", ".join(actions) + "."

    def _pick(
        self,
        offered: dict[str, dict[str, Any]],
        text: str,
        *,
        read: bool,
        exclude: set[str] | frozenset[str] = frozenset(),
        fitting: bool = False,
    ) -> tuple[str, dict[str, Any]] | None:
        """The best-fitting offered tool of one kind whose arguments the message can fill.

        A read tool fits by the words of its name and description; an action (with `fitting`:
        only one that fits at all) by the words of its name that no read tool's name has, its
        verb ("cancel" of cancel_order, not "order"): asking where an order is proposes
        nothing."""
        words = set(_WORD.findall(text.lower())) - _COMMON
        read_names = {w for n in self.read_only for w in _name_words(n)}
        best: tuple[int, int, str, dict[str, Any]] | None = None
        for position, (name, function) in enumerate(offered.items()):
            if name in (HANDOFF_TOOL, FINISH_TOOL) or name in exclude:
                continue
            if (name in self.read_only) != read:
                continue
            arguments = fill(function.get("parameters") or {}, text)
            if arguments is None:
                continue
            if read:
                about = f"{name.replace('_', ' ')} {function.get('description') or ''}".lower()
                score = len(words & set(_WORD.findall(about)))
            else:
                score = len(_message_words(text) & (_name_words(name) - read_names))
            if fitting and score == 0:
                continue
            if best is None or (score, -position) > (best[0], best[1]):
                best = (score, -position, name, arguments)
        return None if best is None else (best[2], best[3])

    def _finish_step(self, messages: list[Mapping[str, Any]], function: dict[str, Any]) -> Answer:
        instruction = " ".join(_text(m.get("content")) for m in messages if m.get("role") == "user")
        quoted = " ".join(_QUOTED.findall(instruction)) or instruction
        arguments = fill(function.get("parameters") or {}, quoted, required_only=False)
        if arguments is None:
            arguments = fill(function.get("parameters") or {}, instruction, required_only=False)
        if arguments is None:
            return Answer(calls=((HANDOFF_TOOL, {"reason": "the scripted model cannot tell"}),))
        return Answer(calls=((FINISH_TOOL, arguments),))


def fill(
    schema: Mapping[str, Any], text: str, *, required_only: bool = True
) -> dict[str, Any] | None:
    """Arguments for a tool's parameter schema taken from a message, or None when a required one
    cannot be found there (the tool does not fit the message)."""
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    names = [n for n in properties if n in required or not required_only]
    numbers = _NUMBER.findall(text)
    used: set[str] = set()
    values: dict[str, Any] = {}
    # Pattern and format strings first: "10115" is a zip code before it is an order number.
    ordered = sorted(names, key=lambda n: 0 if _is_shaped(properties[n]) else 1)
    for name in ordered:
        value = _value(properties[name], text, numbers, used)
        if value is None:
            if name in required:
                return None
            continue
        values[name] = value
    return {name: values[name] for name in names if name in values}


def _is_shaped(prop: Mapping[str, Any]) -> bool:
    return prop.get("type") == "string" and bool(prop.get("pattern") or prop.get("format"))


def _value(prop: Mapping[str, Any], text: str, numbers: list[str], used: set[str]) -> Any:
    kind = prop.get("type")
    if prop.get("enum"):
        options = [str(option) for option in prop["enum"]]
        return next((o for o in options if o.lower() in text.lower()), prop["enum"][0])
    if kind in {"integer", "number"}:
        for number in numbers:
            if number not in used:
                used.add(number)
                return int(number)
        return None
    if kind == "boolean":
        return True
    if kind != "string":
        return None
    if prop.get("format") == "email":
        found = _EMAIL.search(text)
        return found.group(0) if found else None
    pattern = prop.get("pattern")
    if pattern:
        try:
            compiled = re.compile(str(pattern))
        except re.error:
            return None
        for found in re.findall(r"[^\s,;:!?\"'()]+", text):
            token = found.rstrip(".")
            if token not in used and compiled.fullmatch(token):
                used.add(token)
                return token
        return None
    return text.strip() or None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _name_words(name: str) -> set[str]:
    """cancel_order, cancelOrder -> {"cancel", "order"}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    return {word for word in spaced.lower().split() if len(word) >= 3}


def _message_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]{3,}", text.lower())} - _COMMON


def _is_context(message: Mapping[str, Any]) -> bool:
    """The agent's data message about the verified customer (not the customer's words)."""
    return _text(message.get("content")).startswith("[context]")


def _called_name(messages: list[Mapping[str, Any]], call_id: str) -> str:
    for message in reversed(messages):
        for call in message.get("tool_calls") or ():
            if call.get("id") == call_id:
                return str(call.get("function", {}).get("name", "the tool"))
    return "the tool"


def _calls_since_customer(messages: list[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        for call in message.get("tool_calls") or ():
            names.append(str(call.get("function", {}).get("name", "")))
    return names


def _quote(result: str) -> str:
    if len(result) > _QUOTE_LIMIT:
        result = result[:_QUOTE_LIMIT] + " [...]"
    return result


# --- the agent --------------------------------------------------------------------------------


def playground_agent(
    package: str,
    *,
    api_url: str | None = None,
    model: str | None = None,
    openai_client: Any | None = None,
    store: Store | None = None,
    credentials: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Agent:
    """The agent of the generated `package` for the playground page.

    It calls the API at `api_url` (default: the spec's server) with the credentials the package
    reads from the environment (or `credentials`, as for its `AsyncClient`). The model: the
    `openai_client` given; else, when ``OPENAI_API_KEY`` is set, the real one (`model`, else
    ``$SPECAGENT_MODEL``, else gpt-4o-mini, through the openai SDK as it reads its environment);
    else `ScriptedChat`. Conversations live in `store` (default: in memory: a playground's
    conversations are throwaway). `agent.aclose()` closes the API client it made."""
    environ = os.environ if env is None else env
    try:
        module = importlib.import_module(package)
        client_class = module.AsyncClient
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"playground: {package!r} is not an importable generated package ({exc})"
        ) from None
    client = client_class(api_url, credentials=credentials, env=env)
    scripted: ScriptedChat | None = None
    if openai_client is None and not environ.get("OPENAI_API_KEY"):
        scripted = ScriptedChat()
        openai_client = scripted
        chosen = SCRIPTED_MODEL
    else:
        chosen = model or environ.get("SPECAGENT_MODEL") or DEFAULT_MODEL
    agent = Agent.from_package(
        package,
        client,
        model=chosen,
        openai_client=openai_client,
        store=store if store is not None else MemoryStore(),
        owns_client=True,
    )
    if scripted is not None:
        scripted.script.learn(agent)
    return agent


def scripted_model_of(agent: Agent) -> ScriptedChat | None:
    """The agent's `ScriptedChat`, if it talks to one (the page says so)."""
    client = getattr(agent, "_openai_client", None)
    return client if isinstance(client, ScriptedChat) else None
