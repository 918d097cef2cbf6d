"""The limits on what one conversation, one client and one turn may make the agent do.

An anonymous visitor can steer the model: one message once made 400 order+zip lookups in two
seconds and found the zip, another made 800 API calls (8 rounds x 100 parallel calls). So the
agent counts, and refuses past a limit with a tool result the model can act on (and a log
line): tool calls per round and per turn (in memory: a turn runs on one worker), API calls per
conversation and per client per hour, and, for lookups anyone may make (tools without bound
arguments that only read, or with `lookup_limit` in the agent file), a budget per conversation
and per client with a lockout after repeated not-found answers that grows each time, so that
guessing a zip code among 100 takes weeks (docs/security.md has the arithmetic).

Counters that must hold across workers and restarts live in the store, as records of kind
``limits`` updated with the version check (compare-and-set, retried on conflict): one per
conversation, one per client. The client is the host's `client_key` (a visitor id, an IP),
else the verified identity, else the conversation itself; only a digest of it is stored.

`Limits` holds every number, `Limiter` the agent's counters, `TurnLimits` one turn's use of
them: the loop asks `admit` before it answers a round of calls and runs each API call through
`run`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from specagent_runtime._errors import ConfigurationError, StoreConflict
from specagent_runtime._identity import Identity
from specagent_runtime._spec import ToolSpec
from specagent_runtime._stores.base import Store
from specagent_runtime._tools.toolset import PreparedCall, ToolResult

logger = logging.getLogger("specagent_runtime.limits")

KIND = "limits"
HOUR = 3600.0
DAY = 24 * HOUR
# Statuses that tell a guesser "not this one" (a wrong zip is often answered 404, sometimes 403).
MISS_STATUSES = frozenset({403, 404, 410})
_CAS_ATTEMPTS = 10
# A lookup counts as "maybe a miss" until its answer is in; one whose worker died before it
# settled (no answer after this long) is counted as a miss.
PENDING_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit of the agent, with safe defaults; `Agent(limits=Limits(...))` changes them
    (``Limits().replace(tool_calls_per_round=4)``), agent.json's ``limits`` entry too.

    Per turn (one customer message): `tool_calls_per_round` calls answered in one model
    round (the rest refused), `tool_calls_per_turn` over all rounds, at most `parallel_calls`
    API calls at the same time (the others wait). Stored: `api_calls_per_conversation`, and
    `api_calls_per_hour` per client. Lookups anyone may make: `lookup_limit` per tool and
    conversation (a tool's own `lookup_limit` wins), `lookups_per_client_per_day` over all of
    them; `misses_before_lockout` not-found answers lock the conversation and the client out
    of lookups for `lockout_seconds`; after that each miss locks again, for twice as long each
    time up to `max_lockout_seconds`, until `forget_lockouts_after` seconds pass without one.
    `max_message_chars` is the customer message size the agent accepts."""

    max_message_chars: int = 8000
    tool_calls_per_round: int = 8
    tool_calls_per_turn: int = 24
    parallel_calls: int = 4
    api_calls_per_conversation: int = 200
    api_calls_per_hour: int = 600
    lookup_limit: int = 10
    lookups_per_client_per_day: int = 30
    misses_before_lockout: int = 3
    lockout_seconds: float = 15 * 60.0
    max_lockout_seconds: float = DAY
    forget_lockouts_after: float = 7 * DAY

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
                raise ConfigurationError(
                    f"limits: {item.name} must be a number of at least 1, not {value!r}"
                )
        if self.max_lockout_seconds < self.lockout_seconds:
            raise ConfigurationError(
                "limits: max_lockout_seconds must be at least lockout_seconds "
                f"({self.max_lockout_seconds:g} < {self.lockout_seconds:g})"
            )

    def replace(self, **changes: Any) -> Limits:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limits:
        """agent.json's ``limits`` entry (the agent file's ``limits:`` section)."""
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigurationError(
                f"limits: unknown {', '.join(unknown)}; the limits are: {', '.join(sorted(known))}"
            )
        return cls(**dict(data))

    def lockout(self, level: int) -> float:
        """How long the `level`-th lockout (0 first) lasts."""
        return float(min(self.lockout_seconds * 2 ** min(level, 40), self.max_lockout_seconds))


def limits_from(package: str, data: Mapping[str, Any]) -> Limits | None:
    """The limits of ``agent.json`` (`data`, from `load_agent_json`), None when it sets none."""
    entry = data.get("limits")
    if not entry:
        return None
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"{package}/agent.json: `limits` must be an object")
    try:
        return Limits.from_json(entry)
    except (TypeError, ConfigurationError) as exc:
        raise ConfigurationError(f"{package}/agent.json: {exc}") from exc


def is_lookup(spec: ToolSpec) -> bool:
    """A lookup anyone may make: a read without bound arguments, or one the agent file gave a
    `lookup_limit`. These are what a guesser enumerates."""
    return spec.lookup_limit is not None or (spec.read_only and not spec.bindings)


def missed(result: ToolResult) -> bool:
    """Whether a lookup's answer told the caller "not this one": a not-found (or forbidden)
    status, or an empty result."""
    if result.is_error:
        return result.api_status in MISS_STATUSES
    return result.status == "ok" and result.data in (None, [], {})


def client_of(conversation_id: str, client_key: str | None, identity: Identity | None) -> str:
    """The stored name of the client a budget is counted for: a digest, never the raw key (an
    IP address, an email)."""
    if client_key:
        source = "key\x00" + client_key
    elif identity is not None and identity.fields():
        source = "identity\x00" + "\x00".join(
            f"{name}={identity.get(name)}" for name in sorted(identity.fields())
        )
    else:
        source = "conversation\x00" + conversation_id
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class Limiter:
    """The agent's limits and the store their counters live in."""

    def __init__(
        self,
        store: Store,
        limits: Limits | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.limits = limits or Limits()
        self.clock = clock
        self._warned_no_key = False

    def turn(
        self,
        conversation_id: str,
        *,
        client_key: str | None = None,
        identity: Identity | None = None,
    ) -> TurnLimits:
        return TurnLimits(self, conversation_id, client_of(conversation_id, client_key, identity))

    def warn_no_client_key(self) -> None:
        if not self._warned_no_key:
            self._warned_no_key = True
            logger.warning(
                "lookup budgets without a client key count per conversation only, and a new "
                "conversation starts afresh: pass client_key= (a visitor id, an IP) to respond()"
            )


class TurnLimits:
    """One turn's calls against the limits (a turn runs on one worker, in one process)."""

    def __init__(self, limiter: Limiter, conversation_id: str, client: str) -> None:
        self._limiter = limiter
        self.limits = limiter.limits
        self.conversation_id = conversation_id
        self.client = client
        self.calls = 0  # tool calls answered this turn
        self._keyless = client == client_of(conversation_id, None, None)
        self._lock = asyncio.Lock()  # one reservation at a time: no conflicts with ourselves
        self._parallel = asyncio.Semaphore(self.limits.parallel_calls)

    def admit(self, names: list[str]) -> list[str | None]:
        """For each tool call of one round: None when it may be answered, else why not (for
        the model). Counts the admitted ones against the turn."""
        limits = self.limits
        verdicts: list[str | None] = []
        for index, name in enumerate(names):
            if index >= limits.tool_calls_per_round:
                why = (
                    f"not run: at most {limits.tool_calls_per_round} tool calls are answered "
                    "in one round; call fewer tools at once, the most useful first"
                )
            elif self.calls >= limits.tool_calls_per_turn:
                why = (
                    f"not run: this message has used its {limits.tool_calls_per_turn} tool "
                    "calls; answer the customer with what you have, or hand off to a human"
                )
            else:
                self.calls += 1
                verdicts.append(None)
                continue
            self._refused(name, why)
            verdicts.append(why)
        return verdicts

    async def run(
        self, call: PreparedCall, send: Callable[[PreparedCall], Awaitable[ToolResult]]
    ) -> ToolResult:
        """`send(call)` if the stored budgets allow it, else the refusal; a lookup's not-found
        answer is counted towards the lockout.

        A lookup is held as pending (a possible miss) from its reservation until its answer
        is in, and no more lookups are let through than misses could still be allowed: so
        parallel calls, or several workers at once, cannot slip past the lockout."""
        spec = call.spec
        lookup = is_lookup(spec)
        token = uuid.uuid4().hex
        async with self._lock:
            why = await self._reserve(spec, lookup, token)
        if why is not None:
            self._refused(spec.name, why)
            return ToolResult.error(spec.name, why)
        result: ToolResult | None = None
        try:
            async with self._parallel:
                result = await send(call)
        finally:
            if lookup:  # an interrupted lookup counts as a miss
                async with self._lock:
                    await self._settle(token, miss=result is None or missed(result))
        assert result is not None
        return result

    # --- the stored counters ---------------------------------------------------------------

    async def _reserve(self, spec: ToolSpec, lookup: bool, token: str) -> str | None:
        if lookup and self._keyless:
            self._limiter.warn_no_client_key()
        now = self._limiter.clock()
        why = await self._update(
            self._conversation_key,
            lambda record: self._take_conversation(record, spec, lookup, token, now),
        )
        if why is None and not self._keyless:
            why = await self._update(
                self._client_key, lambda record: self._take_client(record, lookup, token, now)
            )
            if why is not None and lookup:  # not sent after all: no longer pending
                await self._update(
                    self._conversation_key, lambda record: self._close(record, token, False, now)
                )
        return why

    @property
    def _conversation_key(self) -> str:
        return f"conversation/{self.conversation_id}"

    @property
    def _client_key(self) -> str:
        return f"client/{self.client}"

    def _take_conversation(
        self, record: dict[str, Any], spec: ToolSpec, lookup: bool, token: str, now: float
    ) -> str | None:
        limits = self.limits
        calls = int(record.get("api_calls", 0))
        if calls >= limits.api_calls_per_conversation:
            return (
                f"not run: this conversation has used its {limits.api_calls_per_conversation} "
                "calls to the company's systems; hand off to a human to go on"
            )
        if lookup:
            lookups = dict(record.get("lookups", {}))
            allowed = spec.lookup_limit if spec.lookup_limit is not None else limits.lookup_limit
            if int(lookups.get(spec.name, 0)) >= allowed:
                return (
                    f"not run: `{spec.name}` may be used {allowed} times in one conversation, "
                    "and that is used up; tell the customer, or hand off to a human"
                )
            why = self._gate(record, token, now)
            if why is not None:
                return why
            lookups[spec.name] = int(lookups.get(spec.name, 0)) + 1
            record["lookups"] = lookups
        record["api_calls"] = calls + 1
        return None

    def _take_client(
        self, record: dict[str, Any], lookup: bool, token: str, now: float
    ) -> str | None:
        limits = self.limits
        hour = int(now // HOUR)
        calls = int(record.get("hour_calls", 0)) if record.get("hour") == hour else 0
        if calls >= limits.api_calls_per_hour:
            return (
                f"not run: at most {limits.api_calls_per_hour} calls an hour are made for "
                "one customer, and that is used up; ask them to try again later"
            )
        if lookup:
            day = int(now // DAY)
            lookups = int(record.get("day_lookups", 0)) if record.get("day") == day else 0
            if lookups >= limits.lookups_per_client_per_day:
                return (
                    f"not run: at most {limits.lookups_per_client_per_day} lookups a day are "
                    "made for one customer, and that is used up; offer a human colleague"
                )
            why = self._gate(record, token, now)
            if why is not None:
                return why
            record["day"], record["day_lookups"] = day, lookups + 1
        record["hour"], record["hour_calls"] = hour, calls + 1
        return None

    def _gate(self, record: dict[str, Any], token: str, now: float) -> str | None:
        """The lockout check of one lookup; when it passes, the lookup is pending."""
        pending = dict(record.get("pending", {}))
        for lost in [key for key, expires in pending.items() if float(expires) <= now]:
            del pending[lost]  # its worker never said how it went: count it as a miss
            self._count_miss(record, now)
        record["pending"] = pending
        locked = _locked(record, now)
        if locked is not None:
            return locked
        if int(record.get("misses", 0)) + len(pending) >= self._threshold(record, now):
            return (
                "not run: earlier lookups are still waiting for their answers; look up one "
                "thing at a time"
            )
        pending[token] = now + PENDING_SECONDS
        return None

    async def _settle(self, token: str, *, miss: bool) -> None:
        now = self._limiter.clock()
        keys = (
            [self._conversation_key]
            if self._keyless
            else [self._conversation_key, self._client_key]
        )
        for key in keys:
            locked = await self._update(key, lambda record: self._close(record, token, miss, now))
            if locked is not None:
                logger.warning(
                    "lookups locked for %s %s: %s", key.partition("/")[0], key[-12:], locked
                )

    def _close(self, record: dict[str, Any], token: str, miss: bool, now: float) -> str | None:
        pending = dict(record.get("pending", {}))
        if pending.pop(token, None) is None:
            return None  # already counted as lost
        record["pending"] = pending
        return self._count_miss(record, now) if miss else None

    def _threshold(self, record: Mapping[str, Any], now: float) -> int:
        """Misses that start a lockout: `misses_before_lockout` at first; after a lockout, one,
        until `forget_lockouts_after` passes without another (so a guesser gets one guess per
        lockout, while a customer's first typos cost nothing)."""
        if now - float(record.get("last_lockout", 0.0)) > self.limits.forget_lockouts_after:
            return self.limits.misses_before_lockout
        return 1 if int(record.get("level", 0)) > 0 else self.limits.misses_before_lockout

    def _count_miss(self, record: dict[str, Any], now: float) -> str | None:
        """Count one not-found; at the threshold, lock out (longer each time). Returns the
        lockout's text when this miss started one."""
        limits = self.limits
        threshold = self._threshold(record, now)
        if now - float(record.get("last_lockout", 0.0)) > limits.forget_lockouts_after:
            record["level"] = 0
        if now - float(record.get("first_miss", now)) > DAY:
            record["misses"] = 0  # misses further apart than a day do not add up
        misses = int(record.get("misses", 0)) + 1
        if misses == 1:
            record["first_miss"] = now
        if misses < threshold:
            record["misses"] = misses
            return None
        level = int(record.get("level", 0))
        record.update(
            misses=0,
            level=level + 1,
            locked_until=now + limits.lockout(level),
            last_lockout=now,
        )
        return f"{misses} not-found answer(s), locked for {limits.lockout(level):.0f} s"

    async def _update(self, key: str, change: Callable[[dict[str, Any]], str | None]) -> str | None:
        """Apply `change` to the stored record with compare-and-set, again on a conflict (another
        worker counted meanwhile). Fails closed: a record that cannot be updated refuses."""
        store = self._limiter.store
        for attempt in range(_CAS_ATTEMPTS):
            stored = await store.get(KIND, key)
            record = dict(stored.value) if stored is not None else {}
            before = dict(record)
            outcome = change(record)
            if record == before:
                return outcome
            try:
                await store.put(KIND, key, record, version=stored.version if stored else 0)
            except StoreConflict:
                await asyncio.sleep(random.uniform(0, 0.005 * (attempt + 1)))
                continue
            return outcome
        logger.warning("limits %s: too many concurrent updates, call refused", key)
        return "not run: the service is busy; try again in a moment"

    def _refused(self, tool: str, why: str) -> None:
        logger.info(
            "limit: %s refused in conversation %s (client %s): %s",
            tool,
            self.conversation_id,
            self.client[:12],
            why,
        )


def _locked(record: Mapping[str, Any], now: float) -> str | None:
    until = float(record.get("locked_until", 0.0))
    if now >= until:
        return None
    minutes = max(1, round((until - now) / 60))
    return (
        "not run: too many lookups found nothing, so lookups are paused for about "
        f"{_duration(minutes)}. Tell the customer to check the details and try later, or "
        "offer a human colleague"
    )


def _duration(minutes: int) -> str:
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours"
