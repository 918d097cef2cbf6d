"""`specagent check`: is the committed package what the current inputs generate?

First the manifest alone (`unchanged_package`): when it records this generator, these
options and this package name, the digests of the inputs as they are now, and the digest of
every file the folder holds, the package is what a regeneration would give, and CI learns so in
a fraction of a second instead of regenerating a large API for a minute. Anything else (an
input or an option changed, a file edited, added or removed, another specagent, a manifest
edited by hand) and the package is regenerated in memory and compared file by file with the
folder; nothing is written. The manifests of both say *why* they differ when they can (a changed
spec, another agent file, another generator version), which saves a reviewer from reading a
long diff to find out that CI simply runs a newer specagent.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from specagent._manifest import (
    MANIFEST,
    digest,
    file_digests,
    generated_by_specagent,
    json_text,
    package_files,
    read_manifest,
    sealed,
)
from specagent._version import __version__

__all__ = [
    "CheckReport",
    "FileChange",
    "compare_package",
    "format_check",
    "read_manifest",
    "unchanged_package",
]

Status = Literal["changed", "missing", "extra"]

DEFAULT_MAX_LINES = 300  # diff lines shown in all; a regenerated Stripe package differs by 100k+


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str  # relative to the package folder, posix
    status: Status  # missing: generated but not in the folder; extra: in the folder only
    diff: tuple[str, ...]  # unified diff lines, committed -> regenerated


@dataclass(frozen=True, slots=True)
class CheckReport:
    folder: str
    compared: int  # files generated
    changes: tuple[FileChange, ...]
    notes: tuple[str, ...]  # why, from the manifests
    # The agent files the package was generated with when this check was given none: then
    # regenerating "with the same arguments" would drop tasks.py, so the advice differs.
    agent_left_out: tuple[str, ...] = ()

    @property
    def stale(self) -> bool:
        return bool(self.changes)

    def count(self, status: Status) -> int:
        return sum(change.status == status for change in self.changes)


def compare_package(files: Mapping[PurePosixPath, str], folder: Path) -> CheckReport:
    """Compare the regenerated `files` (relative paths) with the package in `folder`."""
    label = folder.as_posix().rstrip("/")
    generated = {path.as_posix(): text for path, text in files.items()}
    on_disk = set(package_files(folder))
    changes = []
    for name in sorted(generated.keys() | on_disk):
        if name not in on_disk:
            lines = _diff("", generated[name], f"{label}/{name}")
            changes.append(FileChange(name, "missing", lines))
        elif name not in generated:
            changes.append(FileChange(name, "extra", ()))
        else:
            committed = _read(folder / name)
            if committed != generated[name]:
                lines = _diff(committed or "", generated[name], f"{label}/{name}")
                changes.append(FileChange(name, "changed", lines))
    old = read_manifest(folder)
    new_text = generated.get(MANIFEST)
    new = json.loads(new_text) if new_text is not None else None
    notes = [*_notes(old, new), *_edited(old, folder)]
    before = (_get(old, "inputs", "agent") or {}) if old is not None else {}
    after = (_get(new, "inputs", "agent") or {}) if new is not None else {}
    left_out = tuple(sorted(before)) if before and not after else ()
    return CheckReport(label, len(generated), tuple(changes), tuple(notes), left_out)


def unchanged_package(
    spec: str | Path,
    agent_file: Path | None,
    package: str,
    options: Mapping[str, object],
    folder: Path,
) -> CheckReport | None:
    """The up-to-date report when the folder's manifest proves the package current, else None
    (regenerate and compare to know).

    Proof means: the manifest is specagent's, sealed (not edited since it was written) and
    in the one JSON style; it names this specagent version, `package` and exactly `options`
    (the recorded generation options, as `generate` would write them); every input it lists
    (the spec, each file the spec's `$ref`s reached, the agent file) still has its recorded
    digest and no other agent file is given; and the folder holds exactly the files it lists,
    each with its recorded digest. The same generator on the same inputs writes the same bytes
    (generation is deterministic), so nothing else can differ. A spec given or referenced by
    URL cannot be proven without fetching it, so it is always regenerated.
    """
    try:
        text = (folder / MANIFEST).read_bytes().decode("utf-8")
        manifest = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or not generated_by_specagent(manifest):
        return None
    if not sealed(manifest) or json_text(manifest) != text:
        return None
    if manifest.get("generator") != {"name": "specagent", "version": __version__}:
        return None
    if manifest.get("package") != package or manifest.get("options") != dict(options):
        return None
    if isinstance(spec, str) and "://" in spec:
        return None
    inputs = manifest.get("inputs")
    if not isinstance(inputs, dict) or not _inputs_unchanged(inputs, Path(spec), agent_file):
        return None
    files = file_digests(manifest)
    on_disk = set(package_files(folder))
    if on_disk != {*files, MANIFEST}:
        return None
    for name, recorded in files.items():
        try:
            if digest((folder / name).read_bytes()) != recorded:
                return None
        except OSError:
            return None
    return CheckReport(folder.as_posix().rstrip("/"), len(on_disk), (), ())


def _inputs_unchanged(inputs: Mapping[str, Any], spec: Path, agent_file: Path | None) -> bool:
    """Whether every recorded input file still has its digest, the spec under its own name
    among them (the others are named relative to the spec's folder, as the loader read them)."""
    spec_inputs, agent_inputs = inputs.get("spec"), inputs.get("agent")
    if not isinstance(spec_inputs, Mapping) or not isinstance(agent_inputs, Mapping):
        return False
    if spec.name not in spec_inputs:
        return False
    expected = {spec.parent / str(name): value for name, value in spec_inputs.items()}
    if agent_file is None:
        if agent_inputs:
            return False
    else:
        if list(agent_inputs) != [agent_file.name]:
            return False
        expected[agent_file] = agent_inputs[agent_file.name]
    for path, recorded in expected.items():
        if "://" in str(path):
            return False
        try:
            if digest(path.read_bytes()) != recorded:
                return False
        except OSError:
            return False
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # unreadable or binary: differs from any generated text


def _diff(committed: str, regenerated: str, name: str) -> tuple[str, ...]:
    source = "/dev/null" if not committed else f"{name} (committed)"
    lines = difflib.unified_diff(
        committed.splitlines(),
        regenerated.splitlines(),
        fromfile=source,
        tofile=f"{name} (regenerated)",
        lineterm="",
        n=2,
    )
    return tuple(lines)


def _notes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> Iterator[str]:
    if old is None:
        yield f"the package has no readable {MANIFEST}: it was deleted, edited or never generated"
        return
    if new is None:
        return
    old_version = _get(old, "generator", "version")
    new_version = _get(new, "generator", "version")
    if old_version != new_version:
        yield (
            f"the package was generated by specagent {old_version or '(unknown)'}, this is "
            f"specagent {new_version}: some differences may come from the generator, not from "
            "your inputs"
        )
    for kind, what in (("spec", "the spec"), ("agent", "the agent file")):
        before = _get(old, "inputs", kind) or {}
        after = _get(new, "inputs", kind) or {}
        if before == after:
            continue
        if not after:
            yield (
                f"the package was generated with {what} {_names(before)}, none was given now"
                + (": pass it with --tasks" if kind == "agent" else "")
            )
        elif not before:
            yield f"the package was generated without {what}; now {_names(after)} was given"
        else:
            changed = sorted(name for name in after if before.get(name) != after[name])
            gone = sorted(set(before) - set(after))
            if changed:
                yield f"{what} changed since the package was generated: {', '.join(changed)}"
            if gone:
                yield f"{what} no longer includes {', '.join(gone)}"
    if (old.get("options") or {}) != (new.get("options") or {}):
        yield (
            f"generation options differ: the package used {_options(old)}, "
            f"this check used {_options(new)}"
        )
    if old.get("package") != new.get("package"):
        yield f"the package is named `{old.get('package')}`, regenerated as `{new.get('package')}`"


def _edited(manifest: Mapping[str, Any] | None, folder: Path) -> Iterator[str]:
    """Files whose content no longer matches the digest the manifest recorded for them: edited
    by hand after generation (the next `generate` would drop those edits)."""
    edited = []
    for name, recorded in sorted(file_digests(manifest).items()):
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue  # a missing file is reported as such
        if recorded != digest(data):
            edited.append(name)
    if edited:
        yield (
            f"edited by hand after generation: {', '.join(edited)} (regenerating drops the "
            "edits; make them in the spec or the agent file instead)"
        )


def _get(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _names(files: Mapping[str, Any]) -> str:
    return ", ".join(sorted(files)) or "(none)"


def _options(manifest: Mapping[str, Any]) -> str:
    options = manifest.get("options") or {}
    on = sorted(str(key) for key, value in options.items() if value is True)
    return ", ".join(f"--{key.replace('_', '-')}" for key in on) or "no options"


def format_check(report: CheckReport, *, max_lines: int = DEFAULT_MAX_LINES) -> str:
    """The report for a terminal or CI log: why, the diff (trimmed), then a summary line.

    `max_lines` bounds the diff lines shown in all (0: no limit); each file still gets its
    header so the reader sees every file that differs.
    """
    out: list[str] = []
    for note in report.notes:
        out.append(f"note: {note}")
    budget = max_lines if max_lines > 0 else None
    hidden = 0
    for change in report.changes:
        if change.status == "extra":
            out.append(f"extra file {report.folder}/{change.path}: specagent does not generate it")
            continue
        header, body = change.diff[:2], change.diff[2:]
        out.extend(header)
        if budget is None or len(body) <= budget:
            out.extend(body)
            budget = None if budget is None else budget - len(body)
            continue
        out.extend(body[:budget])
        hidden += len(body) - budget
        out.append(f"... {len(body) - budget} more diff lines in {change.path}")
        budget = 0
    out.append(_summary(report, hidden))
    return "\n".join(out)


def _summary(report: CheckReport, hidden: int) -> str:
    if not report.stale:
        return f"{report.folder} is up to date ({report.compared} files)"
    parts = []
    labels: tuple[tuple[Status, str], ...] = (
        ("changed", "changed"),
        ("missing", "missing (would be added)"),
        ("extra", "extra (would be removed)"),
    )
    for status, label in labels:
        number = report.count(status)
        if number:
            parts.append(f"{number} file{'s' if number != 1 else ''} {label}")
    text = f"{report.folder} is stale: {', '.join(parts)}"
    if hidden:
        text += f"; {hidden} diff lines not shown (--max-diff-lines 0 shows all)"
    if report.agent_left_out:
        # Regenerating without it would delete tasks.py and the agent file's settings.
        names = ", ".join(report.agent_left_out)
        return text + (
            f"; the package was generated with the agent file {names}: run `specagent check` "
            "again with `--tasks` (its path), and regenerate only if it is still stale"
        )
    return text + "; run `specagent generate` with the same arguments and commit the result"
