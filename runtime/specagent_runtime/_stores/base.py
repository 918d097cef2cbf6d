"""The store contract: JSON records by (kind, key) with a version, shared by every store.

A webhook handler is stateless: every message may land on a different worker process, so all
state is loaded from the store at the start of a turn and saved at the end. Records are JSON
values with a version number; a save names the version it started from and fails with
`StoreConflict` when another worker saved in between (optimistic concurrency: no lock is held
while the model thinks). Saving with ``version=0`` means "create", which also makes a cheap
exactly-once claim: only one worker can create a given record.

Beyond single records, every store offers the same few primitives, so that each step of a turn
can be one atomic update whichever store runs it:

- `put_many`: several writes, deletes, version checks, lease fences and audit entries applied
  all or nothing (one transaction); the first conflict raises and nothing is written;
- `get_many`: several records read at one instant;
- `scan`: the records of a kind whose keys start with a prefix, in key order (an inbox or an
  outbox keyed ``<conversation>/<zero-padded sequence>`` reads back in arrival order);
- leases (`acquire`, `renew`, `release`, `lease`, `Lease.fence`; _stores/leases.py): one holder
  per name at a time, with a fencing token so a holder that lost its lease cannot write;
- the append-only audit trail (`audit`, `audit_entries`; `AuditEntry`);
- `purge` and the retention settings (`Retention`) that run it by themselves.

The validation of a batch (`resolve`) is shared, so the three stores cannot disagree on what a
batch means; each store only reads the records involved under its own lock and writes the result.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeAlias

from specagent_runtime._errors import ConfigurationError, StoreConflict, StoreError

if TYPE_CHECKING:
    from specagent_runtime._stores.leases import Lease

CONVERSATION = "conversation"
LEASE_KIND = "lease"
logger = logging.getLogger("specagent_runtime.store")


@dataclass(frozen=True, slots=True)
class Versioned:
    value: Any  # JSON data
    version: int


# --- the items of a batch --------------------------------------------------------------------


class Put(NamedTuple):
    """Write `value`; with `version`, only if the record is still at that version (0: it must
    not exist). A plain ``(kind, key, value, version)`` tuple means the same."""

    kind: str
    key: str
    value: Any
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the record; with `version`, only if it is still at that version (0: it must not
    exist, so there is nothing to delete). Deleting a missing record is not an error.

    A record created again after a delete starts over at version 1: do not delete and recreate
    a key (a claim, a lease) that a worker may still hold an old version of."""

    kind: str
    key: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """Write nothing, but refuse the whole batch unless the record is at `version` (0: absent).

    What a batch read but does not change (a conversation a task run belongs to) stays as it
    was read."""

    kind: str
    key: str
    version: int


@dataclass(frozen=True, slots=True)
class Fence:
    """Refuse the whole batch unless the lease `name` still carries fencing `token`: nobody has
    acquired it since (made by `Lease.fence()`; raises `LeaseLost`)."""

    name: str
    token: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One consequential action, as the audit trail keeps it (append-only).

    `identity` is the identity's fingerprint, never the identity; `confirmed_by` says what
    confirmed it ("message:<helpdesk message id>", "host:<action id>"); `method` and `path` are
    the request sent and `body` its JSON body AS ALREADY REDACTED by the caller (the store keeps
    what it is given); `outcome` says what came of it ("done 204", "failed 409", "unknown: the
    connection broke off"). `at` (seconds since the epoch) is set to the store's clock when 0;
    `seq` is the store's running number, set when the entry is written."""

    conversation_id: str
    identity: str
    confirmed_by: str
    method: str
    path: str
    outcome: str
    body: Any = None
    action: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    at: float = 0.0
    seq: int = 0

    def to_json(self) -> dict[str, Any]:
        for name in ("conversation_id", "identity", "confirmed_by", "method", "path", "outcome"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"AuditEntry.{name} must be a str, not {type(getattr(self, name))}")
        return {
            "conversation_id": self.conversation_id,
            "identity": self.identity,
            "confirmed_by": self.confirmed_by,
            "method": self.method,
            "path": self.path,
            "outcome": self.outcome,
            "body": self.body,
            "action": self.action,
            "detail": dict(self.detail),
            "at": self.at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, seq: int) -> AuditEntry:
        return cls(
            conversation_id=str(data["conversation_id"]),
            identity=str(data["identity"]),
            confirmed_by=str(data["confirmed_by"]),
            method=str(data["method"]),
            path=str(data["path"]),
            outcome=str(data["outcome"]),
            body=data.get("body"),
            action=str(data.get("action", "")),
            detail=dict(data.get("detail") or {}),
            at=float(data["at"]),
            seq=seq,
        )


Write: TypeAlias = Put | Delete | Check | Fence | AuditEntry | tuple[str, str, Any, int | None]


# --- the contract ----------------------------------------------------------------------------


class Store(Protocol):
    """JSON records by (kind, key) with optimistic concurrency, leases and an audit trail.

    `put` with a `version` succeeds only if the stored version still equals it (0: the record
    must not exist yet) and returns the new version; `version=None` overwrites unconditionally.
    Every failure of the store itself is a `StoreError` naming the store and the record; a
    failed write leaves everything as it was (each call is one transaction).
    """

    async def get(self, kind: str, key: str) -> Versioned | None: ...

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> list[Versioned | None]:
        """The records at one instant, in the order asked (None: absent)."""
        ...

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int: ...

    async def put_many(self, writes: Sequence[Write]) -> list[int]:
        """Apply every item or none, in order, in one transaction.

        Returns one number per item: a `Put`'s new version, 0 for a `Delete`, a `Check`'s
        version, a `Fence`'s token, an `AuditEntry`'s `seq`. Several items may name the same
        record; each sees the ones before it. Raises `StoreConflict` naming the first record
        whose version did not match (`LeaseLost` for a `Fence`): nothing was written."""
        ...

    async def delete(self, kind: str, key: str, *, version: int | None = None) -> None: ...

    async def scan(
        self, kind: str, prefix: str = "", *, after: str | None = None, limit: int | None = None
    ) -> list[tuple[str, Versioned]]:
        """The records of `kind` whose key starts with `prefix` (and sorts after `after`), in
        key order by code point, at most `limit` of them."""
        ...

    async def load(self, conversation_id: str) -> Versioned | None: ...

    async def save(self, conversation_id: str, value: Any, *, version: int) -> int: ...

    async def acquire(
        self, name: str, owner: str, ttl: float, *, wait: float = 0.0
    ) -> Lease | None: ...

    async def renew(self, lease: Lease, ttl: float | None = None) -> Lease: ...

    async def release(self, lease: Lease) -> bool: ...

    async def lease(self, name: str) -> Lease | None: ...

    async def audit(self, entry: AuditEntry) -> AuditEntry:
        """Append `entry` to the audit trail; returns it with `at` and `seq` set."""
        ...

    async def audit_entries(
        self, conversation_id: str | None = None, since: datetime | float | None = None
    ) -> list[AuditEntry]:
        """The audit trail (of one conversation), oldest first, from `since` on."""
        ...

    async def purge(self, older_than: timedelta | None, *, audit: timedelta | bool = True) -> int:
        """Delete the records not written for `older_than` (None: none) and the audit entries
        older than that (`audit=True`), older than `audit` (a timedelta), or none (False);
        returns how many went."""
        ...

    def close(self) -> None:
        """Release the store's connections (a no-op where there are none)."""
        ...


class _Records(Protocol):
    async def get(self, kind: str, key: str) -> Versioned | None: ...

    async def put(self, kind: str, key: str, value: Any, *, version: int | None = None) -> int: ...


class ConversationMethods:
    """Conversations are records of kind "conversation"; the named methods keep call sites clear."""

    async def load(self: _Records, conversation_id: str) -> Versioned | None:
        return await self.get(CONVERSATION, conversation_id)

    async def save(self: _Records, conversation_id: str, value: Any, *, version: int) -> int:
        return await self.put(CONVERSATION, conversation_id, value, version=version)


# --- batches, shared by every store -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutText:
    """A `Put` with its value already JSON text: serialised in the caller's frame, so a value
    that is not JSON fails there, before the store is touched."""

    kind: str
    key: str
    text: str
    version: int | None


@dataclass(frozen=True, slots=True)
class AuditText:
    conversation_id: str
    at: float
    text: str


Op: TypeAlias = PutText | Delete | Check | Fence | AuditText


def prepare(writes: Sequence[Write], now: float | None = None) -> list[Op]:
    """The batch as the stores apply it: values as JSON text, audit entries stamped."""
    ops: list[Op] = []
    stamp = time.time() if now is None else now
    for item in writes:
        if isinstance(item, Delete | Check):
            check_record(item.kind, item.key)
            ops.append(item)
        elif isinstance(item, Fence):
            check_name("lease name", item.name)
            ops.append(item)
        elif isinstance(item, AuditEntry):
            check_name("conversation id", item.conversation_id)
            data = item.to_json()
            if not data["at"]:
                data["at"] = stamp
            ops.append(AuditText(item.conversation_id, float(data["at"]), json.dumps(data)))
        elif isinstance(item, tuple) and len(item) == 4:
            kind, key, value, version = item
            check_record(kind, key)
            if version is not None and (
                not isinstance(version, int) or isinstance(version, bool) or version < 0
            ):
                raise TypeError(
                    f"{kind} {key!r}: a version is an int >= 0 or None, not {version!r}"
                )
            ops.append(PutText(kind, key, json.dumps(value), version))
        else:
            raise TypeError(f"put_many takes Put, Delete, Check, Fence or AuditEntry, not {item!r}")
    return ops


def check_name(label: str, name: object) -> None:
    """Kinds, keys and names are text every store can keep: a str, no NUL (PostgreSQL's text
    cannot hold one), no lone surrogate (not encodable as UTF-8)."""
    if not isinstance(name, str):
        raise TypeError(f"a store {label} is a str, not {type(name).__name__}")
    if "\x00" in name:
        raise ValueError(f"store {label} {name!r} contains a NUL character")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"store {label} {name!r} is not valid Unicode (a lone surrogate)"
        ) from None


def check_record(kind: object, key: object) -> None:
    check_name("kind", kind)
    check_name("key", key)


def keys_of(ops: Sequence[Op]) -> list[tuple[str, str]]:
    """The records a batch reads, each once, in a fixed order (locks are taken in this order)."""
    keys: set[tuple[str, str]] = set()
    for op in ops:
        if isinstance(op, PutText | Delete | Check):
            keys.add((op.kind, op.key))
        elif isinstance(op, Fence):
            keys.add((LEASE_KIND, op.name))
    return sorted(keys)


@dataclass
class Resolution:
    """What a valid batch does: the records to write (None: delete) with their new versions,
    the audit entries to append, and the number each item returns (audit `seq`s are filled in
    by the store as it appends them)."""

    writes: dict[tuple[str, str], tuple[int, str] | None]
    audits: list[tuple[int, AuditText]]
    results: list[int]


def resolve(ops: Sequence[Op], current: Mapping[tuple[str, str], tuple[int, str]]) -> Resolution:
    """Check a batch against the records as they are now (read under the store's lock) and say
    what it writes; raises `StoreConflict` (or `LeaseLost`) on the first mismatch."""
    state: dict[tuple[str, str], tuple[int, str] | None] = dict(current)
    writes: dict[tuple[str, str], tuple[int, str] | None] = {}
    audits: list[tuple[int, AuditText]] = []
    results: list[int] = []
    for index, op in enumerate(ops):
        if isinstance(op, AuditText):
            audits.append((index, op))
            results.append(0)
            continue
        if isinstance(op, Fence):
            found = state.get((LEASE_KIND, op.name))
            held = token_of(found[1]) if found is not None else None
            if held != op.token:
                raise LeaseLost(op.name, op.token, held)
            results.append(op.token)
            continue
        record = (op.kind, op.key)
        found = state.get(record)
        version = found[0] if found is not None else 0
        if op.version is not None and op.version != version:
            raise StoreConflict(op.kind, op.key)
        if isinstance(op, Check):
            results.append(version)
        elif isinstance(op, Delete):
            state[record] = writes[record] = None
            results.append(0)
        else:
            state[record] = writes[record] = (version + 1, op.text)
            results.append(version + 1)
    return Resolution(writes, audits, results)


class LeaseLost(StoreConflict):
    """A fenced write was refused: another holder has acquired the lease since (its fencing
    token moved on), so this worker must stop acting on what it guards."""

    def __init__(self, name: str, token: int, held: int | None) -> None:
        now = "was released and purged" if held is None else f"is at token {held}"
        StoreError.__init__(
            self,
            f"lease {name!r} was lost: this holder had token {token}, the lease {now};"
            " nothing was saved",
            kind=LEASE_KIND,
            key=name,
        )
        self.name = name
        self.token = token
        self.held = held


def token_of(text: str) -> int | None:
    """The fencing token in a stored lease record."""
    try:
        return int(json.loads(text)["token"])
    except (TypeError, ValueError, KeyError):
        return None


def decode(text: str, kind: str, key: str, where: str) -> Any:
    """A stored record's JSON; a `StoreError` naming it when something else changed the data."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"{where}: {kind} {key!r} is not valid JSON (the data was changed by something"
            " other than specagent)",
            kind=kind,
            key=key,
        ) from exc


def first_record(ops: Sequence[Op]) -> tuple[str, str]:
    """The record a failed batch is reported by (its first item's)."""
    for op in ops:
        if isinstance(op, PutText | Delete | Check):
            return op.kind, op.key
        if isinstance(op, Fence):
            return LEASE_KIND, op.name
        return "audit", op.conversation_id
    return "", ""


def describe(ops: Sequence[Op]) -> str:
    """ "conversation 'c1'" or "conversation 'c1' and 2 more records", for error messages."""
    kind, key = first_record(ops)
    more = len(ops) - 1
    name = f"{kind} {key!r}"
    return f"{name} and {more} more record{'s' * (more != 1)}" if more > 0 else name


def prefix_end(prefix: str) -> str | None:
    """The smallest string above every string that starts with `prefix` (None: no bound), so a
    prefix scan is an index range ``prefix <= key < end``."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = last + 1
            if 0xD800 <= following <= 0xDFFF:  # no surrogates in stored text
                following = 0xE000
            return "".join(chars) + chr(following)
    return None


def since_seconds(since: datetime | float | None) -> float | None:
    if since is None or isinstance(since, float | int):
        return None if since is None else float(since)
    if since.tzinfo is None:
        raise ValueError("audit_entries(since=...) needs an aware datetime (with a time zone)")
    return since.timestamp()


# --- retention -------------------------------------------------------------------------------

RETENTION_ENV = "SPECAGENT_RETENTION_DAYS"
AUDIT_RETENTION_ENV = "SPECAGENT_AUDIT_RETENTION_DAYS"
_OFF = {"0", "off", "never", "none", "forever"}


@dataclass(frozen=True, slots=True)
class Retention:
    """How long a store keeps what it holds; it purges by itself, at most once per `interval`,
    after a write (so a busy worker purges a little and an idle one not at all).

    `records`: conversations, task runs, leases, inbox and outbox records not written for that
    long (default 30 days: a conversation idle for a month is over; the helpdesk keeps the
    transcript). `audit`: the audit trail (default 365 days: evidence for disputes and audits).
    None keeps them forever. From the environment: ``SPECAGENT_RETENTION_DAYS`` and
    ``SPECAGENT_AUDIT_RETENTION_DAYS`` (a number of days, fractions allowed; 0 or "off": keep
    forever).
    """

    records: timedelta | None = timedelta(days=30)
    audit: timedelta | None = timedelta(days=365)
    interval: timedelta = timedelta(hours=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Retention:
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            records=_days(env, RETENTION_ENV, default.records),
            audit=_days(env, AUDIT_RETENTION_ENV, default.audit),
        )

    @classmethod
    def forever(cls) -> Retention:
        return cls(records=None, audit=None)


def _days(env: Mapping[str, str], name: str, default: timedelta | None) -> timedelta | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in _OFF:
        return None
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if not days > 0 or days > 36_500:
        raise ConfigurationError(
            f"{name}={raw!r}: give a number of days (e.g. 30), or 0 or 'off' to keep forever"
        )
    return timedelta(days=days)


class AutoPurge:
    """Runs a store's purge by itself: `due()` after a write says whether it is time."""

    def __init__(self, retention: Retention | None) -> None:
        self.retention = Retention.from_env() if retention is None else retention
        self._next = 0.0  # the first write after a worker starts purges

    def due(self) -> bool:
        keep = self.retention
        if keep.records is None and keep.audit is None:
            return False
        now = time.monotonic()
        if now < self._next:
            return False
        self._next = now + keep.interval.total_seconds()
        return True

    def again(self) -> None:
        self._next = 0.0

    def cutoffs(self) -> tuple[timedelta | None, timedelta | None]:
        return self.retention.records, self.retention.audit


def log_purge_failure(store: object, exc: BaseException) -> None:
    # A purge that fails must not fail the write it followed; it is tried again next interval.
    logger.warning("%r: the automatic purge failed (retried later): %s", store, exc)
