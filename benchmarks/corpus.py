"""Generate a package for every spec in the corpus and check it as a user's CI would.

The corpus is where the generator meets real, often slightly broken specs. For each spec (no
agent file: every operation becomes a tool) this says whether the package generates, imports,
passes `ruff check` (with ruff's defaults, and with this project's own strict rule set, as a
user's repository configured like this one lints it) and `mypy --strict`, and whether every
operation of the spec became a tool or was reported with a reason. Failures are grouped by the
first line of their error with names and numbers blanked out, so one bug shows as one line, not
fifty.

Each spec is generated in its own worker process (a crash, a leak or a hang stays there; a
timeout ends it), the package is written to disk, imported module by module in a fresh
interpreter and checked with ruff; mypy then runs over many packages per invocation (its start
up and the pydantic plugin-free stubs are the slow part). Runs are resumable: specs already in
the JSON report are skipped unless `--rerun` is given.

    nice -n 10 uv run python benchmarks/corpus.py --jobs 2
    uv run python benchmarks/corpus.py --only 'stripe*' --rerun
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
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from specagent.render._format import STRICT_IGNORE, STRICT_LINE_LENGTH, STRICT_SELECT

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
    ruff_ok: bool = False
    strict_ok: bool = False  # ruff check under E, F, I, UP, B, PL, RUF, T20 at line length 100
    mypy_ok: bool | None = None  # None: not checked (yet)
    stage: str = ""  # where it failed first: "generate", "timeout", "import", "ruff", "strict"
    cause: str = ""  # first line of the error
    generate_seconds: float = 0.0
    import_seconds: float = 0.0
    spec_operations: int = 0  # method entries under `paths` in the spec
    operations: int = 0  # operations the generator built
    tools: int = 0
    dropped_reported: int = 0  # operations not turned into tools, with a diagnostic saying why
    mypy_errors: int = 0
    mypy_cause: str = ""  # first mypy error line
    files: int = 0
    bytes: int = 0
    errors: int = 0
    warnings: int = 0
    import_warning: str = ""  # first warning printed while importing, if any
    detail: str = ""  # for a generator crash: the innermost frame
    ruff_seconds: float = 0.0

    @property
    def dropped_silently(self) -> int:
        """Operations of the spec that are neither a tool nor reported with a reason."""
        if not self.generated:
            return 0
        return max(0, self.spec_operations - self.tools - self.dropped_reported)

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
    from specagent import (  # noqa: PLC0415
        GenerateOptions,
        generate,
        ir,
    )

    started = time.perf_counter()
    allowed: list[str] = []
    try:
        result = generate(spec, None, package_dir.name, GenerateOptions())
        allowed = _hosts_to_allow(result.diagnostics)
        if allowed:
            # Credentials would go to another host (an operation's server, a token URL): the
            # generator refuses until the agent file allows the host, as a user who checked it
            # would. Counted apart (`allow_hosts`), then generated with that one line.
            with tempfile.TemporaryDirectory() as folder:
                agent_file = Path(folder) / "agent.yaml"
                agent_file.write_text(f"allow_hosts: {json.dumps(allowed)}\n", encoding="utf-8")
                result = generate(spec, agent_file, package_dir.name, GenerateOptions())
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
        "spec_operations": _spec_operations(spec),
        "dropped_reported": sum(1 for d in result.diagnostics if _reports_a_drop(d)),
        "operations": result.operations,
        "tools": result.tools,
        "errors": len(errors),
        "warnings": len(result.diagnostics) - len(errors),
        "allow_hosts": allowed,
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


_HOST_CODES = frozenset(("server.host", "security.token_host"))
_ALLOW_HINT = re.compile(r"allow_hosts: \[([^\]]+)\]")


def _hosts_to_allow(diagnostics: Sequence[Any]) -> list[str]:
    """The hosts to allow when the only errors are credentials bound for other hosts."""
    errors = [d for d in diagnostics if d.severity == "error"]
    if not errors or any(d.code not in _HOST_CODES for d in errors):
        return []
    hosts = {
        h.strip() for d in errors for m in _ALLOW_HINT.finditer(d.hint) for h in m[1].split(",")
    }
    return sorted(hosts)


_METHODS = frozenset(("get", "put", "post", "delete", "options", "head", "patch", "trace"))


def _spec_operations(spec: Path) -> int:
    """Operations as the spec declares them, counted on the loaded document (after `$ref`s
    to path items are resolved), so a generator that loses one cannot hide it."""
    from specagent.loader import load_spec  # noqa: PLC0415

    paths = load_spec(spec).document.get("paths")
    if not isinstance(paths, dict):
        return 0
    return sum(
        1
        for item in paths.values()
        if isinstance(item, dict)
        for method, op in item.items()
        if method in _METHODS and isinstance(op, dict)
    )


def _reports_a_drop(diagnostic: Any) -> bool:
    """A diagnostic that says an operation was left out (its message says so, at its place)."""
    where = diagnostic.where.partition("#")[2]
    at_operation = where.startswith("/paths/") and where.count("/") == 3
    return at_operation and any(w in diagnostic.message for w in ("skipped", "left out"))


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
    folder = _folder(out, spec.path.name)
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
    for field in (
        "spec_operations",
        "operations",
        "tools",
        "dropped_reported",
        "files",
        "bytes",
        "errors",
        "warnings",
    ):
        setattr(result, field, int(report.get(field, 0)))
    if not report.get("ok"):
        result.stage, result.cause = "generate", str(report.get("cause", "unknown failure"))
        result.detail = str(report.get("where", ""))
        return result
    result.generated = True
    if do_import:
        _import(result, folder, package_dir.name, timeout)
    _ruff(result, package_dir, timeout)
    return result


# The strict rule set generated packages are held to (pyproject.toml's [tool.ruff.lint]).
_STRICT_RULES = [
    "--select",
    ",".join(STRICT_SELECT),
    "--ignore",
    ",".join(STRICT_IGNORE),
    "--line-length",
    str(STRICT_LINE_LENGTH),
    "--target-version",
    "py311",
]


def _ruff(result: SpecResult, package_dir: Path, timeout: float) -> None:
    """`ruff check` with ruff's defaults (not this repo's config), as a user's project would,
    then with the strict rule set."""
    _ruff_with(result, package_dir, timeout, [], "ruff")
    if result.ruff_ok:
        _ruff_with(result, package_dir, timeout, _STRICT_RULES, "strict")


def _ruff_with(
    result: SpecResult, package_dir: Path, timeout: float, rules: list[str], stage: str
) -> None:
    started = time.perf_counter()
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "-q", *rules]
    command += ["--output-format", "concise"]  # one `path:line:col: CODE message` per problem
    try:
        done = subprocess.run(
            [*command, str(package_dir)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        done = None
    result.ruff_seconds += time.perf_counter() - started
    if done is not None and done.returncode == 0:
        setattr(result, "ruff_ok" if stage == "ruff" else "strict_ok", True)
        return
    if not result.stage:
        result.stage = stage
        lines = done.stdout.splitlines() if done is not None else ["ruff timed out"]
        found = [line for line in lines if ": " in line]
        result.cause = (found or lines or ["ruff failed"])[0].split(": ", 1)[-1]
        result.detail = (found or lines or [""])[0].split(": ", 1)[0].rsplit("/", 1)[-1]


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


# --- mypy, many packages per run ------------------------------------------------------------


def mypy_batches(
    results: Sequence[SpecResult],
    out: Path,
    batch: int,
    jobs: int,
    after: Callable[[], None] = lambda: None,
    timeout: float = 1800.0,
) -> None:
    """`mypy --strict` over the generated packages, `batch` packages per invocation.

    One run per package would spend most of its time starting mypy and reading pydantic's and
    httpx's stubs again; a shared cache folder keeps those between batches. Errors are mapped
    back to the package whose folder they name.
    """
    todo = [r for r in results if r.generated and r.mypy_ok is None and not r.mypy_cause]
    # The large ones alone (Stripe's models take minutes), the rest in groups.
    groups = [[r] for r in todo if r.group == "large"]
    small = [r for r in todo if r.group != "large"]
    groups += [small[i : i + batch] for i in range(0, len(small), batch)]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for n, group in enumerate(pool.map(lambda g: _mypy(g, out, timeout), groups), 1):
            failed = [r.name for r in group if not r.mypy_ok]
            print(f"[mypy {n}/{len(groups)}] failed: {failed}", file=sys.stderr)
            after()


def _mypy(group: Sequence[SpecResult], out: Path, timeout: float) -> Sequence[SpecResult]:
    folders = {_folder(out, r.name): r for r in group}
    command = [sys.executable, "-m", "mypy", "--strict", "--config-file", os.devnull]
    command += ["--cache-dir", str(out / ".mypy_cache"), "--no-error-summary"]
    for result in folders.values():
        command += ["-p", package_name(result.name)]
    env = {**os.environ, "MYPYPATH": os.pathsep.join(str(f) for f in folders)}
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=out,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        for result in group:
            result.mypy_cause = f"not checked: mypy took over {timeout:g} s"
        return group
    errors: dict[str, list[str]] = defaultdict(list)
    for line in done.stdout.splitlines():
        if ": error:" not in line:
            continue
        for folder, result in folders.items():
            if line.startswith((str(folder), os.path.relpath(folder, out))):
                errors[result.name].append(line.split(": error:", 1)[1].strip())
                break
    crashed = done.returncode not in (0, 1) or (done.returncode == 1 and not errors)
    for result in group:
        found = errors.get(result.name, [])
        result.mypy_ok = not found and not crashed
        result.mypy_errors = len(found)
        if found:
            result.mypy_cause = found[0]
        elif crashed:
            tail = (done.stderr or done.stdout).strip().splitlines()
            result.mypy_cause = "mypy failed: " + (tail[-1] if tail else str(done.returncode))
    return group


def _folder(out: Path, spec_name: str) -> Path:
    return out / spec_name.replace(".", "_")


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
    return f"{result.stage}: {_blank(result.cause)[:160]}"


def _blank(text: str) -> str:
    for pattern, blank in _BLANKS:
        text = pattern.sub(blank, text)
    return text


def summarise(results: Sequence[SpecResult]) -> dict[str, Any]:
    by_version: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        for row in (r.family, "total"):
            by_version[row]["specs"] += 1
            by_version[row]["generated"] += r.generated
            by_version[row]["imported"] += r.imported
            by_version[row]["ruff"] += r.ruff_ok
            by_version[row]["strict"] += r.strict_ok
            by_version[row]["mypy"] += bool(r.mypy_ok)
            by_version[row]["failed"] += bool(r.stage) or r.mypy_ok is False
            by_version[row]["ops"] += r.spec_operations
            by_version[row]["tools"] += r.tools
            by_version[row]["reported"] += r.dropped_reported
            by_version[row]["silent"] += r.dropped_silently
    causes: dict[str, list[str]] = defaultdict(list)
    for r in results:
        if r.stage:
            causes[cause_key(r)].append(r.name)
        if r.mypy_ok is False:
            causes["mypy: " + _blank(r.mypy_cause)[:160]].append(r.name)
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
    columns = ["specs", "generated", "imported", "ruff", "strict", "mypy", "failed"]
    columns += ["ops", "tools", "reported", "silent"]
    print(
        _table(
            ["version", *columns],
            [
                [name, *(row.get(c, 0) for c in columns)]
                for name, row in summary["by_version"].items()
            ],
        )
    )
    print("(ops: operations in the spec; reported/silent: not tools, with/without a reason)")
    if summary["causes"]:
        print("\nfailures by cause")
        rows = [[len(names), key, _examples(names)] for key, names in summary["causes"].items()]
        print(_table(["count", "cause", "specs"], rows))
        print("\nfailed specs")
        failed = sorted(
            (r for r in results if r.stage or r.mypy_ok is False),
            key=lambda r: (r.stage or "mypy", r.name),
        )
        rows = [
            [r.name, r.stage or "mypy", (r.cause or r.mypy_cause)[:140], r.detail] for r in failed
        ]
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
                [
                    "spec",
                    "operations",
                    "tools",
                    "files",
                    "KB",
                    "generate s",
                    "import s",
                    "mypy",
                    "result",
                ],
                [
                    [
                        r.name,
                        r.operations,
                        r.tools,
                        r.files,
                        r.bytes // 1024,
                        f"{r.generate_seconds:.1f}",
                        f"{r.import_seconds:.1f}",
                        {None: "-", True: "ok", False: f"{r.mypy_errors} errors"}[r.mypy_ok],
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
    if result.stage:
        return result.stage
    if result.strict_ok:
        return "strict ok"
    return "ruff ok" if result.ruff_ok else "imported" if result.imported else "generated"


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
    report_path = Path(args.json)
    previous = _previous_results(report_path)
    failed = {name for name, r in previous.items() if r.stage} if args.retry_failed else set()
    todo = [s for s in specs if args.rerun or s.path.name not in previous or s.path.name in failed]
    if args.no_generate:
        todo = []
    out = Path(args.keep)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    fresh: list[SpecResult] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [
            pool.submit(check_spec, spec, out, args.timeout, not args.no_import) for spec in todo
        ]
        for n, future in enumerate(as_completed(futures), 1):
            r = future.result()
            fresh.append(r)
            previous[r.name] = r
            _write_report(report_path, corpus, previous, time.perf_counter() - started)
            detail = f"{r.stage}: {r.cause[:100]}" if r.stage else _outcome(r)
            print(
                f"[{n}/{len(todo)}] {r.name} {r.generate_seconds:.1f}s {detail}",
                file=sys.stderr,
            )
    if not args.no_mypy:
        wanted = {spec.path.name for spec in specs}
        unchecked = [r for r in previous.values() if r.name in wanted]
        mypy_batches(
            unchecked,
            out,
            args.mypy_batch,
            args.jobs,
            lambda: _write_report(report_path, corpus, previous, time.perf_counter() - started),
            args.timeout,
        )
    wall = time.perf_counter() - started
    _write_report(report_path, corpus, previous, wall)
    results = sorted(previous.values(), key=lambda r: (r.group != "large", r.name))
    if args.only:
        results = [r for r in results if matches(r.name, args.only)]
    print_report(results, summarise(results), wall)
    print(f"report: {report_path}", file=sys.stderr)
    return 0 if all(r.strict_ok and not r.stage for r in results) else 1


def _write_report(path: Path, corpus: Path, results: dict[str, SpecResult], wall: float) -> None:
    """Rewritten after every spec, so an interrupted run resumes where it stopped."""
    everything = sorted(results.values(), key=lambda r: (r.group != "large", r.name))
    report = {
        "corpus": str(corpus),
        "machine": _machine(),
        "wall_seconds_last_run": round(wall, 2),
        "summary": summarise(everything),
        "specs": [{**asdict(r), "family": r.family} for r in everything],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    temporary.replace(path)


def _previous_results(path: Path) -> dict[str, SpecResult]:
    """Specs of an earlier run (to resume it); a missing or unreadable report is no run."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    known = {f.name for f in fields(SpecResult)}
    found: dict[str, SpecResult] = {}
    for row in data.get("specs", []):
        result = SpecResult(**{k: v for k, v in row.items() if k in known})
        found[result.name] = result
    return found


def _machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"


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
    parser.add_argument(
        "--json",
        metavar="FILE",
        default=str(ROOT / "benchmarks" / "results" / "corpus.json"),
        help="the JSON report, read to resume and rewritten (default results/corpus.json)",
    )
    parser.add_argument(
        "--rerun", action="store_true", help="run specs that the report already has again"
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="run the report's failed specs again"
    )
    parser.add_argument("--no-mypy", action="store_true", help="skip mypy --strict")
    parser.add_argument(
        "--no-generate",
        action="store_true",
        help="generate nothing new: only run mypy on the report's unchecked packages",
    )
    parser.add_argument(
        "--mypy-batch", type=int, default=20, help="packages per mypy run (default 20)"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per spec and stage")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        default=str(ROOT / "benchmarks" / ".corpus-out"),
        help="where the generated packages are written and kept (default .corpus-out)",
    )
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
