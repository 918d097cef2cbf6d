"""Shared helpers for making and reporting diagnostics.

Every front end (agent file, package name, CLI) builds its hints the same way and the CLI
prints them in one stable order, so a user fixing several problems sees them grouped by file
and in line order, and golden tests of stderr stay byte-identical from run to run.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from specagent import ir

# Credentials people put in spec URLs: `https://user:token@host/...` and `?api_key=...`.
_URL_USERINFO = re.compile(r"(?P<scheme>https?://)[^/\s@]+@", re.IGNORECASE)
_SECRET_QUERY = re.compile(
    r"(?P<name>[?&][^=&\s#]*(?:token|key|secret|password|passwd|auth|sig|signature|"
    r"credential|session)[^=&\s#]*=)[^&\s#]+",
    re.IGNORECASE,
)


def mask_urls(text: str) -> str:
    """`text` with credentials in URLs masked, for everything printed to a terminal or log.

    A spec fetched from `https://user:TOKEN@host/openapi.yaml` shows up in diagnostics' places
    and in error messages; the token must not end up in CI logs.
    """
    text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    return _SECRET_QUERY.sub(r"\g<name>***", text)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate a typo most likely meant, compared case-insensitively.

    Case is ignored so that `getOrderByID` still finds `getOrderById`; the candidate is
    returned as spelled in its source so the user can paste it.
    """
    by_lower: dict[str, str] = {}
    for candidate in sorted(set(candidates)):
        by_lower.setdefault(candidate.lower(), candidate)
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, listing: bool = True) -> str:
    """A hint naming the closest candidate, else (when `listing`) the valid choices.

    Short fixed vocabularies (the keys of a mapping) are listed in full; long ones such as a
    spec's operation ids are not, because a list of 900 names helps nobody.
    """
    pool = sorted(set(candidates))
    best = closest(word, pool)
    if best is not None:
        return f"did you mean `{best}`?"
    if listing and pool:
        return "expected one of: " + ", ".join(f"`{name}`" for name in pool)
    return ""


def place_key(diagnostic: ir.Diagnostic) -> tuple[str, int, int, str, str, str]:
    """Sort key: the place (`Location.sort_key`), then code, then message."""
    return (*diagnostic.location.sort_key(), diagnostic.code, diagnostic.message)


def sort_diagnostics(diagnostics: Iterable[ir.Diagnostic]) -> list[ir.Diagnostic]:
    """Sorted by place, with exact duplicates (same place, code and text) dropped."""
    unique = {(d.where, d.code, d.severity, d.message, d.hint): d for d in diagnostics}
    return sorted(unique.values(), key=place_key)


def blocking(diagnostics: Iterable[ir.Diagnostic], *, strict: bool = False) -> list[ir.Diagnostic]:
    """The problems that stop generation (`Diagnostic.blocks`): errors, and with `strict`
    warnings too. Every stage and command asks this one question."""
    return [d for d in diagnostics if d.blocks(strict=strict)]


def summary_line(diagnostics: Sequence[ir.Diagnostic]) -> str:
    """'2 errors, 1 warning' — the closing line after the list."""
    errors = sum(1 for d in diagnostics if d.severity is ir.Severity.ERROR)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "no problems"


def format_report(diagnostics: Iterable[ir.Diagnostic]) -> str:
    """All diagnostics, sorted by place, one block per problem, ready for stderr."""
    return "\n".join(mask_urls(d.render()) for d in sort_diagnostics(diagnostics))


def error(code: ir.Code, where: ir.Location, message: str, hint: str = "") -> ir.Diagnostic:
    return ir.Diagnostic(code, ir.Severity.ERROR, message, where, hint)


def warning(code: ir.Code, where: ir.Location, message: str, hint: str = "") -> ir.Diagnostic:
    return ir.Diagnostic(code, ir.Severity.WARNING, message, where, hint)
