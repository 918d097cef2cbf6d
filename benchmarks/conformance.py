"""Do the generated clients send requests that conform to the spec? Checked against Prism.

    (cd benchmarks/.prism && npm install @stoplight/prism-cli)   # once; the folder is ignored
    uv run python benchmarks/conformance.py [--specs 40] [--only NAME] [--json FILE]

For petstore and a set of corpus specs (OpenAPI 3.x, small enough to run quickly; the corpus'
packages from `corpus.py --keep` are reused when present, else generated), a Prism mock server
(`prism mock -p PORT SPEC`) is started on 127.0.0.1, and every operation without a file upload
is called once through the generated client, with arguments built from the tool's schema
(examples, enums, defaults, formats). Prism answers 422 (body) or 400 (parameters) when the
request breaks the spec: that is a non-conforming request, shown with Prism's reason. Statuses
Prism returns for other reasons (401 for a credential it does not like, 404 for a path it
cannot route) are counted apart.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "specs"
PRISM = ROOT / "benchmarks" / ".prism" / "node_modules" / ".bin" / "prism"
KEPT = ROOT / "benchmarks" / ".corpus-out"
PETSTORE = ROOT / "examples" / "petstore" / "openapi.yaml"
_UPLOADS = ("multipart/", "application/octet-stream")
# Prism answers 422 for a body and 400 for a parameter that breaks the spec (each with a
# `validation` list saying what).
_VIOLATION = (400, 422)


@dataclass
class SpecRow:
    spec: str
    called: int = 0
    conforming: int = 0  # not answered 422
    skipped_uploads: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)  # "operation: prism's reason"
    note: str = ""


# --- arguments from a schema --------------------------------------------------------------------

_FORMATS = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05",
    "email": "ada@example.com",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "uri": "https://example.com/a",
    "url": "https://example.com/a",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "aGVsbG8=",
}


def sample(schema: Any, defs: Mapping[str, Any], depth: int = 0) -> Any:
    """A value that `schema` accepts, preferring what the spec itself offers."""
    if not isinstance(schema, dict) or depth > 8:
        return "x"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return sample(defs.get(ref.rsplit("/", 1)[-1], {}), defs, depth + 1)
    for key in ("example", "default", "const"):
        if key in schema and schema[key] is not None:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    enum = [v for v in schema.get("enum") or () if v is not None]
    if enum:
        return enum[0]
    for key in ("anyOf", "oneOf", "allOf"):
        members = [m for m in schema.get(key) or () if m.get("type") != "null"]
        if members and key != "allOf":
            return sample(members[0], defs, depth + 1)
        if members:
            values = [sample(member, defs, depth + 1) for member in members]
            if not all(isinstance(value, dict) for value in values):
                # `allOf: [{$ref: a string schema}]` (a description beside a $ref)
                return next(value for value in values if not isinstance(value, dict))
            merged: dict[str, Any] = {}
            for value in values:
                merged.update(value)
            return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1) if "maximum" not in schema else 1
    if kind == "number":
        return float(schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "array":
        return [sample(schema.get("items", {}), defs, depth + 1)]
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or ())
        return {
            name: sample(sub, defs, depth + 1)
            for name, sub in (schema.get("properties") or {}).items()
            if name in required
        }
    if kind == "string" or kind is None:
        text = _FORMATS.get(str(schema.get("format")), "abc")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _matches(pattern, text):
            text = _from_pattern(pattern) or text
        low = int(schema.get("minLength", 0))
        return text + "a" * max(0, low - len(text))
    return "x"


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True  # a pattern Python cannot read: nothing to aim for


def _from_pattern(pattern: str) -> str | None:
    """A short string `pattern` matches (JSON Schema: anywhere in the value), or None."""
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
        text = _emit(list(parsed))
    except (re.error, ValueError, TypeError, RecursionError):
        return None
    return text if _matches(pattern, text) else None


def _emit(items: list[Any]) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "ANY":
            out.append("a")
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "IN":
            out.append(_one_of(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, sub = arg
            out.append(_emit(list(sub)) * low)
        elif name == "SUBPATTERN":
            out.append(_emit(list(arg[-1])))
        elif name == "BRANCH":
            out.append(_emit(list(arg[1][0])))
        elif name == "CATEGORY":
            out.append(_category(str(arg)))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise ValueError(name)
    return "".join(out)


def _one_of(items: list[Any]) -> str:
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            return "a" if not any(str(o) == "LITERAL" and a == ord("a") for o, a in items) else "b"
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return _category(str(arg))
    raise ValueError("empty set")


def _category(name: str) -> str:
    return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(name, "a")


def arguments(input_schema: Mapping[str, Any]) -> dict[str, Any]:
    """Every required argument, optional ones the spec gives an example or enum for, and an
    optional whole body that requires properties (so that sending it whole is checked too)."""
    defs = input_schema.get("$defs") or {}
    required = set(input_schema.get("required") or ())
    found = {}
    for name, sub in (input_schema.get("properties") or {}).items():
        offered = isinstance(sub, dict) and any(k in sub for k in ("example", "examples", "enum"))
        if name in required or offered or (name == "body" and _requires(sub, defs)):
            found[name] = sample(sub, defs)
    return found


def _requires(schema: Any, defs: Mapping[str, Any]) -> bool:
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return isinstance(schema, dict) and bool(schema.get("required"))


# --- one spec ------------------------------------------------------------------------------------


def _credential(scheme: Any) -> Any:
    import specagent_runtime as rt  # noqa: PLC0415

    if isinstance(scheme, rt.ApiKeyScheme):
        return rt.ApiKey("test-key")
    if isinstance(scheme, rt.HttpBasicScheme):
        return rt.BasicAuth("user", "test-password")
    if isinstance(scheme, rt.HttpBearerScheme):
        return rt.BearerToken("test-token")
    return rt.AccessToken("test-token")


def _operations(module: Any) -> dict[str, Any]:
    from specagent_runtime import OperationSpec  # noqa: PLC0415

    return {v.id: v for v in vars(module).values() if isinstance(v, OperationSpec)}


async def call_all(package: str, base_url: str, row: SpecRow, limit: int) -> None:
    import httpx  # noqa: PLC0415
    from specagent_runtime import (  # noqa: PLC0415
        ApiConnectionError,
        ApiError,
        ApiTimeoutError,
        ToolResult,
        Toolset,
    )

    module = importlib.import_module(package)
    ops = _operations(importlib.import_module(f"{package}._operations"))
    schemes = module.AsyncClient.security_schemes
    credentials = {name: _credential(s) for name, s in schemes.items()}
    # Prism names what a request broke in its `sl-violations` header (the body of a 400 is
    # the spec's own example): kept from the last response.
    last: dict[str, str] = {}

    async def keep_violations(response: httpx.Response) -> None:
        last["violations"] = response.headers.get("sl-violations", "")

    http = httpx.AsyncClient(event_hooks={"response": [keep_violations]}, timeout=30)
    client = module.AsyncClient(base_url, credentials=credentials, max_retries=0, http_client=http)
    toolset = Toolset.from_package(package, client)
    statuses: Counter[str] = Counter()
    try:
        for spec in toolset.specs[:limit]:
            op = ops.get(spec.operation)
            text = json.dumps(spec.input_schema)
            media = (op.body_media_type or "") if op is not None else ""
            if media.startswith(_UPLOADS) or '"binary"' in text:
                row.skipped_uploads += 1
                continue
            prepared = toolset.prepare(spec.name, arguments(spec.input_schema), None)
            if isinstance(prepared, ToolResult):
                statuses["refused by the argument model"] += 1
                row.violations.append(f"{spec.operation}: argument model: {prepared.message}")
                continue
            kwargs = {n: getattr(prepared.values, n) for n in type(prepared.values).model_fields}
            last.clear()
            try:
                await getattr(client, spec.client_method)(**kwargs)
                status = 200
            except ApiError as exc:
                status = exc.status or 0
                if not status and isinstance(exc, ApiConnectionError | ApiTimeoutError):
                    statuses[f"no answer ({type(exc).__name__})"] += 1  # Prism, not the request
                    continue
                if not status:  # refused by the client itself: nothing was sent
                    statuses[f"not sent ({type(exc).__name__})"] += 1
                    row.violations.append(f"{spec.operation}: not sent: {exc.message}")
                    continue
            row.called += 1
            statuses["2xx" if 200 <= status < 300 else str(status)] += 1
            reason = _prism_reason(last.get("violations", ""))
            if status in _VIOLATION or reason:
                row.violations.append(f"{spec.operation}: HTTP {status}: {reason}")
            else:
                row.conforming += 1
    finally:
        await client.aclose()
        await http.aclose()
    row.statuses = dict(statuses)


def _prism_reason(header: str) -> str:
    """The errors of Prism's `sl-violations` header (warnings, such as a missing optional
    security header, do not make a request non-conforming)."""
    if not header:
        return ""
    try:
        found = json.loads(header)
    except ValueError:
        return header[:300]
    errors = [
        v
        for v in found
        if isinstance(v, dict)
        and v.get("severity") == "Error"
        # Prism also checks the mock response it made up (recursive schemas): not ours.
        and not str(v.get("message", "")).startswith("Response")
        and (v.get("location") or ["request"])[0] != "response"
    ]
    text = "; ".join(f"{'.'.join(map(str, v.get('path', [])))}: {v.get('message')}" for v in errors)
    return text[:300]


def run_spec(spec: Path, package_dir: Path, row: SpecRow, limit: int) -> None:
    port = _free_port()
    log = tempfile.TemporaryFile("w+")
    prism = subprocess.Popen(
        [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        if not _wait_for(port, prism):
            log.seek(0)
            row.note = "prism did not start: " + log.read()[-200:].replace("\n", " ")
            return
        sys.path.insert(0, str(package_dir.parent))
        try:
            asyncio.run(call_all(package_dir.name, f"http://127.0.0.1:{port}", row, limit))
        finally:
            sys.path.remove(str(package_dir.parent))
    finally:
        prism.terminate()
        prism.wait(timeout=10)
        log.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 240) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.3)
    return False


# --- choosing and preparing specs ----------------------------------------------------------------


def choose(count: int, only: Sequence[str]) -> Iterator[Path]:
    """Petstore, then OpenAPI 3.x corpus specs under 300 KB, in name order."""
    yield PETSTORE
    found = 0
    for path in sorted(CORPUS.iterdir()):
        if found >= count or (only and not any(o in path.name for o in only)):
            continue
        if path.stat().st_size > 300_000:
            continue
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
        if re.search(r"""^\s*["']?openapi["']?\s*:\s*["']?3\.""", head, re.M):
            found += 1
            yield path


def package_for(spec: Path, work: Path) -> Path | None:
    """The corpus run's package for `spec` if kept, else one generated now."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from corpus import package_name  # noqa: PLC0415

    name = package_name(spec.name)
    kept = KEPT / spec.name.replace(".", "_") / name
    if (kept / "agent.json").is_file():
        return kept
    target = work / name
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "specagent"),
            "generate",
            str(spec),
            "--out",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return target if done.returncode == 0 else None


def print_table(rows: Sequence[SpecRow]) -> None:
    header = ["spec", "called", "conforming", "400/422", "uploads skipped", "statuses"]
    lines = [header]
    for r in rows:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
        lines.append(
            [
                r.spec,
                str(r.called),
                str(r.conforming),
                str(r.called - r.conforming),
                str(r.skipped_uploads),
                statuses or r.note,
            ]
        )
    called = sum(r.called for r in rows)
    ok = sum(r.conforming for r in rows)
    lines.append(["total", str(called), str(ok), str(called - ok), "", ""])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    share = ok / called if called else 0.0
    print(f"\nconforming requests: {ok}/{called} = {share:.1%}")
    for r in rows:
        for violation in r.violations[:5]:
            print(f"  {r.spec}: {violation}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--specs", type=int, default=40, help="corpus specs besides petstore")
    parser.add_argument("--only", action="append", default=[], help="corpus specs whose name has")
    parser.add_argument("--limit", type=int, default=60, help="operations called per spec")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if not PRISM.exists():
        print(f"Prism is not installed at {PRISM}; see the docstring", file=sys.stderr)
        return 2
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="specagent-conformance-") as folder:
        for spec in choose(args.specs, args.only):
            row = SpecRow(spec.name)
            package_dir = package_for(spec, Path(folder))
            if package_dir is None:
                row.note = "did not generate"
            else:
                run_spec(spec, package_dir, row, args.limit)
            rows.append(row)
            print(f"{spec.name}: {row.conforming}/{row.called} {row.note}", file=sys.stderr)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
