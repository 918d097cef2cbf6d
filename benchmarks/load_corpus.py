"""Load every corpus spec and report which ones fail, and how long the large ones take.

    uv run python benchmarks/load_corpus.py [CORPUS_DIR] [--verbose] [--only SUBSTRING]
                                            [--validate]

A spec "loads" when `load_spec` + `build_api` give no ERROR diagnostic. Exit status 1 when a
spec makes the loader raise (a bug: bad input must come back as diagnostics). `--validate`
also checks each normalised document with openapi-pydantic's OpenAPI 3.1 models (slow on the
large specs) and lists the documents it still rejects.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from specagent.ir import Severity
from specagent.loader import build_api, load_spec

DEFAULT_CORPUS = Path("/work/shared/corpus")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true", help="print every diagnostic")
    parser.add_argument("--only", default="", help="only specs whose name contains this")
    parser.add_argument("--validate", action="store_true", help="check with openapi-pydantic")
    args = parser.parse_args()
    files = sorted((args.corpus / "specs").iterdir()) + sorted((args.corpus / "large").iterdir())
    files = [f for f in files if args.only in f.name]
    ok = 0
    crashed = 0
    warning_codes: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, list[str]]] = []
    timings: list[tuple[str, float, float, int]] = []
    invalid: list[tuple[str, str]] = []
    for path in files:
        started = time.perf_counter()
        try:
            spec = load_spec(path)
            loaded = time.perf_counter()
            api = build_api(spec)
        except Exception:
            crashed += 1
            print(f"CRASH {path.name}")
            traceback.print_exc()
            continue
        built = time.perf_counter()
        if path.parent.name == "large":
            timings.append((path.name, loaded - started, built - loaded, len(api.operations)))
        errors = [d.render() for d in api.diagnostics if d.severity is Severity.ERROR]
        for diagnostic in api.diagnostics:
            if diagnostic.severity is Severity.WARNING:
                warning_codes[diagnostic.code] += 1
        if args.verbose:
            for diagnostic in api.diagnostics:
                print(f"{path.name}: {diagnostic.render()}")
        if args.validate and spec.document:
            problem = _validate(spec.document)
            if problem:
                invalid.append((path.name, problem))
        if errors:
            failures.append((path.name, errors))
        else:
            ok += 1
    print(f"\n{ok}/{len(files)} specs load without errors; {crashed} crashed")
    for name, errors in failures:
        print(f"\nFAIL {name} ({len(errors)} errors)")
        for line in errors[:3]:
            print("  " + line.replace("\n", "\n  "))
    if args.validate:
        print(f"\n{len(invalid)} normalised documents rejected by openapi-pydantic")
        for name, problem in invalid:
            print(f"  {name}: {problem}")
    print("\nwarnings by code:")
    for code, count in warning_codes.most_common():
        print(f"  {code:32} {count}")
    if timings:
        print("\nlarge specs              load s  build s  operations")
        for name, load_s, build_s, operations in timings:
            print(f"  {name[:24]:24} {load_s:6.2f}  {build_s:7.2f}  {operations:10}")
    return 1 if crashed else 0


def _validate(document: dict[str, Any]) -> str:
    """openapi-pydantic's verdict on a normalised document ("" when valid)."""
    from openapi_pydantic.v3.v3_1 import OpenAPI  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        OpenAPI.model_validate({**document, "openapi": "3.1.0"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in first["loc"])
        return f"{exc.error_count()} errors, first: {first['msg']} at {where[:120]}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
