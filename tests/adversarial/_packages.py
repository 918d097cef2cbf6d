"""Generating the packages the attacks run against, through the public `specagent.generate`.

The main packages are generated once per session (conftest). Packages that use a planned agent
file key (`owner:`, `allow_hosts:`) are generated inside the test that needs them, so that
today's "unknown key" error fails that one test (a strict xfail) instead of erroring the suite.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

from specagent import GenerateOptions, GenerateResult, generate, ir

from tests.support.imports import forget

SPECS = Path(__file__).resolve().parent / "specs"
ACME_SPEC = SPECS / "acme.yaml"

_built: dict[str, ModuleType] = {}


class GenerationRefused(AssertionError):
    """The generator refused the inputs; the message lists its errors."""


def generate_files(
    spec: Path, agent: Path, package: str, *, strict: bool = False, check_only: bool = False
) -> GenerateResult:
    """`specagent.generate`; `check_only` plans without rendering (diagnostics only)."""
    return generate(spec, agent, package, GenerateOptions(strict=strict, check_only=check_only))


def errors_of(result: GenerateResult) -> list[str]:
    blocking = [
        d
        for d in result.diagnostics
        if d.severity is ir.Severity.ERROR or (result.strict and d.severity is ir.Severity.WARNING)
    ]
    return [d.render() for d in blocking]


def warnings_of(result: GenerateResult) -> list[str]:
    return [d.render() for d in result.diagnostics if d.severity is ir.Severity.WARNING]


def build(root: Path, spec: Path, agent: Path | str, package: str) -> ModuleType:
    """Generate `package` into `root` and import it (its folder stays on `sys.path`: the
    runtime imports `<package>.models` and `<package>.tasks` lazily). `agent` may be the agent
    file's text. Built once per name for the session."""
    if package in _built:
        return _built[package]
    if isinstance(agent, str):
        root.mkdir(parents=True, exist_ok=True)
        path = root / f"{package}.agent.yaml"
        path.write_text(agent, encoding="utf-8")
        agent = path
    result = generate_files(spec, agent, package)
    if not result.ok:
        raise GenerationRefused("\n".join(errors_of(result)))
    for relative, text in result.files.items():
        target = root / package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    forget(package)  # a package of this name from elsewhere must not be reused
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    module = importlib.import_module(package)
    for part in ("client", "agent"):
        importlib.import_module(f"{package}.{part}")
    _built[package] = module
    return module
