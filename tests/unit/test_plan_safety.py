"""The generator's identity and host checks on small specs: which hosts may receive requests,
what a verified-only task must tie to the customer, which fields a task may not read."""

from __future__ import annotations

from pathlib import Path

from specagent import GenerateOptions, generate, ir

SPEC = """
openapi: 3.0.3
info: {title: Mini, version: "1"}
servers: [{url: "https://api.store.example/v1"}]
components:
  securitySchemes:
    login:
      type: oauth2
      flows:
        clientCredentials: {tokenUrl: "__TOKEN__", scopes: {}}
  schemas:
    Order:
      type: object
      properties:
        id: {type: integer}
        username: {type: string}
        card: {type: string}
paths:
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters: [{name: orderId, in: path, required: true, schema: {type: integer}}]
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}
    delete:
      operationId: deleteOrder
      parameters: [{name: orderId, in: path, required: true, schema: {type: integer}}]
      responses: {"204": {description: gone}}
  /mine/{orderId}:
    get:
      operationId: getMyOrder
      parameters:
        - {name: orderId, in: path, required: true, schema: {type: integer}}
        - {name: username, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Order"}}}
"""


def _diagnostics(
    tmp_path: Path, agent: str, *, token: str = "/oauth/token", servers: str | None = None
) -> list[ir.Diagnostic]:
    spec = SPEC.replace("__TOKEN__", token)
    if servers is not None:
        spec = spec.replace('servers: [{url: "https://api.store.example/v1"}]', servers)
    (tmp_path / "openapi.yaml").write_text(spec, encoding="utf-8")
    (tmp_path / "agent.yaml").write_text(agent, encoding="utf-8")
    result = generate(
        tmp_path / "openapi.yaml",
        tmp_path / "agent.yaml",
        "mini",
        GenerateOptions(check_only=True),
    )
    return list(result.diagnostics)


def _codes(diagnostics: list[ir.Diagnostic]) -> list[str]:
    return [d.code.value for d in diagnostics]


def test_a_token_url_on_an_allowed_host_is_fine(tmp_path: Path) -> None:
    token = "https://login.store.example/token"
    assert _codes(_diagnostics(tmp_path, "allow_hosts: [Login.Store.Example]\n", token=token)) == []
    refused = _diagnostics(tmp_path, "agent: {name: x}\n", token=token)
    assert _codes(refused) == ["security.token_host"]
    assert refused[0].severity is ir.Severity.ERROR


def test_without_an_api_host_a_token_host_is_a_warning(tmp_path: Path) -> None:
    token = "https://login.store.example/token"
    found = _diagnostics(
        tmp_path, "agent: {name: x}\n", token=token, servers="servers: [{url: /v1}]"
    )
    assert [(d.code.value, d.severity) for d in found] == [
        ("security.token_host", ir.Severity.WARNING)
    ]


def test_an_allowed_host_nothing_uses_is_a_warning(tmp_path: Path) -> None:
    found = _diagnostics(tmp_path, "allow_hosts:\n  - spare.example\n")
    assert _codes(found) == ["agent.unused_host"]
    assert found[0].where == f"{tmp_path / 'agent.yaml'}:2"  # the entry's own line
    assert found[0].message.startswith("`allow_hosts[1]`: ")  # items count from 1


CANCEL = """
tools:
  include: {operations: [getOrder, getMyOrder]}
  overrides:
    getOrder: {redact: [card]}
    getMyOrder: {bind: {username: identity.username}}
tasks:
  cancel:
    description: Cancel an order.
    inputs: {order_id: {type: integer}}
    steps:
__STEPS__
      - confirm: "Cancel {order.id}?"
      - call: deleteOrder
        with: {orderId: order.id}
"""


def _task(tmp_path: Path, steps: str) -> list[str]:
    return _codes(_diagnostics(tmp_path, CANCEL.replace("__STEPS__", steps)))


def test_a_lookup_without_a_tie_is_flagged(tmp_path: Path) -> None:
    steps = """      - call: getOrder
        with: {orderId: inputs.order_id}
        as: order"""
    assert _task(tmp_path, steps) == ["task.not_owned"]


def test_an_owner_check_ties_the_lookup(tmp_path: Path) -> None:
    steps = """      - call: getOrder
        with: {orderId: inputs.order_id}
        owner: {field: username, is: identity.username}
        as: order"""
    assert _task(tmp_path, steps) == []


def test_a_lookup_bound_to_the_identity_ties_it(tmp_path: Path) -> None:
    steps = """      - call: getMyOrder
        with: {orderId: inputs.order_id}
        as: order"""
    assert _task(tmp_path, steps) == []


def test_a_set_or_an_untied_chain_keeps_the_customers_choice(tmp_path: Path) -> None:
    steps = """      - set: {chosen: inputs.order_id}
      - call: getOrder
        with: {orderId: chosen}
        as: order"""
    assert _task(tmp_path, steps) == ["task.not_owned"]


def test_a_redacted_field_cannot_be_read_by_a_step(tmp_path: Path) -> None:
    steps = """      - call: getOrder
        with: {orderId: inputs.order_id}
        owner: {field: username, is: identity.username}
        as: order
      - respond: "Card {order.card}\""""
    assert _task(tmp_path, steps) == ["task.redacted_field"]
