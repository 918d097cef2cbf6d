"""Reading a customer's free-text answer as a typed task input, and as yes or no.

Customers answer in sentences ("it's order 12, thanks"), so an answer is accepted when it holds
exactly one value of the wanted kind; anything ambiguous is asked again with the reason, never
guessed. The checks are the input's declared ones (enum, pattern, email, date, ranges, lengths).

A choice (`enum`) is matched without regard to case, spaces, `-` and `_` ("Too-Small", "too
small" and "TOO_SMALL" are `too_small`), by its value or its display label (`labels:`), as the
whole answer or as words inside it; an answer that names two choices ("too small, also slightly
damaged") is asked again, never read as one of them. Choices are shown by their labels.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from specagent_runtime._errors import SpecagentError, TaskError
from specagent_runtime._judge import judge
from specagent_runtime._tasks.dates import (
    TaskClock,
    find_date_times,
    find_dates,
    parse_iso_date,
    parse_iso_date_time,
)
from specagent_runtime._tasks.steps import InputSpec, TaskDefinition

_INTEGER = re.compile(r"(?<![\w.])[-+]?\d+(?![\w.]|\.\d)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?![\w.]|\.\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EMAIL_FULL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


class InvalidAnswer(SpecagentError, ValueError):
    """The answer does not fit the input; the message tells the customer what is expected."""


_UTC_CLOCK = TaskClock()


def parse_answer(spec: InputSpec, text: str, clock: TaskClock = _UTC_CLOCK) -> Any:
    """The JSON value for `spec` found in the customer's `text`, or `InvalidAnswer`.

    `clock` says what "today" is (and in which zone a time without an offset is)."""
    value = _extract(spec, text.strip(), clock)
    validate(spec, value)
    return value


def free_text(spec: InputSpec) -> bool:
    """Whether any text is a valid answer (a string input with no checks at all)."""
    return spec.type == "string" and not (
        spec.enum or spec.pattern or spec.format or spec.min_length or spec.max_length
    )


def _extract(spec: InputSpec, text: str, clock: TaskClock) -> Any:
    if not text:
        raise InvalidAnswer("I did not get an answer.")
    if spec.enum:
        return _choice(spec, text)
    if spec.format == "date":
        return _date(text, clock)
    if spec.format == "date-time":
        return _date_time(text, clock)
    if spec.type == "integer":
        return int(_single(_INTEGER, text, "a whole number"))
    if spec.type == "number":
        return float(_single(_NUMBER, text, "a number"))
    if spec.type == "boolean":
        answer = yes_or_no(text)
        if answer is None:
            raise InvalidAnswer("Please answer yes or no.")
        return answer
    if spec.format == "email":
        return _single(_EMAIL, text, "an email address")
    return text


def _single(pattern: re.Pattern[str], text: str, what: str) -> str:
    found = pattern.findall(text)
    if len(found) == 1:
        return str(found[0])
    if not found:
        raise InvalidAnswer(f"That does not look like {what}.")
    raise InvalidAnswer(f"I found more than one; please give just {what}.")


def _date(text: str, clock: TaskClock) -> str:
    found, ambiguous = find_dates(text, clock.today())
    if len(found) == 1:
        return found[0].isoformat()
    if len(found) > 1:
        raise InvalidAnswer("I found more than one date; please give just one.")
    if ambiguous:
        raise InvalidAnswer(
            "I can't tell the day from the month there; please write the date like"
            f" {_example(clock)} or {clock.today().day} {clock.today():%B %Y}."
        )
    raise InvalidAnswer(f"That does not look like a date; please write it like {_example(clock)}.")


def _date_time(text: str, clock: TaskClock) -> str:
    found = find_date_times(text, clock)
    if len(found) == 1:
        return found[0].isoformat()
    if len(found) > 1:
        raise InvalidAnswer("I found more than one date and time; please give just one.")
    raise InvalidAnswer(f"Please give the date and time like {_example(clock)} 14:30.")


def _example(clock: TaskClock) -> str:
    return clock.today().isoformat()


def choice_words(text: str) -> str:
    """A choice or an answer as they are compared: NFKC, case-folded, with every run of spaces,
    `-`, `_` and punctuation one space. Public so the generator can refuse two choices that
    read the same (the customer could not pick one of them)."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def choice_label(spec: InputSpec, value: str) -> str:
    """How a choice is shown to the customer: its label, else its value in words."""
    return dict(spec.labels).get(value) or value.replace("_", " ")


def choices_text(spec: InputSpec) -> str:
    return ", ".join(choice_label(spec, value) for value in spec.enum)


def _choice(spec: InputSpec, text: str) -> str:
    """The one choice the answer names (see the module docstring)."""
    forms: list[tuple[str, str]] = []  # (words, value), longest first
    labels = dict(spec.labels)
    for value in spec.enum:
        for form in {choice_words(value), choice_words(labels.get(value, ""))} - {""}:
            forms.append((form, value))
    forms.sort(key=lambda item: -len(item[0]))
    answer = choice_words(text)
    for form, value in forms:
        if answer == form:
            return value
    taken: list[tuple[int, int]] = []
    named: list[tuple[int, str]] = []
    for form, value in forms:
        for match in re.finditer(rf"(?<!\w){re.escape(form)}(?!\w)", answer):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue  # "small" inside "too small": the longer choice took it
            taken.append(match.span())
            named.append((match.start(), value))
    values = list(dict.fromkeys(value for _, value in sorted(named)))
    if len(values) == 1:
        return values[0]
    if values:
        both = " and ".join(choice_label(spec, value) for value in values)
        raise InvalidAnswer(f"You mentioned {both}; please choose one of: {choices_text(spec)}.")
    raise InvalidAnswer(f"Please choose one of: {choices_text(spec)}.")


def coerce(spec: InputSpec, value: Any, clock: TaskClock = _UTC_CLOCK) -> Any:
    """The model's value in the input's own spelling: a choice by its label or in other case
    ("Too small" -> `too_small`), a date-time without an offset in the tasks' zone; anything
    else as it is (`validate` judges it)."""
    if spec.enum and isinstance(value, str) and value not in spec.enum:
        try:
            return _choice(spec, value)
        except InvalidAnswer:
            return value
    if spec.format == "date-time" and isinstance(value, str):
        parsed = parse_iso_date_time(value)
        if parsed is not None:
            return clock.local(parsed).isoformat()
    return value


def validate(spec: InputSpec, value: Any) -> None:
    """Check a value (from the customer or from the model's tool call) against `spec`."""
    label = spec.description or spec.name.replace("_", " ")
    if not _has_type(spec.type, value):
        raise InvalidAnswer(f"The {label} must be {_type_words(spec.type)}.")
    if spec.enum and value not in spec.enum:
        raise InvalidAnswer(f"Please choose one of: {choices_text(spec)}.")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise InvalidAnswer(f"The {label} must be at least {_show(spec.minimum)}.")
        if spec.maximum is not None and value > spec.maximum:
            raise InvalidAnswer(f"The {label} must be at most {_show(spec.maximum)}.")
    if isinstance(value, str):
        if spec.format == "email" and not _EMAIL_FULL.match(value):
            raise InvalidAnswer("That does not look like an email address.")
        if spec.format == "date" and parse_iso_date(value) is None:
            raise InvalidAnswer(f"The {label} must be a date like 2026-11-02.")
        if spec.format == "date-time" and _aware(parse_iso_date_time(value)) is None:
            raise InvalidAnswer(f"The {label} must be a date and time like 2026-11-02T14:30Z.")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
            raise InvalidAnswer(f"That is not a valid {label}.")
        if spec.min_length is not None and len(value) < spec.min_length:
            raise InvalidAnswer(f"The {label} must have at least {spec.min_length} characters.")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise InvalidAnswer(f"The {label} must have at most {spec.max_length} characters.")


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value if value is not None and value.tzinfo is not None else None


def _has_type(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _type_words(kind: str) -> str:
    return {"integer": "a whole number", "number": "a number", "boolean": "yes or no"}.get(
        kind, "text"
    )


def _show(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def yes_or_no(text: str) -> bool | None:
    """True for a yes, False for a no, None for anything else, as the consent judge reads it
    (`specagent_runtime.judge`: a whole-message affirmative from a closed list is the only yes;
    "Yes, cancel it." is not one, the customer is asked again)."""
    verdict = judge(text)
    return None if verdict == "other" else verdict == "yes"


def input_spec(definition: TaskDefinition, name: str) -> Any:
    for spec in definition.inputs:
        if spec.name == name:
            return spec
    raise TaskError(f"task `{definition.name}` has no input `{name}`")


def accepted_inputs(
    definition: TaskDefinition, inputs: Mapping[str, Any], clock: TaskClock = _UTC_CLOCK
) -> dict[str, Any]:
    """The model's arguments, checked; a bad value of an input an `ask` step collects is
    dropped (the customer will be asked), a bad or missing required one is refused."""
    known = {spec.name: spec for spec in definition.inputs}
    unknown = sorted(set(inputs) - set(known))
    if unknown:
        raise TaskError(f"task `{definition.name}` has no input(s) {', '.join(unknown)}")
    accepted: dict[str, Any] = {}
    for name, spec in known.items():
        value = inputs.get(name)
        if value is None:
            if spec.required:
                raise TaskError(f"task `{definition.name}` needs the input `{name}`")
            continue
        value = coerce(spec, value, clock)
        try:
            validate(spec, value)
        except InvalidAnswer as problem:
            if spec.required:
                raise TaskError(f"input `{name}`: {problem}") from None
            continue
        accepted[name] = value
    return accepted
