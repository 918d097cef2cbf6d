"""Turning a success response into the operation's declared type, leniently.

Real APIs drift from their specs (a new enum value, a field that became nullable). Failing the
customer's conversation over that helps no one, so a body that does not validate is logged and
returned as close to the declared type as it goes: models built without validation, the
fields that do validate typed, the rest left as the raw JSON values.
"""

from __future__ import annotations

import codecs
import functools
import logging
import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, RootModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from specagent_runtime._errors import ResponseDecodeError, ResponseTooDeepError
from specagent_runtime._http.body import loads

logger = logging.getLogger("specagent_runtime")


def decode_success(
    operation_id: str,
    status: int,
    content_type: str,
    body: bytes,
    response_type: Any,
    *,
    max_depth: int,
) -> Any:
    """The 2xx `body` (already read within the size cap, see `body`) as `response_type`: None
    for no type, text for `str`, bytes for `bytes`. JSON deeper than `max_depth` raises
    `ResponseTooDeepError` before it is parsed."""
    if response_type is None:
        return None
    if response_type is bytes:
        return body
    if response_type is str:
        return body.decode(_charset(content_type), errors="replace")
    if not body.strip():
        logger.debug("%s: empty %d response, returning None", operation_id, status)
        return None
    try:
        data = loads(body, max_depth)
    except ResponseTooDeepError as exc:
        exc.operation_id, exc.status = operation_id, status
        raise
    except ValueError:
        raise ResponseDecodeError(
            f"the {status} response is not valid JSON ({content_type or 'no content type'})",
            operation_id=operation_id,
            status=status,
        ) from None
    return validate_leniently(operation_id, response_type, data)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"').strip()
            try:
                codecs.lookup(charset)
            except LookupError:
                break
            return charset
    return "utf-8"


def validate_leniently(operation_id: str, response_type: Any, data: Any) -> Any:
    """`data` validated as `response_type`; on mismatch a warning and a best-effort value."""
    try:
        return _adapter(response_type).validate_python(data)
    except PydanticValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        where = ".".join(str(part) for part in errors[0]["loc"]) if errors else ""
        # Locations and error kinds only: the values may be customer data.
        logger.warning(
            "%s: the response does not match %s (%d problem(s), first at %r: %s); "
            "returning it unvalidated",
            operation_id,
            _type_name(response_type),
            len(errors),
            where or "(root)",
            errors[0]["type"] if errors else "",
        )
        return _lenient(response_type, data)


def _adapter(tp: Any) -> TypeAdapter[Any]:
    try:
        return _cached_adapter(tp)
    except TypeError:  # unhashable annotation
        return TypeAdapter(tp)


@functools.lru_cache(maxsize=1024)
def _cached_adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _lenient(tp: Any, data: Any) -> Any:
    """The closest value of type `tp` that `data` allows, without raising."""
    if isinstance(tp, type) and issubclass(tp, RootModel):
        # A root model wraps any JSON value (a oneOf, a list): keep the wrapper so callers can
        # still read `.root`, with the inner value made as lenient as the rest.
        return tp.model_construct(root=_lenient(tp.model_fields["root"].annotation, data))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _lenient_model(tp, data) if isinstance(data, dict) else data
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (list, tuple, set, frozenset) and isinstance(data, list) and args:
        return [_lenient_value(args[0], item) for item in data]
    if origin is dict and isinstance(data, dict) and len(args) == 2:
        return {key: _lenient_value(args[1], value) for key, value in data.items()}
    if origin in (Union, types.UnionType):
        # Only an optional value (`X | None`) has one obvious shape to fall back to; for a real
        # union (oneOf) guessing a member would drop fields, so the raw JSON is kept instead.
        options = [option for option in args if option is not type(None)]
        if len(options) == 1 and _shape_fits(options[0], data):
            return _lenient(options[0], data)
    return data


def _lenient_value(tp: Any, data: Any) -> Any:
    try:
        return _adapter(tp).validate_python(data)
    except PydanticValidationError:
        return _lenient(tp, data)


def _lenient_model(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = next((k for k in (info.validation_alias, info.alias, name) if k in data), None)
        if isinstance(key, str):
            values[name] = _lenient_value(info.annotation, data[key])
    return model.model_construct(_fields_set=set(values), **values)


def _shape_fits(tp: Any, data: Any) -> bool:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return isinstance(data, dict)
    origin = get_origin(tp)
    if origin in (list, tuple, set, frozenset):
        return isinstance(data, list)
    if origin is dict:
        return isinstance(data, dict)
    return False


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp)
