"""Users' code that builds generated models must type-check: `mypy --strict` on a snippet.

Without the pydantic mypy plugin, mypy reads a model's `__init__` from the field specifiers
(`Field(default=..., alias=...)`): a positional default would count as no default, and every
optional aliased field would be reported as a missing argument. With the plugin, the models'
`populate_by_name` makes the Python field names the keywords.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BY_ALIAS = """\
from {package} import models

user = models.User(firstName="Ann", userStatus=1)
order = models.Order(petId=3, quantity=2)
pet = models.Pet(name="Rex", photoUrls=["https://img.test/rex.png"])
first: str | None = user.first_name
"""

BY_FIELD_NAME = """\
from {package} import models

user = models.User(first_name="Ann", user_status=1)
order = models.Order(pet_id=3, ship_date=None)
pet = models.Pet(name="Rex", photo_urls=["https://img.test/rex.png"])
"""


def _mypy(package: ModuleType, folder: Path, code: str, config: str) -> str:
    snippet = folder / "user_code.py"
    snippet.write_text(code.format(package=package.__name__), encoding="utf-8")
    settings = folder / "mypy.ini"
    settings.write_text(f"[mypy]\n{config}", encoding="utf-8")
    packages_root = Path(package.__file__ or "").parent.parent
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--config-file",
            str(settings),
            "--no-error-summary",
            str(snippet),
        ],
        cwd=folder,
        env={**os.environ, "MYPYPATH": str(packages_root)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return done.stdout + done.stderr


def test_user_code_building_models_by_alias_type_checks(
    petstore: ModuleType, tmp_path: Path
) -> None:
    assert _mypy(petstore, tmp_path, BY_ALIAS, "") == ""


def test_user_code_building_models_by_field_name_type_checks_with_the_plugin(
    petstore: ModuleType, tmp_path: Path
) -> None:
    assert _mypy(petstore, tmp_path, BY_FIELD_NAME, "plugins = pydantic.mypy\n") == ""
