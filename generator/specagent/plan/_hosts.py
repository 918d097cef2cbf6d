"""Credentials and the customer's data go only to the API's own host, or a host the agent file
allows.

A spec can send a request elsewhere in two ways the generated client would follow: an
operation's own `servers:` entry, and the OAuth2 token URL the runtime posts the client secret
to. Either on a host other than the document's servers is an error unless `allow_hosts:` in
the agent file lists that host; the generated client carries the same list, and the runtime
refuses any other host before sending, so a package generated from a spec
that changed later cannot leak either. Only the flows the runtime contacts are checked (the
client-credentials token and refresh URLs); the token URL of an authorization-code flow is the
host application's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from specagent import ir
from specagent._diagnostics import error, warning
from specagent.ir import Code

__all__ = ["host_diagnostics", "host_of"]


def host_of(url: str) -> str | None:
    """The host of an absolute (or protocol-relative) URL, lower case, without port; None for
    a URL relative to the API's base, which stays on its host."""
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    try:
        host = parts.hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def host_diagnostics(api: ir.Api, agent: ir.AgentConfig) -> list[ir.Diagnostic]:
    """Errors for servers and token URLs on hosts neither the API's nor allowed; warnings for
    allowed hosts nothing uses and for token URLs when the spec does not say the API's host."""
    own = {host for host in (host_of(server.resolved_url) for server in api.servers) if host}
    allowed = set(agent.allow_hosts)
    used: set[str] = set()
    problems: list[ir.Diagnostic] = []
    hint = _allow_hint(agent)
    for operation in api.operations:
        if not operation.servers or not own:
            # Without a host in the document the client needs `base_url=`, which replaces an
            # operation's absolute server too: nothing is sent to it.
            continue
        host = host_of(operation.servers[0].resolved_url)
        if host is None or host in own:
            continue
        if host in allowed:
            used.add(host)
            continue
        problems.append(
            error(
                Code.SERVER_HOST,
                operation.where,
                f"operation `{operation.id}`: its `servers:` entry is on host `{host}`, not the "
                f"API's ({_listed(own)}); the client would send it credentials and the "
                "customer's data",
                hint.format(host=host),
            )
        )
    for scheme, where, url in _token_urls(api):
        host = host_of(url)
        if host is None or host in own:
            continue
        if host in allowed:
            used.add(host)
            continue
        if own:
            why = f"not the API's ({_listed(own)}); the client secret would be sent there"
        else:
            why = (
                "and the spec names no host for the API; the runtime sends the client secret "
                "there only if it is the base URL's host"
            )
        message = f"security scheme `{scheme}`: its OAuth2 token URL is on host `{host}`, {why}"
        make = error if own else warning
        problems.append(make(Code.SECURITY_TOKEN_HOST, where, message, hint.format(host=host)))
    for index, host in enumerate(agent.allow_hosts):
        if host not in used and host not in own:
            path = f"allow_hosts[{index + 1}]"  # list items count from 1, as agentfile names them
            problems.append(
                warning(
                    Code.AGENT_UNUSED_HOST,
                    agent.locations.get(path) or ir.Location(agent.source),
                    f"`{path}`: no operation server or token URL of the spec is on `{host}`",
                    "remove it: an allowed host is one more place credentials may go",
                )
            )
    return problems


def _token_urls(api: ir.Api) -> Iterable[tuple[str, ir.Location, str]]:
    """(scheme, place, URL) of every URL the runtime posts client credentials to."""
    spec = api.operations[0].where.file if api.operations else ""
    for scheme in api.security_schemes:
        if scheme.type != "oauth2":
            continue
        for flow in scheme.flows:
            if flow.kind != "clientCredentials":
                continue
            for key, url in (("tokenUrl", flow.token_url), ("refreshUrl", flow.refresh_url)):
                if url:
                    path = ("components", "securitySchemes", scheme.name, "flows", flow.kind, key)
                    yield scheme.name, ir.Location.in_spec(spec, path), url


def _listed(hosts: Iterable[str]) -> str:
    return ", ".join(f"`{host}`" for host in sorted(hosts))


def _allow_hint(agent: ir.AgentConfig) -> str:
    if agent.allow_hosts:
        return "if that host is really the API's, add it to `allow_hosts:` in the agent file"
    return "if that host is really the API's, allow it in the agent file: `allow_hosts: [{host}]`"
