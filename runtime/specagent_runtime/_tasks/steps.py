"""What compiled task step functions return, and the typed view of a run they read.

A generated `tasks.py` holds one small function per step. Each reads the run's variables through
a `TaskContext` and returns one effect: ask the customer, call an operation, confirm, respond,
set variables, jump, hand off or end. The functions never perform I/O themselves; the engine
applies the effect, records it and saves the run, which is what makes a run resumable after
every step.

The variables are stored as JSON. Steps generated since typed task code read a call's result
as the package's model class (`ctx.result("order", models.Order)`) and the inputs as the
task's own dataclass (`ctx.inputs(CancelOrderInputs)`), so `mypy --strict` checks every field a
step reads against the API's types; packages generated before read through the JSON accessors
(`ctx.text("order", "status")`), which stay. Both read a missing value as None.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType, NoneType, UnionType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from specagent_runtime._errors import TaskDataError
from specagent_runtime._spec import OperationSpec
from specagent_runtime._tasks.dates import TaskClock, parse_iso_date, parse_iso_date_time

if TYPE_CHECKING:
    from pydantic import TypeAdapter

InputType = Literal["string", "integer", "number", "boolean"]
EndStatus = Literal["done", "cancelled", "failed"]
PathPart = str | int
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class InputSpec:
    """One task input: its type and the checks a customer's answer must pass."""

    name: str
    type: InputType = "string"
    description: str = ""
    required: bool = True  # required in the tool schema (False when an `ask` step collects it)
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    format: str | None = None  # "email", "date" (2026-11-02) or "date-time" (with an offset)
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    # (value, label) pairs of an enum: how a choice is shown to the customer and accepted.
    labels: tuple[tuple[str, str], ...] = ()

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        if self.description:
            schema["description"] = self.description
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.pattern is not None:
            schema["pattern"] = self.pattern
        if self.format is not None:
            schema["format"] = self.format
        if self.minimum is not None:
            schema["minimum"] = _number(self.minimum, self.type)
        if self.maximum is not None:
            schema["maximum"] = _number(self.maximum, self.type)
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        return schema


def _number(value: float, kind: str) -> float | int:
    return int(value) if kind == "integer" and float(value).is_integer() else value


# --- effects ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ask:
    """Wait for the customer to give `input`; skipped when it already holds a valid value."""

    input: str
    prompt: str
    next: str | None


@dataclass(frozen=True, slots=True)
class Call:
    """Call an operation; the result (as JSON) is saved under `save_as`."""

    operation: OperationSpec
    args: Mapping[str, Any]
    response: Any  # the generated model class (or None) passed to the client's `_call`
    save_as: str | None
    next: str | None
    on_error: str | None = None  # step to continue at when the API answers with an error
    # (response field path, identity field): the result must be the run's customer's, else
    # it is withheld and the run stops (agent.yaml `owner:`).
    owner: tuple[str, str] | None = None
    # Response field paths removed before the result is saved or shown (agent.yaml `redact:`).
    redact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Confirm:
    """Show `message` and wait for yes or no in the customer's next message."""

    message: str
    next: str | None
    declined: str | None = None  # step for "no"; None: the run ends as cancelled


@dataclass(frozen=True, slots=True)
class Respond:
    message: str
    next: str | None


@dataclass(frozen=True, slots=True)
class SetValues:
    values: Mapping[str, Any]  # JSON values
    next: str | None


@dataclass(frozen=True, slots=True)
class Goto:
    """Continue at another step (the result of an `if`); `None` ends the run as done."""

    next: str | None


@dataclass(frozen=True, slots=True)
class Handoff:
    reason: str


@dataclass(frozen=True, slots=True)
class End:
    status: EndStatus = "done"


@dataclass(frozen=True, slots=True)
class Instruct:
    """Let the model carry out one step written in words (an `instruct:` step).

    It may use the named `tools` for at most `max_rounds` rounds and must finish with a value
    for every `output` field (checked like a customer's answer); the result is saved under
    `save_as`. A step that cannot finish hands the run to a human. Run by `instruct`.
    """

    instruction: str
    tools: tuple[str, ...]
    output: tuple[InputSpec, ...]
    save_as: str
    next: str | None
    max_rounds: int = 4


Effect = Ask | Call | Confirm | Respond | SetValues | Goto | Handoff | End | Instruct
StepFunction = Callable[["TaskContext"], Effect]


@dataclass(frozen=True, slots=True)
class TaskDefinition:
    """A compiled task: its tool-facing description and inputs, and its steps by id."""

    name: str
    description: str
    requires: Literal["verified", "anyone"]
    inputs: tuple[InputSpec, ...]
    first: str | None
    steps: Mapping[str, StepFunction]
    # Step id -> where it was written ("agent.yaml:31"), shown when a run is inspected.
    lines: Mapping[str, str] = field(default_factory=dict)

    def input_schema(self) -> dict[str, Any]:
        """The tool's argument schema: what the model may pass when it starts the task."""
        return {
            "type": "object",
            "properties": {spec.name: spec.json_schema() for spec in self.inputs},
            "required": [spec.name for spec in self.inputs if spec.required],
            "additionalProperties": False,
        }

    def tool_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "task": self.name,
            "requires": self.requires,
            "input_schema": self.input_schema(),
        }


# --- reading variables ------------------------------------------------------------------------


def _dotted(path: tuple[PathPart, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class TaskContext:
    """Typed, read-only access to a run's variables (`inputs`, `identity`, step results).

    `result` and `inputs` read a variable as a class of the package (validated once per step:
    the engine makes one context per step); `need` and `item` are what the generated code
    wraps field reads in. The JSON accessors (`text`, `integer`, ...) read a path of plain JSON
    and return None for a missing value; the `need_*` ones raise `TaskDataError`, for places
    where None cannot be used (an argument of a required parameter, an ordering comparison).
    """

    def __init__(self, variables: Mapping[str, Any], clock: TaskClock | None = None) -> None:
        self._variables = variables
        self._typed: dict[tuple[str, type[Any]], Any] = {}
        self._clock = clock if clock is not None else TaskClock()

    # --- dates (`today`, `now`, `days_since`, `days_until` in the agent file) -----------------

    def today(self) -> dt.date:
        """Today's date in the tasks' time zone (UTC unless the host sets one)."""
        return self._clock.today()

    def now(self) -> dt.datetime:
        """The current time, with the tasks' time zone."""
        return self._clock.now()

    def days_since(self, value: dt.date) -> int:
        """Whole calendar days from `value` (a date, or a date-time's date in the tasks' time
        zone) to today: 0 today, 1 yesterday, negative for a day still to come."""
        return self._clock.days_since(value)

    def days_until(self, value: dt.date) -> int:
        """Whole calendar days from today to `value`: 0 today, 1 tomorrow."""
        return -self._clock.days_since(value)

    # --- typed reads (generated code since typed task code) -----------------------------------

    def result(self, name: str, kind: type[_T]) -> _T:
        """The variable `name` (a call's saved result) as `kind`, its generated model class.

        A result that does not match its model (an API that drifted from its spec) is read
        field by field: a field that is missing or does not validate reads as None, as with the
        JSON accessors, so the step goes on, or hands off where it needs the value.
        """
        key = (name, kind)
        if key not in self._typed:
            self._typed[key] = _read_as(kind, self._variables.get(name))
        return cast("_T", self._typed[key])

    def inputs(self, kind: type[_T]) -> _T:
        """The task's inputs as `kind`, the task's generated dataclass (None: not given yet)."""
        return self.result("inputs", kind)

    @staticmethod
    def item(values: Sequence[_T] | None, index: int) -> _T | None:
        """`values[index]`, or None when there is no such item (or no list)."""
        if values is None or not -len(values) <= index < len(values):
            return None
        return values[index]

    @staticmethod
    def need(value: _T | None, what: str) -> _T:
        """`value`, which must be there: a missing one (None) hands the run to a human."""
        if value is None:
            raise TaskDataError(f"`{what}` has no value")
        return value

    # --- JSON accessors (packages generated before typed task code, and plain values) ---------

    def value(self, *path: PathPart) -> Any:
        current: Any = self._variables
        for part in path:
            if isinstance(part, int):
                if not isinstance(current, list) or not -len(current) <= part < len(current):
                    return None
                current = current[part]
            elif isinstance(current, Mapping):
                current = current.get(part)
            else:
                return None
        return current

    def text(self, *path: PathPart) -> str | None:
        value = self.value(*path)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        raise TaskDataError(f"`{_dotted(path)}` is not text")

    def integer(self, *path: PathPart) -> int | None:
        value = self.value(*path)
        if value is None:
            return None
        if isinstance(value, bool):
            raise TaskDataError(f"`{_dotted(path)}` is not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TaskDataError(f"`{_dotted(path)}` is not a whole number")

    def number(self, *path: PathPart) -> float | None:
        value = self.value(*path)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise TaskDataError(f"`{_dotted(path)}` is not a number")

    def boolean(self, *path: PathPart) -> bool | None:
        value = self.value(*path)
        if value is None or isinstance(value, bool):
            return value
        raise TaskDataError(f"`{_dotted(path)}` is not true or false")

    def date(self, *path: PathPart) -> dt.date | None:
        value = self.value(*path)
        if value is None:
            return None
        parsed = parse_iso_date(value[:10]) if isinstance(value, str) else None
        if parsed is None:
            raise TaskDataError(f"`{_dotted(path)}` is not a date")
        return parsed

    def datetime(self, *path: PathPart) -> dt.datetime | None:
        """A date-time; one stored without an offset is in the tasks' time zone."""
        value = self.value(*path)
        if value is None:
            return None
        parsed = parse_iso_date_time(value) if isinstance(value, str) else None
        if parsed is None:
            raise TaskDataError(f"`{_dotted(path)}` is not a date and time")
        return self._clock.local(parsed)

    def items(self, *path: PathPart) -> list[Any] | None:
        value = self.value(*path)
        if value is None or isinstance(value, list):
            return value
        raise TaskDataError(f"`{_dotted(path)}` is not a list")

    def need_text(self, *path: PathPart) -> str:
        return _present(self.text(*path), path)

    def need_integer(self, *path: PathPart) -> int:
        return _present(self.integer(*path), path)

    def need_number(self, *path: PathPart) -> float:
        return _present(self.number(*path), path)

    def need_boolean(self, *path: PathPart) -> bool:
        return _present(self.boolean(*path), path)

    def need_date(self, *path: PathPart) -> dt.date:
        return _present(self.date(*path), path)

    def need_datetime(self, *path: PathPart) -> dt.datetime:
        return _present(self.datetime(*path), path)

    def need_items(self, *path: PathPart) -> list[Any]:
        return _present(self.items(*path), path)

    def need_value(self, *path: PathPart) -> Any:
        return _present(self.value(*path), path)

    @staticmethod
    def label(value: object, labels: Mapping[str, str]) -> object:
        """A choice as a message shows it to the customer: its `labels:` entry, else as it is."""
        return labels.get(value, value) if isinstance(value, str) else value

    @staticmethod
    def format(*parts: object) -> str:
        """A message from literal text and values; a missing value shows as nothing."""
        return "".join(_show(part) for part in parts)


def _present(value: _T | None, path: tuple[PathPart, ...]) -> _T:
    if value is None:
        raise TaskDataError(f"`{_dotted(path)}` has no value")
    return value


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_show(item) for item in value)
    if isinstance(value, str | int | float) or type(value).__module__ == "builtins":
        return str(value)  # text, numbers (a StrEnum or IntEnum is its value), JSON objects
    # A model, a date, an enum, a UUID... read by typed steps: shown as its JSON, exactly as the
    # stored value was shown before.
    return _show(_as_json(value))


def _as_json(value: object) -> object:
    from pydantic import BaseModel  # noqa: PLC0415  # pydantic only once a typed value shows
    from pydantic_core import to_jsonable_python  # noqa: PLC0415

    if isinstance(value, BaseModel):
        # A model read leniently may hold None where its annotation says otherwise.
        return value.model_dump(mode="json", by_alias=True, exclude_none=True, warnings=False)
    return to_jsonable_python(value, by_alias=True, exclude_none=True)


# --- reading stored JSON as a generated class, leniently ----------------------------------------


def _read_as(kind: Any, data: Any) -> Any:
    from pydantic import ValidationError  # noqa: PLC0415  # pydantic only for typed steps

    try:
        return _adapter(kind).validate_python(data)
    except ValidationError:
        return _lenient(kind, data, frozenset())


@functools.lru_cache(maxsize=512)
def _adapter(kind: Any) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter  # noqa: PLC0415

    return TypeAdapter(kind)


def _lenient(kind: Any, data: Any, building: frozenset[Any]) -> Any:
    """The closest value of `kind` that `data` allows: what validates is kept, a class is
    built field by field, anything else is None (a missing value, as the engine has always
    read one)."""
    from pydantic import BaseModel, RootModel  # noqa: PLC0415

    kind = _without_none(kind)
    if isinstance(kind, type) and issubclass(kind, RootModel):
        root = kind.model_fields["root"].annotation
        return kind.model_construct(root=_lenient_value(root, data, building))
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        given = data if isinstance(data, Mapping) else {}
        values: dict[str, Any] = {}
        for name, info in kind.model_fields.items():
            keys = (info.validation_alias, info.alias, name)
            key = next((k for k in keys if isinstance(k, str) and k in given), None)
            if key is not None:
                values[name] = _lenient_value(info.annotation, given[key], building)
            elif not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
            else:
                values[name] = _absent(info.annotation, building | {kind})
        return kind.model_construct(_fields_set=set(values), **values)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        given = data if isinstance(data, Mapping) else {}
        hints = typing.get_type_hints(kind)
        found = {
            item.name: _lenient_value(hints[item.name], given[item.name], building)
            for item in dataclasses.fields(kind)
            if item.name in given
        }
        return kind(**found)
    if typing.get_origin(kind) is list and isinstance(data, list):
        (item_kind,) = typing.get_args(kind) or (Any,)
        return [_lenient_value(item_kind, item, building) for item in data]
    return None


def _lenient_value(kind: Any, data: Any, building: frozenset[Any]) -> Any:
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        return _adapter(kind).validate_python(data)
    except ValidationError:
        return _lenient(kind, data, building)
    except TypeError:  # an annotation pydantic cannot make a validator for alone
        return None


def _absent(kind: Any, building: frozenset[Any]) -> Any:
    """A required field the data lacks: a model comes out empty (every field None), so a
    chain of fields through it reads None like any missing value; anything else is None."""
    from pydantic import BaseModel, RootModel  # noqa: PLC0415

    if (
        isinstance(kind, type)
        and issubclass(kind, BaseModel)
        and not issubclass(kind, RootModel)
        and kind not in building
    ):
        return _lenient(kind, {}, building)
    return None


def _without_none(kind: Any) -> Any:
    """`X | None` -> `X`; any other annotation as it is."""
    if typing.get_origin(kind) in (typing.Union, UnionType):
        options = [option for option in typing.get_args(kind) if option is not NoneType]
        if len(options) == 1:
            return options[0]
    return kind


def load_task_module(package: str) -> ModuleType | None:
    """The package's generated ``tasks`` module, or None when the agent file has no tasks."""
    try:
        module = importlib.import_module(f"{package}.tasks")
    except ModuleNotFoundError as exc:
        if exc.name == f"{package}.tasks":
            return None
        raise
    return module if isinstance(getattr(module, "TASKS", None), Mapping) else None
