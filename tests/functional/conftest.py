"""Packages generated from the functional specs, once per session, importable by unique names.

Each fixture generates one spec with the pure `generate()` into a session temporary folder that
is put on `sys.path`; the names (`fn_*`) differ from every other test's packages so the module
cache never hands one test another's package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from specagent import GenerateOptions, generate, ir

from ._harness import MODES, Mode

HERE = Path(__file__).resolve().parent
SPECS = HERE / "specs"
REPO = HERE.parents[1]
PETSTORE_SPEC = REPO / "examples" / "petstore" / "openapi.yaml"
PETSTORE_AGENT = REPO / "examples" / "petstore" / "agent.yaml"
_PREFIX = "fn_"


@pytest.fixture(scope="session")
def packages_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("functional_packages")
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [n for n in sys.modules if n.startswith(_PREFIX)]:
        del sys.modules[name]


def generate_package(root: Path, spec: Path, agent: Path | None, package: str) -> ModuleType:
    """Generate `spec` as `package` under `root` and import it with its client and auth."""
    assert package.startswith(_PREFIX)
    result = generate(spec, agent, package, GenerateOptions())
    errors = [d.render() for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    assert result.ok, errors
    for path, text in result.files.items():
        target = root / package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    importlib.invalidate_caches()
    module = importlib.import_module(package)
    importlib.import_module(f"{package}.client")
    importlib.import_module(f"{package}.auth")
    return module


@pytest.fixture(scope="session")
def petstore(packages_root: Path) -> ModuleType:
    return generate_package(packages_root, PETSTORE_SPEC, PETSTORE_AGENT, "fn_petstore")


@pytest.fixture(scope="session")
def styles(packages_root: Path) -> ModuleType:
    return generate_package(
        packages_root, SPECS / "styles.yaml", SPECS / "styles_agent.yaml", "fn_styles"
    )


@pytest.fixture(scope="session")
def bodies(packages_root: Path) -> ModuleType:
    return generate_package(packages_root, SPECS / "bodies.yaml", None, "fn_bodies")


@pytest.fixture(scope="session")
def auth_api(packages_root: Path) -> ModuleType:
    return generate_package(
        packages_root, SPECS / "auth.yaml", SPECS / "auth_agent.yaml", "fn_auth"
    )


@pytest.fixture(scope="session")
def swagger2(packages_root: Path) -> ModuleType:
    return generate_package(packages_root, SPECS / "swagger2.yaml", None, "fn_swagger2")


@pytest.fixture(scope="session")
def petstore_oauth(packages_root: Path) -> ModuleType:
    return generate_package(packages_root, SPECS / "petstore_oauth.yaml", None, "fn_oauth")


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    value: Mode = request.param
    return value
