"""A bound parameter's wire name is the binding's alone, in every parameter style and body.

`OperationSpec.bound` names the arguments the agent file binds to the verified identity. These
tests build requests the way the model could ask for them (pure `prepare_request`, nothing is
sent) and check that every other place a name can come from is refused when a lenient server
would read it as a bound name, while the same request without the smuggled name goes through.
"""

from __future__ import annotations

from typing import Any

import pytest
from specagent_runtime import Arg, OperationSpec, RequestError
from specagent_runtime._http.binding import reads_as
from specagent_runtime._http.serialize import prepare_request

ADA = "ada@example.com"
GRACE = "grace@example.com"
EMAIL = Arg(key="email", name="email", location="query", style="form", explode=True)


def _op(*args: Arg, bound: tuple[str, ...] = ("email",), **kw: Any) -> OperationSpec:
    path = kw.pop("path", "/accounts")
    return OperationSpec(
        id="getAccount", method=kw.pop("method", "GET"), path=path, args=args, bound=bound, **kw
    )


def _refused(op: OperationSpec, args: dict[str, object]) -> str:
    with pytest.raises(RequestError) as caught:
        prepare_request(op, args)
    message = caught.value.model_message()
    assert "nothing was sent" in message
    assert GRACE not in message  # the refusal names keys, never the smuggled value
    return message


# --- the normalisation a lenient server applies ------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "email",
        "Email",
        "EMAIL",
        " email ",
        "email[]",
        "email[0]",
        "e%6Dail",
        "e%256Dail",
        "q[email]",
        "a[b][email]",
        "\uff45\uff4d\uff41\uff49\uff4c",  # full-width letters
        "email+",
    ],
)
def test_names_a_lenient_server_reads_as_email(name: str) -> None:
    assert "email" in reads_as(name, "query")


@pytest.mark.parametrize("name", ["emails", "e-mail", "mail", "email_2", "q[emails]"])
def test_other_names_are_other_names(name: str) -> None:
    assert "email" not in reads_as(name, "query")


def test_php_reads_dots_and_spaces_as_underscores() -> None:
    assert "customer_id" in reads_as("customer.id", "query")
    assert "customer_id" in reads_as("customer id", "query")


def test_header_names_are_case_and_underscore_blind() -> None:
    assert reads_as("X_Customer_EMAIL", "header") == reads_as("x-customer-email", "header")


# --- query: form (exploded and not), deepObject, spaceDelimited, pipeDelimited ---------------


FREE = {"type": "object"}


@pytest.mark.parametrize("key", ["email", "Email", "email[]", "e%6Dail", "email "])
def test_an_exploded_form_object_cannot_carry_the_bound_name(key: str) -> None:
    op = _op(EMAIL, Arg(key="filter", name="filter", location="query", style="form", explode=True))
    message = _refused(op, {"email": ADA, "filter": {key: GRACE}})
    assert "`filter`" in message


def test_an_exploded_form_object_with_other_keys_is_sent() -> None:
    op = _op(EMAIL, Arg(key="filter", name="filter", location="query", style="form", explode=True))
    prepared = prepare_request(op, {"email": ADA, "filter": {"status": "active"}})
    assert prepared.query == "email=ada%40example.com&status=active"


def test_a_deep_object_key_cannot_carry_the_bound_name() -> None:
    op = _op(EMAIL, Arg(key="q", name="q", location="query", style="deepObject", explode=True))
    _refused(op, {"email": ADA, "q": {"email": GRACE}})
    nested = prepare_request(op, {"email": ADA, "q": {"status": "x"}})
    assert nested.query == "email=ada%40example.com&q[status]=x"


def test_a_deep_object_nested_key_cannot_carry_the_bound_name() -> None:
    op = _op(EMAIL, Arg(key="q", name="q", location="query", style="deepObject", explode=True))
    _refused(op, {"email": ADA, "q": {"customer": {"email": GRACE}}})


@pytest.mark.parametrize("style", ["form", "spaceDelimited", "pipeDelimited"])
def test_a_non_exploded_object_travels_under_its_own_name(style: str) -> None:
    """`filter=email,grace`: the keys are data inside one value, not names."""
    op = _op(EMAIL, Arg(key="filter", name="filter", location="query", style=style))
    prepared = prepare_request(op, {"email": ADA, "filter": {"email": GRACE}})
    assert prepared.query.startswith("email=ada%40example.com&filter=")


def test_a_declared_case_variant_parameter_is_refused() -> None:
    other = Arg(key="Email", name="Email", location="query", style="form", explode=True)
    op = _op(EMAIL, other)
    assert "`Email`" in _refused(op, {"email": ADA, "Email": GRACE})
    assert prepare_request(op, {"email": ADA}).query == "email=ada%40example.com"


def test_an_exploded_array_of_another_parameter_is_fine() -> None:
    tags = Arg(key="tag", name="tag", location="query", style="form", explode=True)
    prepared = prepare_request(_op(EMAIL, tags), {"email": ADA, "tag": ["a", "b"]})
    assert prepared.query == "email=ada%40example.com&tag=a&tag=b"


def test_the_bound_name_is_protected_even_when_the_binding_has_no_value() -> None:
    op = _op(EMAIL, Arg(key="filter", name="filter", location="query", style="form", explode=True))
    _refused(op, {"filter": {"email": GRACE}})


def test_without_a_binding_nothing_is_checked() -> None:
    op = _op(
        EMAIL,
        Arg(key="filter", name="filter", location="query", style="form", explode=True),
        bound=(),
    )
    prepared = prepare_request(op, {"email": ADA, "filter": {"email": GRACE}})
    assert "grace" in prepared.query


# --- path: matrix, label, simple ------------------------------------------------------------


def test_a_matrix_object_key_cannot_carry_the_bound_name() -> None:
    matrix = Arg(key="m", name="m", location="path", style="matrix", explode=True)
    op = _op(EMAIL, matrix, path="/accounts/{m}")
    _refused(op, {"email": ADA, "m": {"email": GRACE}})
    assert prepare_request(op, {"email": ADA, "m": {"x": "1"}}).path == "/accounts/;x=1"


def test_a_simple_path_value_is_data() -> None:
    ref = Arg(key="ref", name="ref", location="path")
    op = _op(EMAIL, ref, path="/orders/{ref}")
    prepared = prepare_request(op, {"email": ADA, "ref": "x?email=grace@example.com"})
    assert prepared.path == "/orders/x%3Femail%3Dgrace%40example.com"


@pytest.mark.parametrize("style", ["label", "simple"])
def test_exploded_label_and_simple_objects_are_data(style: str) -> None:
    arg = Arg(key="p", name="p", location="path", style=style, explode=True)
    op = _op(EMAIL, arg, path="/x/{p}")
    prepared = prepare_request(op, {"email": ADA, "p": {"email": GRACE}})
    assert prepared.path.startswith("/x/")


# --- headers ----------------------------------------------------------------------------------


BOUND_HEADER = Arg(key="X-Customer-Email", name="X-Customer-Email", location="header")


@pytest.mark.parametrize("name", ["x-customer-email", "X_CUSTOMER_EMAIL"])
def test_a_header_differing_in_case_cannot_replace_the_bound_header(name: str) -> None:
    other = Arg(key=name, name=name, location="header")
    op = _op(BOUND_HEADER, other, bound=("X-Customer-Email",))
    _refused(op, {"X-Customer-Email": ADA, name: GRACE})
    sent = prepare_request(op, {"X-Customer-Email": ADA})
    assert sent.headers == {"X-Customer-Email": ADA}


def test_a_query_parameter_does_not_collide_with_a_bound_header() -> None:
    """Headers and parameters are different namespaces on every server."""
    query = Arg(key="x-customer-email", name="x-customer-email", location="query")
    op = _op(BOUND_HEADER, query, bound=("X-Customer-Email",))
    assert prepare_request(op, {"X-Customer-Email": ADA, "x-customer-email": "a"}).query


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "Forwarded",
        "X-Forwarded-Host",
        "X-Forwarded-For",
        "X-Real-IP",
        "x-http-method-override",
        "Content-Length",
        "Cookie",
    ],
)
def test_routing_headers_are_refused(name: str) -> None:
    op = OperationSpec(
        id="getStatus", method="GET", path="/s", args=(Arg(key=name, name=name, location="header"),)
    )
    with pytest.raises(RequestError, match="routed"):
        prepare_request(op, {name: "evil.example"})
    assert prepare_request(op, {}).headers == {}


# --- cookies ----------------------------------------------------------------------------------


def test_an_exploded_cookie_object_cannot_carry_the_bound_name() -> None:
    prefs = Arg(key="prefs", name="prefs", location="cookie", style="form", explode=True)
    op = _op(EMAIL, prefs)
    _refused(op, {"email": ADA, "prefs": {"EMAIL": GRACE}})
    assert prepare_request(op, {"email": ADA, "prefs": {"lang": "de"}}).headers == {
        "Cookie": "lang=de"
    }


# --- bodies -----------------------------------------------------------------------------------


BODY = Arg(key="body", name="", location="body")


@pytest.mark.parametrize(
    "body", [{"email": GRACE}, {"bio": "hi", "Email": GRACE}, {"x": {"email": GRACE}}]
)
def test_a_form_body_cannot_carry_the_bound_name(body: dict[str, object]) -> None:
    op = _op(EMAIL, BODY, method="POST", body_media_type="application/x-www-form-urlencoded")
    _refused(op, {"email": ADA, "body": body})
    fine = prepare_request(op, {"email": ADA, "body": {"bio": "hi"}})
    assert fine.content == b"bio=hi"


def test_a_multipart_body_cannot_carry_the_bound_name() -> None:
    op = _op(EMAIL, BODY, method="POST", body_media_type="multipart/form-data")
    _refused(op, {"email": ADA, "body": {"title": "id", "email": GRACE}})
    assert prepare_request(op, {"email": ADA, "body": {"title": "id"}}).files


def test_a_flattened_form_field_is_its_own_argument() -> None:
    fields = (
        Arg(key="email", name="email", location="body"),
        Arg(key="Email", name="Email", location="body"),
    )
    op = _op(
        *fields,
        method="POST",
        body_media_type="application/x-www-form-urlencoded",
        body_flattened=True,
    )
    _refused(op, {"email": ADA, "Email": GRACE})
    assert prepare_request(op, {"email": ADA}).content == b"email=ada%40example.com"


def test_a_free_form_json_body_cannot_carry_a_bound_query_name() -> None:
    """Rails and others merge JSON body keys into the request's parameters."""
    op = _op(EMAIL, BODY, method="POST", body_media_type="application/json")
    _refused(op, {"email": ADA, "body": {"email": GRACE}})
    assert prepare_request(op, {"email": ADA, "body": {"note": "x"}}).content == b'{"note":"x"}'


def test_a_declared_json_field_beside_a_bound_query_name_is_allowed() -> None:
    """`PUT /accounts?email=ada` with `{"email": "new@..."}`: the spec declares that field."""
    fields = (EMAIL, Arg(key="email__body", name="email", location="body"))
    op = _op(*fields, method="PUT", body_media_type="application/json", body_flattened=True)
    prepared = prepare_request(op, {"email": ADA, "email__body": "new@example.com"})
    assert prepared.content == b'{"email":"new@example.com"}'


def test_a_bound_json_field_has_no_case_variant() -> None:
    fields = (
        Arg(key="email", name="email", location="body"),
        Arg(key="Email", name="Email", location="body"),
        Arg(key="subject", name="subject", location="body"),
    )
    op = _op(*fields, method="POST", body_media_type="application/json", body_flattened=True)
    _refused(op, {"email": ADA, "Email": GRACE, "subject": "hi"})
    prepared = prepare_request(op, {"email": ADA, "subject": "hi"})
    assert prepared.content == b'{"email":"ada@example.com","subject":"hi"}'


def test_a_bound_json_field_cannot_come_from_a_query_object() -> None:
    fields = (
        Arg(key="email", name="email", location="body"),
        Arg(key="filter", name="filter", location="query", style="form", explode=True),
    )
    op = _op(*fields, method="POST", body_media_type="application/json", body_flattened=True)
    _refused(op, {"email": ADA, "filter": {"email": GRACE}})


def test_binary_and_text_bodies_carry_no_names() -> None:
    op = _op(EMAIL, BODY, method="POST", body_media_type="text/plain")
    assert prepare_request(op, {"email": ADA, "body": "email=grace"}).content == b"email=grace"
