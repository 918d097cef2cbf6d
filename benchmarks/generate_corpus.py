"""Generate a package for every spec in the corpus and check that each one imports.

The corpus is where the generator meets real, often slightly broken specs. This says how many
of them become an importable package and, when not, why: failures are grouped by the first line
of their error with names and numbers blanked out, so one bug shows as one line, not fifty.

Each spec is generated in its own worker process (a crash, a leak or a hang stays there; a
timeout ends it), the package is written to disk, then imported module by module in a fresh
interpreter, as a user's service would.

    uv run python benchmarks/generate_corpus.py --jobs 2
    uv run python benchmarks/generate_corpus.py --only 'stripe*' --json report.json
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_RESULT = "CORPUS-RESULT "  # marks the worker's result line among anything else it prints

# Imports the package and each of its modules: `__init__` is lazy (PEP 562), so importing the
# package alone would not load models or the client.
_IMPORT_CHECK = """
import importlib, pkgutil, sys
name = sys.argv[1]
package = importlib.import_module(name)
for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
    if info.name != "__main__":
        importlib.import_module(f"{name}.{info.name}")
"""


@dataclass
class SpecResult:
    name: str  # file name in the corpus
    group: str  # "specs" or "large"
    version: str  # as declared: "swagger 2.0", "openapi 3.1.0"
    generated: bool = False
    imported: bool = False
    stage: str = ""  # where it failed: "generate", "timeout" or "import"
    cause: str = ""  # first line of the error
    generate_seconds: float = 0.0
    import_seconds: float = 0.0
    operations: int = 0
    tools: int = 0
    files: int = 0
    bytes: int = 0
    errors: int = 0
    warnings: int = 0
    import_warning: str = ""  # first warning printed while importing, if any
    detail: str = ""  # for a generator crash: the innermost frame

    @property
    def family(self) -> str:
        return version_family(self.version)


# --- finding the specs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    path: Path
    group: str
    version: str


def find_specs(corpus: Path, patterns: Sequence[str]) -> list[Spec]:
    """The corpus' specs, large ones first (they take longest, so they start first)."""
    declared = _manifest_versions(corpus / "MANIFEST.tsv")
    specs = []
    for group in ("large", "specs"):
        folder = corpus / group
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SPEC_SUFFIXES and matches(path.name, patterns):
                version = declared.get(path.name) or sniff_version(path)
                specs.append(Spec(path, group, version))
    return specs


def matches(name: str, patterns: Sequence[str]) -> bool:
    """A glob (`stripe*`) matches the whole file name; plain text matches any part of it."""
    if not patterns:
        return True
    return any(
        fnmatch.fnmatch(name, p) if any(c in p for c in "*?[") else p in name for p in patterns
    )


def _manifest_versions(manifest: Path) -> dict[str, str]:
    if not manifest.is_file():
        return {}
    with manifest.open(newline="", encoding="utf-8") as handle:
        return {
            row["local_name"]: row["spec_version"] for row in csv.DictReader(handle, delimiter="\t")
        }


_VERSION_RE = re.compile(r"""^\s*["']?(openapi|swagger)["']?\s*:\s*["']?([0-9][0-9.]*)""", re.M)


def sniff_version(path: Path) -> str:
    """The declared version from the top of the file, without parsing a multi-megabyte spec."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(65536)
    found = _VERSION_RE.search(head) or re.search(r'"(openapi|swagger)"\s*:\s*"([0-9.]+)"', head)
    return f"{found.group(1)} {found.group(2)}" if found else "unknown"


def version_family(version: str) -> str:
    kind, _, number = version.partition(" ")
    if kind == "swagger":
        return "Swagger 2.0"
    if kind == "openapi" and number.count(".") >= 1:
        return "OpenAPI " + ".".join(number.split(".")[:2])
    return "unknown"


def package_name(spec_name: str) -> str:
    """An importable, readable name for the spec's package (it gets its own folder, so two
    specs with the same name cannot collide)."""
    stem = re.sub(r"[^0-9a-zA-Z]+", "_", spec_name.rsplit(".", 1)[0]).strip("_").lower()
    return f"{'api_' if not stem or stem[0].isdigit() else ''}{stem}_agent"


# --- the worker (one spec, in its own process) ---------------------------------------------------


def work(spec: Path, package_dir: Path) -> dict[str, Any]:
    """Generate one package into `package_dir`; what happened, as a JSON-ready dict."""
    from specagent import ir  # noqa: PLC0415 - the parent process never needs the generator
    from specagent.generate import GenerateOptions, generate  # noqa: PLC0415

    started = time.perf_counter()
    try:
        result = generate(spec, None, package_dir.name, GenerateOptions())
    except Exception as exc:  # a crash is a finding like any other: report it, keep going
        return {
            "ok": False,
            "seconds": time.perf_counter() - started,
            "cause": first_line(f"{type(exc).__name__}: {exc}"),
            "where": _innermost_frame(exc),
        }
    seconds = time.perf_counter() - started
    errors = [d for d in result.diagnostics if d.severity is ir.Severity.ERROR]
    report: dict[str, Any] = {
        "ok": result.ok and bool(result.files),
        "seconds": seconds,
        "operations": result.operations,
        "tools": result.tools,
        "errors": len(errors),
        "warnings": len(result.diagnostics) - len(errors),
    }
    if not report["ok"]:
        first = errors[0] if errors else None
        report["cause"] = (
            first_line(f"error[{first.code}] {first.message}") if first else "no files generated"
        )
        return report
    for relative, text in result.files.items():
        target = package_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report["files"] = len(result.files)
    report["bytes"] = sum(len(text.encode()) for text in result.files.values())
    return report


def _innermost_frame(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    frame = frames[-1]
    path = Path(frame.filename)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    return f"{shown}:{frame.lineno} in {frame.name}"


def first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else "(no message)"


# --- running and checking one spec -----------------------------------------------------------


def check_spec(spec: Spec, out: Path, timeout: float, do_import: bool) -> SpecResult:
    result = SpecResult(spec.path.name, spec.group, spec.version)
    folder = out / spec.path.name.replace(".", "_")
    package_dir = folder / package_name(spec.path.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(spec.path)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, str(package_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        result.stage, result.cause = "timeout", f"generation took over {timeout:g} s"
        result.generate_seconds = time.perf_counter() - started
        return result
    report = _worker_report(done)
    result.generate_seconds = float(report.get("seconds", time.perf_counter() - started))
    for field in ("operations", "tools", "files", "bytes", "errors", "warnings"):
        setattr(result, field, int(report.get(field, 0)))
    if not report.get("ok"):
        result.stage, result.cause = "generate", str(report.get("cause", "unknown failure"))
        result.detail = str(report.get("where", ""))
        return result
    result.generated = True
    if do_import:
        _import(result, folder, package_dir.name, timeout)
    return result


def _worker_report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT):
            report: dict[str, Any] = json.loads(line.removeprefix(_RESULT))
            return report
    # The worker died before reporting (killed, out of memory, an interpreter crash).
    stderr = [line for line in done.stderr.splitlines() if line.strip()]
    cause = stderr[-1] if stderr else f"worker exited with status {done.returncode}"
    return {"ok": False, "cause": first_line(cause)}


def _import(result: SpecResult, folder: Path, package: str, timeout: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _IMPORT_CHECK, package],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=folder,
            env=env,
        )
    except subprocess.TimeoutExpired:
        result.stage, result.cause = "import", f"import took over {timeout:g} s"
        return
    finally:
        result.import_seconds = time.perf_counter() - started
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    if done.returncode != 0:
        # The exception line is the last one of a traceback.
        result.stage = "import"
        result.cause = lines[-1].strip() if lines else f"exit status {done.returncode}"
        return
    result.imported = True
    warnings = [line.strip() for line in lines if "Warning" in line]
    result.import_warning = warnings[0] if warnings else ""


# --- the report ---------------------------------------------------------------------------------

_BLANKS = (
    (re.compile(r"`[^`]*`"), "`…`"),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r'"[^"]*"'), '"…"'),
    (re.compile(r"#/[^\s,;:)]*"), "#/…"),
    (re.compile(r"(?<![#\w])/(?:[\w.@+-]+/)+[\w.@+-]*"), "/…/"),  # file system paths
    (re.compile(r"\b\d+(\.\d+)?\b"), "N"),
)


def cause_key(result: SpecResult) -> str:
    """The failure's first line with names, pointers and numbers blanked, for grouping."""
    text = result.cause
    for pattern, blank in _BLANKS:
        text = pattern.sub(blank, text)
    return f"{result.stage}: {text[:160]}"


def summarise(results: Sequence[SpecResult]) -> dict[str, Any]:
    by_version: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        for row in (r.family, "total"):
            by_version[row]["specs"] += 1
            by_version[row]["generated"] += r.generated
            by_version[row]["imported"] += r.imported
            by_version[row]["failed"] += bool(r.stage)
    causes: dict[str, list[str]] = defaultdict(list)
    for r in results:
        if r.stage:
            causes[cause_key(r)].append(r.name)
    warned: dict[str, list[str]] = defaultdict(list)
    for r in results:
        if r.import_warning:
            warned[r.import_warning[:160]].append(r.name)
    return {
        "by_version": {k: dict(v) for k, v in sorted(by_version.items(), key=_total_last)},
        "causes": dict(sorted(causes.items(), key=lambda item: (-len(item[1]), item[0]))),
        "import_warnings": dict(sorted(warned.items(), key=lambda item: -len(item[1]))),
    }


def _total_last(item: tuple[str, Counter[str]]) -> tuple[bool, str]:
    return item[0] == "total", item[0]


def print_report(results: Sequence[SpecResult], summary: dict[str, Any], wall: float) -> None:
    print(
        _table(
            ["version", "specs", "generated", "imported", "failed"],
            [
                [name, *(row.get(c, 0) for c in ("specs", "generated", "imported", "failed"))]
                for name, row in summary["by_version"].items()
            ],
        )
    )
    if summary["causes"]:
        print("\nfailures by cause")
        rows = [[len(names), key, _examples(names)] for key, names in summary["causes"].items()]
        print(_table(["count", "cause", "specs"], rows))
        print("\nfailed specs")
        failed = sorted((r for r in results if r.stage), key=lambda r: (r.stage, r.name))
        rows = [[r.name, r.stage, r.cause[:140], r.detail] for r in failed]
        print(_table(["spec", "stage", "error", "raised at"], rows))
    if summary["import_warnings"]:
        print("\nwarnings while importing")
        rows = [[len(n), w, _examples(n)] for w, n in summary["import_warnings"].items()]
        print(_table(["count", "warning", "specs"], rows))
    large = [r for r in results if r.group == "large"]
    if large:
        print("\nlarge specs")
        print(
            _table(
                ["spec", "operations", "tools", "files", "KB", "generate s", "import s", "result"],
                [
                    [
                        r.name,
                        r.operations,
                        r.tools,
                        r.files,
                        r.bytes // 1024,
                        f"{r.generate_seconds:.1f}",
                        f"{r.import_seconds:.1f}",
                        _outcome(r),
                    ]
                    for r in large
                ],
            )
        )
    slowest = sorted(results, key=lambda r: -r.generate_seconds)[:5]
    print(
        "\nslowest generations: "
        + ", ".join(f"{r.name} {r.generate_seconds:.1f}s" for r in slowest)
    )
    print(f"wall time {wall:.1f} s for {len(results)} specs")


def _outcome(result: SpecResult) -> str:
    return "imported" if result.imported else result.stage or "generated"


def _examples(names: Sequence[str], limit: int = 3) -> str:
    more = f" +{len(names) - limit}" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    cells = [[str(c) for c in header], *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        # Numbers right-aligned, text left-aligned; the last column is not padded.
        parts = [
            c.rjust(w) if c.isdigit() else c.ljust(w) for c, w in zip(row, widths, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join(line(row) for row in cells)


# --- command line -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    corpus = Path(args.corpus)
    specs = find_specs(corpus, args.only)
    if not specs:
        print(f"no specs in {corpus} match {args.only}", file=sys.stderr)
        return 2
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="specagent-corpus-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: list[SpecResult] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [
                pool.submit(check_spec, spec, out, args.timeout, not args.no_import)
                for spec in specs
            ]
            for n, future in enumerate(as_completed(futures), 1):
                r = future.result()
                results.append(r)
                detail = f"{r.stage}: {r.cause[:100]}" if r.stage else _outcome(r)
                print(
                    f"[{n}/{len(specs)}] {r.name} {r.generate_seconds:.1f}s {detail}",
                    file=sys.stderr,
                )
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    wall = time.perf_counter() - started
    results.sort(key=lambda r: (r.group != "large", r.name))
    summary = summarise(results)
    print_report(results, summary, wall)
    if args.json:
        report = {
            "corpus": str(corpus),
            "wall_seconds": round(wall, 2),
            "summary": summary,
            "specs": [{**asdict(r), "family": r.family} for r in results],
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r.imported or (args.no_import and r.generated) for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--corpus", default=str(DEFAULT_CORPUS), help="folder with specs/ and large/"
    )
    parser.add_argument("--jobs", type=int, default=2, help="specs generated at once (default 2)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only specs whose file name matches (glob or substring; repeatable)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per spec and stage")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated packages in DIR")
    parser.add_argument("--no-import", action="store_true", help="generate only")
    parser.add_argument(
        "--worker", nargs=2, metavar=("SPEC", "PACKAGE_DIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        spec, package_dir = args.worker
        print(_RESULT + json.dumps(work(Path(spec), Path(package_dir))), flush=True)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
