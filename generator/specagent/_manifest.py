"""manifest.json and the package folder it describes: one home for the file's name, its
digests and how it is read back.

`render` writes it; `specagent check` reads it to say why a package is stale, and the CLI reads
it before replacing a folder, to tell a package specagent generated (which it may replace) from
a folder of the user's own (which it never touches).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST",
    "RECORDED_OPTIONS",
    "digest",
    "file_digests",
    "generated_by_specagent",
    "json_text",
    "package_files",
    "read_manifest",
    "recorded_files",
    "recorded_options",
    "recorded_package",
    "seal",
    "sealed",
]

MANIFEST = "manifest.json"

# The generation options written into the manifest, so `specagent check` regenerates the same
# way: switches only, never paths or times.
RECORDED_OPTIONS = ("strict", "allow_remote_refs", "allow_outside_refs")

# Caches that tools create inside any Python package; never the user's work.
_CACHE_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})


def digest(data: bytes) -> str:
    """The digest the manifest records for an input or a generated file."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def seal(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest with its own digest under `digest` (of its JSON text without that key).

    `specagent check` trusts a manifest to decide that a package is current without
    regenerating it; the seal is what tells it the manifest was not edited by hand since.
    """
    body = {key: value for key, value in manifest.items() if key != "digest"}
    return {**body, "digest": digest(json_text(body).encode("utf-8"))}


def sealed(manifest: Mapping[str, Any]) -> bool:
    """Whether `manifest` carries the digest `seal` gives it (not edited since it was written)."""
    return seal(manifest).get("digest") == manifest.get("digest")


def json_text(data: Any) -> str:
    """The one JSON style of generated files (manifest.json, agent.json): sorted keys, UTF-8
    text, a trailing newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The folder's manifest.json, or None when it is missing, unreadable or not an object."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def generated_by_specagent(manifest: Mapping[str, Any]) -> bool:
    """Whether specagent wrote it (a manifest.json of another tool is not ours to act on)."""
    return "specagent" in json.dumps(manifest.get("generator", ""))


def recorded_options(manifest: Mapping[str, Any] | None) -> dict[str, bool]:
    """The switches the package was generated with (those set to true)."""
    options = manifest.get("options") if manifest else None
    if not isinstance(options, Mapping):
        return {}
    return {name: True for name in RECORDED_OPTIONS if options.get(name) is True}


def recorded_package(manifest: Mapping[str, Any] | None) -> str | None:
    name = manifest.get("package") if manifest else None
    return name if isinstance(name, str) and name else None


def file_digests(manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """Generated file -> the digest recorded when it was written."""
    listed = manifest.get("files") if manifest else None
    return (
        {str(name): value for name, value in listed.items()} if isinstance(listed, Mapping) else {}
    )


def recorded_files(manifest: Mapping[str, Any]) -> set[str]:
    """Files the previous generation wrote, if its manifest lists them."""
    listed = manifest.get("files")
    if isinstance(listed, Mapping | list):
        return {str(name) for name in listed}
    return set()


def package_files(folder: Path) -> Iterator[str]:
    """Posix paths of the files under `folder`, without the caches tools leave in packages."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _CACHE_DIRS)
        base = Path(root).relative_to(folder)
        for name in names:
            if not name.endswith((".pyc", ".pyo")):
                yield (base / name).as_posix()
