"""Load every corpus spec and report which ones fail, and how long the large ones take.

    uv run python benchmarks/load_corpus.py [CORPUS_DIR] [--verbose] [--only SUBSTRING]

A spec "loads" when `load_spec` + `build_api` give no ERROR diagnostic. Exit status 1 when a
spec makes the loader raise (a bug: bad input must come back as diagnostics).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import traceback
from pathlib import Path

from specagent.ir import Severity
from specagent.loader import build_api, load_spec

DEFAULT_CORPUS = Path("/work/shared/corpus")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true", help="print every diagnostic")
    parser.add_argument("--only", default="", help="only specs whose name contains this")
    args = parser.parse_args()
    files = sorted((args.corpus / "specs").iterdir()) + sorted((args.corpus / "large").iterdir())
    files = [f for f in files if args.only in f.name]
    ok = 0
    crashed = 0
    warning_codes: collections.Counter[str] = collections.Counter()
    failures: list[tuple[str, list[str]]] = []
    timings: list[tuple[str, float, float, int]] = []
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
        if errors:
            failures.append((path.name, errors))
        else:
            ok += 1
    print(f"\n{ok}/{len(files)} specs load without errors; {crashed} crashed")
    for name, errors in failures:
        print(f"\nFAIL {name} ({len(errors)} errors)")
        for line in errors[:3]:
            print("  " + line.replace("\n", "\n  "))
    print("\nwarnings by code:")
    for code, count in warning_codes.most_common():
        print(f"  {code:32} {count}")
    if timings:
        print("\nlarge specs              load s  build s  operations")
        for name, load_s, build_s, operations in timings:
            print(f"  {name[:24]:24} {load_s:6.2f}  {build_s:7.2f}  {operations:10}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
