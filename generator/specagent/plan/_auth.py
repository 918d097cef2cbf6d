"""Which security schemes the runtime serves, and the environment variables of their credentials.

The names are decided here, once: `<PACKAGE>_<SCHEME>` (plus `_TOKEN`, `_USERNAME`, ...), the
scheme's name through the one sanitiser, and made unique in scheme-name order, so that the
package's auth wiring and its README always name the same variables.
"""

from __future__ import annotations

from collections.abc import Iterable

from specagent import _names, ir
from specagent.plan._identifiers import env_prefix

__all__ = ["auth_schemes"]


def auth_schemes(api: ir.Api, package: str) -> tuple[ir.AuthScheme, ...]:
    """One entry per scheme the runtime can serve, sorted by name; mutual TLS has none."""
    prefix = env_prefix(package)
    env_names = _names.NameTable()
    found = []
    for scheme in sorted(api.security_schemes, key=lambda item: item.name):
        # Every scheme takes its name, served or not, so adding support for one later does not
        # rename the variables of the others.
        taken = env_names.take(_names.python_name(scheme.name, fallback="auth"))
        served = _serve(scheme, f"{prefix}_{taken}".upper(), api.operations)
        if served is not None:
            found.append(served)
    return tuple(found)


def _serve(
    scheme: ir.SecurityScheme, base: str, operations: Iterable[ir.Operation]
) -> ir.AuthScheme | None:
    kind = scheme.type
    if kind == "apiKey" and scheme.location in {"header", "query", "cookie"}:
        return ir.AuthScheme(
            scheme.name,
            "api_key",
            (ir.EnvVar("env", base, "API key"),),
            param_name=scheme.param_name,
            location=scheme.location,
        )
    if kind == "http" and scheme.scheme.lower() == "basic":
        env = (
            ir.EnvVar("env_username", f"{base}_USERNAME", "user name"),
            ir.EnvVar("env_password", f"{base}_PASSWORD", "password"),
        )
        return ir.AuthScheme(scheme.name, "basic", env)
    if kind == "http":
        return ir.AuthScheme(
            scheme.name, "bearer", (ir.EnvVar("env", f"{base}_TOKEN", "bearer token"),)
        )
    if kind in {"oauth2", "openIdConnect"}:
        token_url = next(
            (flow.token_url for flow in scheme.flows if flow.kind == "clientCredentials"), ""
        )
        # Without a token URL the client credentials are never used: not in the README.
        used = bool(token_url)
        oauth = (
            ir.EnvVar("env_client_id", f"{base}_CLIENT_ID", "OAuth2 client id", used),
            ir.EnvVar("env_client_secret", f"{base}_CLIENT_SECRET", "OAuth2 client secret", used),
            ir.EnvVar("env_token", f"{base}_TOKEN", "access token (used when set)"),
        )
        scopes = _scopes(operations, scheme.name) if token_url else ()
        return ir.AuthScheme(scheme.name, "oauth2", oauth, token_url=token_url, scopes=scopes)
    return None


def _scopes(operations: Iterable[ir.Operation], scheme: str) -> tuple[str, ...]:
    """The scopes the operations ask for: what a client-credentials token must carry."""
    scopes: set[str] = set()
    for operation in operations:
        for requirement in operation.security:
            for name, wanted in requirement.schemes:
                if name == scheme:
                    scopes.update(wanted)
    return tuple(sorted(scopes))
