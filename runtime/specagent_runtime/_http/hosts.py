"""Which hosts may receive a request (and so its credentials and the customer's data).

The API's own host is the base URL's. A spec can name others: an operation's own server, an
OAuth2 token URL. The generator refuses those unless the agent file lists the host under
`allow_hosts:`, and writes the list into the generated client (`allowed_hosts`); this check is
the runtime's half, so that a package generated from an older spec, or a server URL built from
a protocol-relative reference (`//elsewhere.example/v2`), cannot send credentials elsewhere.
Hosts compare by name, without the port, case-blind and IDNA-encoded.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx


def host_name(url: httpx.URL) -> str:
    """The URL's host as compared here (ASCII, lower case, no trailing dot)."""
    return url.raw_host.decode("ascii", errors="replace").lower().rstrip(".")


def normalised_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Host names as given in `allowed_hosts`, in the form `host_name` compares."""
    found = set()
    for host in hosts:
        try:
            found.add(host_name(httpx.URL(f"http://{host.strip()}/")))
        except httpx.InvalidURL:
            continue
    return frozenset(found)


def may_receive(url: httpx.URL, base: httpx.URL, allowed: frozenset[str]) -> bool:
    """Whether `url` is on the base URL's host or an allowed one (`normalised_hosts`)."""
    host = host_name(url)
    return host == host_name(base) or host in allowed


def refusal(what: str, url: httpx.URL, base: httpx.URL) -> str:
    return (
        f"{what} is on host {host_name(url)!r}, not the API's ({host_name(base)!r}): refused, "
        "nothing was sent. If that host is really the API's, list it under `allow_hosts:` in "
        "agent.yaml and regenerate the package"
    )
