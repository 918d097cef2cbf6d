"""Reading a customer's free-text answer as a typed task input, and as yes or no.

Customers answer in sentences ("it's order 12, thanks"), so an answer is accepted when it holds
exactly one value of the wanted kind; anything ambiguous is asked again with the reason, never
guessed. The checks are the input's declared ones (enum, pattern, email, ranges, lengths).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from specagent_runtime._errors import SpecagentError, TaskError
from specagent_runtime._judge import judge
from specagent_runtime._tasks.steps import InputSpec, TaskDefinition

_INTEGER = re.compile(r"(?<![\w.])[-+]?\d+(?![\w.]|\.\d)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?![\w.]|\.\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EMAIL_FULL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


class InvalidAnswer(SpecagentError, ValueError):
    """The answer does not fit the input; the message tells the customer what is expected."""


def parse_answer(spec: InputSpec, text: str) -> Any:
    """The JSON value for `spec` found in the customer's `text`, or `InvalidAnswer`."""
    value = _extract(spec, text.strip())
    validate(spec, value)
    return value


def _extract(spec: InputSpec, text: str) -> Any:
    if not text:
        raise InvalidAnswer("I did not get an answer.")
    if spec.enum:
        return _choice(spec, text)
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


def _choice(spec: InputSpec, text: str) -> str:
    lowered = text.lower()
    for option in spec.enum:
        if lowered == option.lower():
            return option
    mentioned = [
        option
        for option in spec.enum
        if re.search(rf"(?<!\w){re.escape(option.lower())}(?!\w)", lowered)
    ]
    if len(mentioned) == 1:
        return mentioned[0]
    raise InvalidAnswer("Please choose one of: " + ", ".join(spec.enum) + ".")


def validate(spec: InputSpec, value: Any) -> None:
    """Check a value (from the customer or from the model's tool call) against `spec`."""
    label = spec.description or spec.name.replace("_", " ")
    if not _has_type(spec.type, value):
        raise InvalidAnswer(f"The {label} must be {_type_words(spec.type)}.")
    if spec.enum and value not in spec.enum:
        raise InvalidAnswer("Please choose one of: " + ", ".join(spec.enum) + ".")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise InvalidAnswer(f"The {label} must be at least {_show(spec.minimum)}.")
        if spec.maximum is not None and value > spec.maximum:
            raise InvalidAnswer(f"The {label} must be at most {_show(spec.maximum)}.")
    if isinstance(value, str):
        if spec.format == "email" and not _EMAIL_FULL.match(value):
            raise InvalidAnswer("That does not look like an email address.")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
            raise InvalidAnswer(f"That is not a valid {label}.")
        if spec.min_length is not None and len(value) < spec.min_length:
            raise InvalidAnswer(f"The {label} must have at least {spec.min_length} characters.")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise InvalidAnswer(f"The {label} must have at most {spec.max_length} characters.")


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


def accepted_inputs(definition: TaskDefinition, inputs: Mapping[str, Any]) -> dict[str, Any]:
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
        try:
            validate(spec, value)
        except InvalidAnswer as problem:
            if spec.required:
                raise TaskError(f"input `{name}`: {problem}") from None
            continue
        accepted[name] = value
    return accepted
