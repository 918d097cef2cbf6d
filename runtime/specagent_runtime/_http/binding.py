"""A bound parameter's wire name belongs to the binding alone, on the request as it is sent.

The runtime fills parameters bound to the verified identity (`OperationSpec.bound`) and hides
them from the model, but the model still chooses other arguments, and several of them put names
of their own into the request: the keys of an exploded or deepObject parameter, the fields of a
form or multipart body, the cookies of an exploded cookie object, the keys of a free-form JSON
body, or a spec parameter whose name differs from the bound one only in case. A lenient server
reads `?email=ada&email=grace`, `?Email=grace`, `?e%6Dail=grace`, `?q[email]=grace` or a form
field `email=grace` as the customer's email, so any of them would let the model name another
customer. Every name the request carries, wherever it comes from, is compared with the bound
names the way such servers read them; a request with a second source for a bound name is
refused before anything is sent, with a message that tells the model what to leave out.

Header parameters that steer routing or framing (`Host`, `Forwarded`, `X-Forwarded-*`,
`Content-Length`, a method override, ...) are refused here too: they are never the model's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_plus

from specagent_runtime._errors import RequestError
from specagent_runtime._spec import OperationSpec, is_routing_header

# Where a name sits in the request. Servers merge these into one set of parameters (PHP's
# $_REQUEST, Rails' params, Spring's request parameters), so they are compared with each other.
PARAMETER_PLACES = frozenset({"query", "cookie", "path", "form", "multipart"})
FREE_JSON = "json"  # a top-level key of a JSON body given whole (free-form: the model's keys)
JSON_FIELD = "json-field"  # a declared property of a flattened JSON body (its own argument)
HEADER = "header"

_BRACKETS = re.compile(r"\[([^\]]*)\]")
_PHP_SEPARATORS = re.compile(r"[\s.]+")  # PHP reads `a.b` and `a b` as `a_b`


@dataclass(frozen=True, slots=True)
class Sent:
    """One name in the request: which argument put it there, where, and how it is spelled."""

    key: str  # the argument (`Arg.key`)
    place: str  # query, cookie, path, form, multipart, json, json-field, header
    name: str  # as it goes on the wire (percent-encoded where the place encodes)


def reads_as(name: str, place: str) -> frozenset[str]:
    """The names a lenient server may read `name` as: percent-decoded until stable, Unicode
    compatibility forms folded, case-blind, spaces trimmed, and for parameters both the base
    name and every bracketed key (`email[]`, `email[0]` and `q[email]` all say `email`)."""
    text = name
    for _ in range(5):  # `%2565` decodes twice; a bound keeps hostile input cheap
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    text = unicodedata.normalize("NFKC", text).casefold().replace("\x00", "")
    if place == HEADER:
        # CGI, WSGI and many proxies read `X_Customer_Email` as `X-Customer-Email`.
        return frozenset({text.strip().replace("_", "-")})
    base, _, _ = text.partition("[")
    parts = [base, *_BRACKETS.findall(text)]
    names = {_PHP_SEPARATORS.sub("_", part.strip()) for part in parts}
    return frozenset(names - {""})


def _compared_with(place: str) -> frozenset[str]:
    """The places whose names could stand in for a bound name that sits in `place`."""
    if place == HEADER:
        return frozenset({HEADER})
    if place == JSON_FIELD:
        return PARAMETER_PLACES | {FREE_JSON, JSON_FIELD}
    return PARAMETER_PLACES | {FREE_JSON}


def check_bound(op: OperationSpec, bound: Iterable[Sent], sent: Iterable[Sent]) -> None:
    """Refuse the request when a name in `sent` could be read as one of the `bound` names
    (the bound arguments' own entries), unless the bound argument itself put it there."""
    targets = [(item, reads_as(item.name, item.place)) for item in bound]
    if not targets:
        return
    for item in sent:
        for target, names in targets:
            if item.key == target.key or item.place not in _compared_with(target.place):
                continue
            if reads_as(item.name, item.place) & names:
                raise RequestError(_refusal(op, item, target), operation_id=op.id)


def _refusal(op: OperationSpec, item: Sent, target: Sent) -> str:
    where = {
        "query": "a query parameter",
        "cookie": "a cookie",
        "path": "a path parameter",
        "form": "a form field",
        "multipart": "a form part",
        FREE_JSON: "a key of the request body",
        JSON_FIELD: "a body field",
        HEADER: "a header",
    }[item.place]
    shown = item.name if len(item.name) <= 60 else item.name[:57] + "..."
    return (
        f"refused, nothing was sent: `{item.key}` would add {where} `{shown}`, which the "
        f"service reads as `{target.name}`, the verified customer's own value (filled in "
        f"automatically). Call `{op.id}` again without it."
    )


def refuse_routing_header(op: OperationSpec, key: str, name: str) -> None:
    """Header parameters that choose the host, the client address or the framing are not
    arguments anyone may set (a spec generated before the generator dropped them)."""
    if is_routing_header(name):
        raise RequestError(
            f"refused, nothing was sent: the header `{name}` (argument `{key}`) controls where "
            "and how the request is routed and cannot be set; call again without it",
            operation_id=op.id,
        )
