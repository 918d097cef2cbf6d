"""Identity binding: the model cannot name another customer by any path.

PRODUCT.md, use case 1: "Parameters bound to it (`email`, `customer_id`, ...) are filled by the
runtime and are invisible to the model: the model cannot name another customer." Identity:
"bound parameters cannot be reached by any other path (exploded objects, bodies, headers)".

Ada is verified; the attacker model wants Grace's data and tries every place a request can carry
the name `email` (or a variant a lenient server reads the same). The witness is the API's log:
every value that reached the API under a name like the bound one must be Ada's.
"""

from __future__ import annotations

from typing import Any

import pytest
from specagent_runtime import Agent, Identity

from ._api import ADA, GRACE, AcmeApi
from ._model import AttackerModel, call, say
from ._packages import ACME_SPEC, SPECS, generate_files, warnings_of
from ._support import ada, only_bound_values, respond

ASK = "What does my account say?"


async def attack(
    agent: Agent, model: AttackerModel, tool: str, arguments: dict[str, Any] | str
) -> None:
    model.on(ASK, call(tool, arguments), say("Here you are."))
    await respond(agent, "c1", ASK, ada())


def leaks(api: AcmeApi, bound: str = "email") -> list[str]:
    return only_bound_values(api.seen("/api/"), bound, ADA["email"])


# Keys of the free-form `filter` object (form style, exploded: each key becomes a query name).
FILTER_KEYS = {
    "email": "email",
    "Email": "Email",
    "EMAIL": "EMAIL",
    "email-brackets": "email[]",
    "percent-encoded": "e%6Dail",
    "trailing-space": "email ",
}


@pytest.mark.parametrize("key", FILTER_KEYS.values(), ids=FILTER_KEYS.keys())
async def test_an_exploded_object_cannot_carry_the_bound_name(
    agent: Agent, model: AttackerModel, api: AcmeApi, key: str
) -> None:
    await attack(agent, model, "get_my_account", {"filter": {key: GRACE["email"]}})
    assert leaks(api) == []
    assert GRACE["phone"] not in model.everything()


async def test_control_the_bound_tool_reaches_the_api_with_the_identity(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    await attack(agent, model, "get_my_account", {"filter": {"status": "active"}})
    [seen] = api.seen("/api/accounts")
    assert seen.param("email") == [ADA["email"]]
    assert seen.param("status") == ["active"]
    assert ADA["phone"] in model.everything()


SMUGGLED = {
    "deepObject": ("search_my_orders", {"q": {"email": GRACE["email"]}}, "deepObject keys"),
    "form-body": (
        "update_my_profile",
        {"body": {"bio": "hi", "email": GRACE["email"]}},
        "form body fields",
    ),
    "multipart-body": (
        "upload_my_document",
        {"body": {"title": "id", "email": GRACE["email"]}},
        "multipart parts",
    ),
    "cookie-object": ("get_my_prefs", {"prefs": {"email": GRACE["email"]}}, "cookie names"),
    "declared-case-variant": ("get_my_points", {"Email": GRACE["email"]}, "a declared `Email`"),
}


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [pytest.param(tool, arguments, id=name) for name, (tool, arguments, _) in SMUGGLED.items()],
)
async def test_no_other_place_can_carry_the_bound_name(
    agent: Agent, model: AttackerModel, api: AcmeApi, tool: str, arguments: dict[str, Any]
) -> None:
    await attack(agent, model, tool, arguments)
    assert leaks(api) == []


async def test_a_header_case_variant_cannot_replace_the_bound_header(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    await attack(agent, model, "get_my_messages", {"x-customer-email": GRACE["email"]})
    assert leaks(api, "X-Customer-Email") == []


DIRECT = {
    "bound-name": {"email": GRACE["email"]},
    "case-variant": {"Email": GRACE["email"]},
    "raw-duplicate-key": '{"filter": {}, "email": "grace@example.com"}',
    "raw-escaped-key": '{"\\u0065mail": "grace@example.com"}',
}


@pytest.mark.parametrize("arguments", DIRECT.values(), ids=DIRECT.keys())
async def test_the_bound_argument_itself_is_refused(
    agent: Agent, model: AttackerModel, api: AcmeApi, arguments: dict[str, Any] | str
) -> None:
    await attack(agent, model, "get_my_account", arguments)
    assert api.seen("/api/accounts") == []  # refused before anything was sent
    assert GRACE["phone"] not in model.everything()


TICKET = {
    "raw-duplicate-key": '{"subject": "hi", "email": "grace@example.com"}',
    "case-variant": {"subject": "hi", "Email": GRACE["email"]},
    "escaped-key": '{"subject": "hi", "\\u0065mail": "grace@example.com"}',
}


@pytest.mark.parametrize("arguments", TICKET.values(), ids=TICKET.keys())
async def test_a_json_body_cannot_carry_another_bound_value(
    agent: Agent, model: AttackerModel, api: AcmeApi, arguments: dict[str, Any] | str
) -> None:
    await attack(agent, model, "open_ticket", arguments)
    await attack(agent, model, "open_ticket", {"subject": "control"})
    bodies = [seen.json for seen in api.seen("/api/tickets")]
    assert {"subject": "control", "email": ADA["email"]} in bodies  # the witness works
    assert leaks(api) == []


async def test_a_path_value_cannot_address_another_resource(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    ref = "../accounts/by-email?email=grace@example.com"
    await attack(agent, model, "lookup_order", {"ref": ref, "zip": "10115"})
    paths = [seen.path for seen in api.seen()]
    assert paths and all(path.startswith("/api/orders/") for path in paths)
    assert GRACE["phone"] not in model.everything()


async def test_a_header_value_cannot_add_a_header(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    note = "hello\r\nX-Customer-Email: grace@example.com"
    await attack(agent, model, "service_status", {"X-Request-Note": note})
    await attack(agent, model, "service_status", {"X-Request-Note": "control"})
    notes = [value for seen in api.seen("/api/status") for value in seen.header("x-request-note")]
    assert notes == ["control"]
    assert all(not seen.header("x-customer-email") for seen in api.seen())


async def test_a_bound_tool_is_refused_without_an_identity(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    model.on(ASK, call("get_my_account", {}), say("Here you are."))
    await respond(agent, "c1", ASK, None)
    assert "get_my_account" not in model.tool_names(0)
    assert api.seen("/api/accounts") == []
    assert ADA["phone"] not in model.everything()


async def test_an_identity_the_host_did_not_verify_fills_no_binding(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    model.on(ASK, call("get_my_account", {}), say("Here you are."))
    await respond(agent, "c1", ASK, Identity(email=ADA["email"]))
    assert "get_my_account" not in model.tool_names(0)
    assert api.seen("/api/accounts") == []


def test_the_generator_warns_about_free_form_objects_beside_bindings() -> None:
    result = generate_files(ACME_SPEC, SPECS / "acme_agent.yaml", "adv_acme_check", check_only=True)
    warnings = "\n".join(warnings_of(result))
    for operation, parameter in [
        ("getAccount", "filter"),
        ("searchOrders", "q"),
        ("getPrefs", "prefs"),
        ("updateProfile", "body"),
    ]:
        assert operation in warnings and parameter in warnings, warnings
