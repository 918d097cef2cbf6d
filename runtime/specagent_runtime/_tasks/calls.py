"""A task's `call` steps: sent exactly once, or handed to a human when that cannot be known.

The attempt is recorded in the run before the request is sent, with an `Idempotency-Key`
derived from (run, step); an attempt whose outcome is unknown (the connection broke off, the
worker died) is sent again with the same key only when that is safe (an idempotent method, or
an API that honours the key), otherwise the run is handed to a human with the truth: "not
known whether it went through, not sent again". Each changing call is audited (`audit`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pydantic

from specagent_runtime._errors import ApiError, ApiStatusError, RequestError
from specagent_runtime._http.observe import call_scope
from specagent_runtime._secrets import redact_known
from specagent_runtime._spec import IDEMPOTENT_METHODS, SAFE_METHODS, OperationSpec
from specagent_runtime._stores.base import Write
from specagent_runtime._tasks.audit import call_entry, unknown_entry
from specagent_runtime._tasks.record import PendingCall, RunRecord
from specagent_runtime._tasks.run import RunStatus
from specagent_runtime._tasks.steps import Call, TaskContext, TaskDefinition
from specagent_runtime._tools.shaping import owned_by, redact, scrub_error

logger = logging.getLogger("specagent_runtime.tasks")

# When a call may have gone through but nobody knows: the truth, never "done".
UNKNOWN_OUTCOME_MESSAGE = (
    "I could not confirm whether that went through, and I have not tried again so that it is "
    "not done twice. I'm passing this to a colleague who will check and get back to you."
)
NOT_YOURS_MESSAGE = (
    "Sorry, I can't go on with this: what I found does not belong to your account. "
    "Please check the number, or ask for a colleague."
)


class TaskClient(Protocol):
    """The generated `AsyncClient` (an `AsyncApiClient`): the one method the engine uses."""

    async def _call(
        self,
        op: OperationSpec,
        args: Mapping[str, object],
        response_type: Any,
        *,
        idempotency_key: str | None = None,
    ) -> Any: ...


def idempotency_key(run_id: str, step: str) -> str:
    """The same key for every attempt of one step of one run, and only for it."""
    digest = hashlib.sha256(f"{run_id}\x00{step}".encode()).hexdigest()[:32]
    return f"task-{digest}"


class CallSteps:
    """`call` steps, for `TaskEngine` (a base class: the methods below are the engine's)."""

    client: TaskClient

    async def _save(self, record: RunRecord, version: int, extra: Sequence[Write] = ()) -> int:
        raise NotImplementedError

    def _log(self, record: RunRecord, step: str | None, event: str, detail: str) -> None:
        raise NotImplementedError

    def _fail(self, record: RunRecord, step: str, message: str, *, detail: str = "") -> None:
        raise NotImplementedError

    def _hand_off(
        self, record: RunRecord, reason: str, *, step: str | None = None, message: str = ""
    ) -> None:
        raise NotImplementedError

    def _finish(self, record: RunRecord, status: RunStatus, step: str | None) -> None:
        raise NotImplementedError

    async def _call(
        self, record: RunRecord, version: int, step: str, effect: Call, *, retrying: bool
    ) -> int:
        op = effect.operation
        key = idempotency_key(record.id, step)
        retry_safe = op.method.upper() in IDEMPOTENT_METHODS or op.idempotency_key
        record.pending = PendingCall(step, op.id, retry_safe)
        self._log(record, step, "call", op.id + (" (retry, same key)" if retrying else ""))
        version = await self._save(record, version)  # the attempt is on record before it is sent
        audited = op.method.upper() not in SAFE_METHODS
        audit: list[Write] = []
        try:
            with call_scope() as scope:
                try:
                    result = await self.client._call(
                        op, effect.args, effect.response, idempotency_key=key
                    )
                finally:
                    if audited and scope.sent:
                        audit = [call_entry(record, step, effect, scope.sent[-1])]
        except RequestError as exc:  # nothing was sent
            record.pending = None
            self._fail(record, step, f"{op.id} could not be sent: {exc.model_message()}")
        except ApiStatusError as exc:
            record.pending = None
            exc = scrub_error(exc, effect.redact)  # an error echoing a redacted value loses it
            if retrying and op.method.upper() == "DELETE" and exc.status in (404, 410):
                # A retried DELETE of something the lost first attempt already removed.
                self._called(record, step, effect, None, "already done by the first attempt")
            elif effect.on_error is not None:
                message = exc.model_message()
                record.variables["error"] = {"status": exc.status, "message": message}
                record.step = effect.on_error
                self._log(record, step, "error", f"{op.id}: {exc.status}")
            else:
                self._fail(record, step, exc.model_message(), detail=f"{op.id}: {exc.status}")
        except ApiError as exc:  # sent, but the outcome is unknown (connection, timeout, body)
            if retry_safe and not retrying:
                self._log(record, step, "unknown", f"{op.id}: {type(exc).__name__}")
                return await self._call(record, version, step, effect, retrying=True)
            record.pending = None
            self._hand_off(
                record,
                f"could not tell whether {op.id} went through ({type(exc).__name__}); "
                "not sent again",
                step=step,
                message=UNKNOWN_OUTCOME_MESSAGE,
            )
        else:
            record.pending = None
            self._called(record, step, effect, result, "ok")
        return await self._save(record, version, audit)

    def _called(self, record: RunRecord, step: str, effect: Call, result: Any, detail: str) -> None:
        data = json_data(result)
        if effect.owner is not None:
            field, identity_field = effect.owner
            if not owned_by(data, field, record.identity.get(identity_field)):
                self._withhold(record, step, effect)
                return
        if effect.save_as is not None:
            # Redacted fields never reach a step, an instruct model or the store.
            record.variables[effect.save_as] = (
                redact(data, effect.redact) if effect.redact else data
            )
        record.step = effect.next
        self._log(record, step, "called", f"{effect.operation.id}: {detail}")

    def _withhold(self, record: RunRecord, step: str, effect: Call) -> None:
        """Someone else's record came back (`owner:`): it is not kept, the run stops, and the
        customer is told without a word of what was found."""
        assert effect.owner is not None
        what = f"{effect.operation.id}: its {effect.owner[0]} is not the customer's"
        logger.warning("task run %s step %s: %s; withheld", record.id, step, what)
        record.outbox.append(NOT_YOURS_MESSAGE)
        self._log(record, step, "withheld", what)
        self._finish(record, RunStatus.FAILED, step)

    async def _settle_pending(
        self, definition: TaskDefinition, record: RunRecord, pending: PendingCall, version: int
    ) -> int:
        """A call was recorded as started but its outcome never was: the process died."""
        step = pending.step
        if not pending.retry_safe:
            record.pending = None
            reason = (
                f"the outcome of {pending.operation} is unknown after an interruption,"
                " and repeating it is not safe; not sent again"
            )
            self._hand_off(record, reason, step=step, message=UNKNOWN_OUTCOME_MESSAGE)
            entry = unknown_entry(record, step, pending.operation)
            return await self._save(record, version, [entry])
        function = definition.steps.get(step)
        effect = function(TaskContext(record.variables)) if function is not None else None
        if not isinstance(effect, Call):
            record.pending = None
            self._hand_off(record, f"step {step} changed since the interrupted call", step=step)
            return await self._save(record, version)
        self._log(record, step, "recover", pending.operation)
        return await self._call(record, version, step, effect, retrying=True)


_ANY = pydantic.TypeAdapter[Any](Any)


def json_data(value: Any) -> Any:
    """A call's parsed result (pydantic models, by the spec's field names) as JSON data, with
    any credential an API handed back masked (the run record is stored, and its values reach
    the customer's messages)."""
    return _masked(
        _ANY.dump_python(value, mode="json", by_alias=True, exclude_none=True, warnings=False)
    )


def _masked(data: Any) -> Any:
    if isinstance(data, str):
        return redact_known(data)
    if isinstance(data, list):
        return [_masked(item) for item in data]
    if isinstance(data, dict):
        return {redact_known(str(key)): _masked(item) for key, item in data.items()}
    return data
