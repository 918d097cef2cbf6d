"""Which operations carry a server of their own into `OperationSpec.server`."""

from __future__ import annotations

from pathlib import Path

from specagent import ir
from specagent.loader import load_api
from specagent.plan import make_plan
from specagent.render._views import operation_server

SPEC = """\
openapi: 3.1.0
info: {title: T, version: '1'}
servers: [{url: 'https://api.example.test/v1'}]
paths:
  /plain:
    get: {operationId: plain, responses: {'204': {description: ok}}}
  /same:
    get:
      operationId: same
      servers: [{url: 'https://api.example.test/v1'}]
      responses: {'204': {description: ok}}
  /own:
    servers: [{url: 'https://{region}.files.example.test', variables: {region: {default: eu}}}]
    get: {operationId: fromPath, responses: {'204': {description: ok}}}
    put:
      operationId: ownWins
      servers: [{url: /v2}, {url: 'https://other.example.test'}]
      responses: {'204': {description: ok}}
"""


def test_only_servers_that_differ_from_the_documents_are_kept(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    plan = make_plan(load_api(spec), ir.AgentConfig(), "pkg")
    servers = {e.operation.id: operation_server(plan, e.operation) for e in plan.endpoints}
    assert servers == {
        "plain": "",
        "same": "",
        "fromPath": "https://eu.files.example.test",  # variables at their defaults
        "ownWins": "/v2",  # the operation's first server, before its path's
    }
