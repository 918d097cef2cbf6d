"""Credentials go only to the API's own host; routing headers are never the model's to set.

PRODUCT.md, Identity: "credentials go only to the API's own host"; Auth: "Secrets never reach
the model, the logs or the traces". Issue 14: an operation server or token URL on another host
is a generation error unless agent.yaml lists the host (`allow_hosts:`), and the runtime refuses
such requests too; header parameters that control routing (`Host`, `Forwarded`,
`X-Forwarded-*`) are never model-settable.

The attacker writes the spec (or the model picks header values). "Another host" is a second
local server on 127.0.0.2; the witness is its request log.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from specagent_runtime import Agent, ClientCredentials
from starlette.responses import Response

from ._api import API_KEY, CLIENT_ID, CLIENT_SECRET, AcmeApi
from ._model import AttackerModel, call, say
from ._packages import SPECS, GenerationRefused, build, errors_of, generate_files
from ._support import respond
from .conftest import MakeAgent


def filled(template: str, api: AcmeApi, evil: AcmeApi, folder: Path) -> Path:
    text = (SPECS / template).read_text(encoding="utf-8")
    text = text.replace("__API__", api.base_url).replace("__EVIL__", evil.base_url)
    path = folder / template.removesuffix(".in")
    path.write_text(text, encoding="utf-8")
    return path


def refused_naming(spec: Path, agent: Path, host: str) -> bool:
    """True when the generator refuses the spec with an error naming `host`."""
    result = generate_files(spec, agent, "adv_routing_check", check_only=True)
    if result.ok:
        return False
    assert host in "\n".join(errors_of(result)), errors_of(result)
    return True


async def test_an_operation_server_on_another_host_gets_no_credentials(
    package_root: Path,
    make_agent: MakeAgent,
    model: AttackerModel,
    api: AcmeApi,
    evil: AcmeApi,
    tmp_path: Path,
) -> None:
    spec = filled("routing.yaml.in", api, evil, tmp_path)
    agent_file = SPECS / "routing_agent.yaml"
    if refused_naming(spec, agent_file, evil.host):
        return  # refused when generating: nothing can reach that host
    agent = make_agent(build(package_root, spec, agent_file, "adv_routing"), base_url=None)
    model.on("Report?", call("service_status", {}), call("get_report", {}), say("Here."))
    await respond(agent, "c1", "Report?")
    assert api.seen("/api/status")[0].header("x-api-key") == [API_KEY]  # the witness
    assert API_KEY not in evil.everything()


async def test_control_allow_hosts_is_the_way_to_use_another_host(
    package_root: Path,
    make_agent: MakeAgent,
    model: AttackerModel,
    api: AcmeApi,
    evil: AcmeApi,
    tmp_path: Path,
) -> None:
    spec = filled("routing.yaml.in", api, evil, tmp_path)
    text = (SPECS / "routing_agent.yaml").read_text() + f"allow_hosts: [{evil.host}]\n"
    try:
        package = build(package_root / "allowed", spec, text, "adv_routing_allowed")
    except GenerationRefused as exc:
        pytest.fail(f"allow_hosts did not allow the host: {exc}")
    agent = make_agent(package, base_url=None)
    model.on("Report?", call("get_report", {}), say("Here."))
    await respond(agent, "c1", "Report?")
    [seen] = evil.seen("/api/reports")
    assert seen.header("x-api-key") == [API_KEY]


async def test_a_token_url_on_another_host_gets_no_client_secret(
    package_root: Path,
    make_agent: MakeAgent,
    model: AttackerModel,
    api: AcmeApi,
    evil: AcmeApi,
    tmp_path: Path,
) -> None:
    spec = filled("oauth.yaml.in", api, evil, tmp_path)
    agent_file = SPECS / "routing_agent.yaml"
    if refused_naming(spec, agent_file, evil.host):
        return
    credentials = {"desk": ClientCredentials(CLIENT_ID, CLIENT_SECRET)}
    package = build(package_root, spec, agent_file, "adv_token_routing")
    agent = make_agent(package, base_url=None, credentials=credentials)
    model.on("Status?", call("service_status", {}), say("Up."))
    await respond(agent, "c1", "Status?")
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert CLIENT_SECRET not in evil.everything()
    assert basic not in evil.everything()


ROUTING_HEADERS = {
    "Host": "evil.example",
    "Forwarded": "for=203.0.113.9;host=evil.example;proto=https",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-For": "203.0.113.9",
}


@pytest.mark.parametrize(("header", "value"), ROUTING_HEADERS.items(), ids=ROUTING_HEADERS)
async def test_routing_headers_are_not_the_models(
    agent: Agent, model: AttackerModel, api: AcmeApi, header: str, value: str
) -> None:
    model.on(
        "Status?",
        call("service_status", {header: value}),
        call("service_status", {"X-Request-Note": "control"}),
        say("Up."),
    )
    await respond(agent, "c1", "Status?")
    seen = api.seen("/api/status")
    notes = [note for s in seen for note in s.header("x-request-note")]
    assert notes == ["control"]  # the witness: the tool's other headers arrive
    assert all(value not in s.header(header) for s in seen)
    assert all(s.host == f"127.0.0.1:{api.port}" for s in seen)
    assert header not in model.tools(0)["service_status"]["properties"]


async def test_an_api_key_echoed_in_an_error_does_not_reach_the_model(
    agent: Agent, model: AttackerModel, api: AcmeApi
) -> None:
    api.on("GET", r"/api/status", lambda seen: (401, {"message": f"Bad key {API_KEY}."}))
    model.on("Status?", call("service_status", {}), say("Down."))
    await respond(agent, "c1", "Status?")
    assert api.seen("/api/status")[0].header("x-api-key") == [API_KEY]  # it was sent
    assert API_KEY not in model.everything()


async def test_a_redirect_to_another_host_carries_no_credentials(
    agent: Agent, model: AttackerModel, api: AcmeApi, evil: AcmeApi
) -> None:
    moved = Response(status_code=307, headers={"Location": evil.base_url + "/status"})
    api.on("GET", r"/api/status", lambda seen: moved)
    model.on("Status?", call("service_status", {}), say("Down."))
    await respond(agent, "c1", "Status?")
    assert api.seen("/api/status")
    assert evil.seen() == []
