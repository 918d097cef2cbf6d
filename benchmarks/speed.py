"""How fast specagent is, each figure next to a baseline measured in the same run.

    uv run --group bench python benchmarks/speed.py [--only stripe] [--json FILE]

* Generation of each `large/` spec: `specagent generate` versus `openapi-python-client
  generate` on the same file, wall time and peak memory of each (their crashes are reported;
  it needs `literal_enums: true` for Stripe, tried when the plain run fails).
* Cold start of the generated Stripe and GitHub packages: import, client, `Toolset` and its
  tool list in a fresh process (what a webhook worker pays before its first call), median of
  `--runs` runs alternated with the baseline `python -c "import httpx, pydantic"` and a bare
  interpreter, with bytecode caches written as a deployed service has them.
* One tool call through the runtime versus raw httpx: `tool_call_overhead.py`, run as is.

The machine is shared, so figures are wall times of one run; ratios against a baseline run
alongside are what to compare between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LARGE = ROOT.parent / "shared" / "corpus" / "large"
BIN = Path(sys.executable).parent
_IMPORTED = ("stripe", "github")  # the packages whose cold start is measured


@dataclass
class Run:
    seconds: float
    peak_mb: float
    ok: bool
    note: str = ""  # the last line of stderr on failure


@dataclass
class Generation:
    spec: str
    specagent: Run
    baseline: Run  # openapi-python-client

    def ratio(self) -> str:
        if not (self.specagent.ok and self.baseline.ok):
            return "-"
        return f"{self.specagent.seconds / self.baseline.seconds:.2f}"


@dataclass
class ColdStart:
    package: str
    tools: int
    seconds: float  # median: interpreter start, import, client, tools listed
    baseline_seconds: float  # median: `python -c "import httpx, pydantic"`
    bare_seconds: float  # median: `python -c pass`
    peak_mb: float
    loaded: str  # which of httpx, pydantic's models, _operations, models the cold start loaded


def timed(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Wall time and peak resident memory of `command` itself (from wait4).

    Output goes to files, not pipes: a child that fills a pipe nobody reads would hang.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        text = err.read() or out.read()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "rror" in line] or lines[-1:]
    note = "" if code == 0 else (errors[0][:160] if errors else f"exit status {code}")
    return Run(seconds, usage.ru_maxrss / 1024, code == 0, note)


def generation(spec: Path, work: Path) -> tuple[Generation, Path]:
    ours_dir = work / "ours" / _package(spec)
    ours = timed([str(BIN / "specagent"), "generate", str(spec), "--out", str(ours_dir)], cwd=work)
    theirs_dir = work / "theirs"
    base = [str(BIN / "openapi-python-client"), "generate", "--path", str(spec)]
    base += ["--output-path", str(theirs_dir), "--overwrite", "--meta", "none"]
    theirs = timed(base, cwd=work)
    if not theirs.ok:
        config = work / "literal_enums.yaml"
        config.write_text("literal_enums: true\n", encoding="utf-8")
        retry = timed([*base, "--config", str(config)], cwd=work)
        first = theirs.note
        theirs = retry
        theirs.note = f"plain run failed ({first}); " + (
            "ok with literal_enums: true" if retry.ok else f"with literal_enums: {retry.note}"
        )
    return Generation(spec.name, ours, theirs), ours_dir


def _package(spec: Path) -> str:
    return spec.name.split(".")[0].replace("-", "_") + "_agent"


_LIST_TOOLS = """
import importlib, sys
from specagent_runtime import Toolset
package = importlib.import_module(sys.argv[1])
tools = Toolset.from_package(sys.argv[1], package.AsyncClient()).openai_tools(None)
print(len(tools))
"""
# The same, then which heavy modules it loaded (a lazy module not yet used does not count).
_LOADED = (
    _LIST_TOOLS
    + """
names = ["httpx", "pydantic.main", sys.argv[1] + "._operations", sys.argv[1] + ".models"]
print(",".join(n for n in names if type(sys.modules.get(n)).__name__ == "module") or "none")
"""
)
_BASELINE = "import httpx, pydantic"


def cold_start(package_dir: Path, runs: int) -> ColdStart:
    # Bytecode is written and used (PYTHONDONTWRITEBYTECODE would make every run compile).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(package_dir.parent)
    name = package_dir.name
    cwd = package_dir.parent
    commands = {
        "package": [sys.executable, "-c", _LIST_TOOLS, name],
        "baseline": [sys.executable, "-c", _BASELINE],
        "bare": [sys.executable, "-c", "pass"],
    }
    for command in commands.values():  # write the bytecode, warm the disk cache
        timed(command, cwd=cwd, env=env)
    found: dict[str, list[Run]] = {key: [] for key in commands}
    for _ in range(runs):  # alternated, so a burst of load hits all three alike
        for key, command in commands.items():
            found[key].append(timed(command, cwd=cwd, env=env))
    listed = subprocess.run(
        [sys.executable, "-c", _LOADED, name],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = listed.stdout.split() if listed.returncode == 0 else ["0", "failed"]

    def median(key: str) -> float:
        return statistics.median(r.seconds for r in found[key])

    return ColdStart(
        name,
        int(lines[0]),
        median("package"),
        median("baseline"),
        median("bare"),
        max(r.peak_mb for r in found["package"]),
        lines[-1],
    )


def tool_call() -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "tool_call_overhead.py"), "--calls", "500"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else f"failed: {done.stderr[-400:]}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], help="large specs whose name has")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--no-call", action="store_true", help="skip the tool call benchmark")
    parser.add_argument("--runs", type=int, default=11, help="cold start runs (median)")
    args = parser.parse_args(argv)
    specs = [
        s for s in sorted(LARGE.iterdir()) if not args.only or any(o in s.name for o in args.only)
    ]
    generations: list[Generation] = []
    starts: list[ColdStart] = []
    with tempfile.TemporaryDirectory(prefix="specagent-speed-") as folder:
        for spec in specs:
            work = Path(folder) / spec.name.replace(".", "_")
            work.mkdir()
            found, package_dir = generation(spec, work)
            generations.append(found)
            print(
                f"{spec.name}: specagent {found.specagent.seconds:.1f} s, "
                f"openapi-python-client {found.baseline.seconds:.1f} s",
                file=sys.stderr,
            )
            if found.specagent.ok and any(n in spec.name for n in _IMPORTED):
                starts.append(cold_start(package_dir, args.runs))
    print_tables(generations, starts)
    call = "" if args.no_call else tool_call()
    if call:
        print("\none tool call (tool_call_overhead.py --calls 500)\n" + call)
    if args.json:
        data = {
            "generation": [asdict(g) for g in generations],
            "cold_start": [asdict(s) for s in starts],
            "tool_call": call,
        }
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


def print_tables(generations: Sequence[Generation], starts: Sequence[ColdStart]) -> None:
    print("generation (wall s, peak MB of the generator process)")
    header = ["spec", "specagent s", "MB", "openapi-python-client s", "MB", "ratio", "note"]
    rows = [
        [
            g.spec,
            _seconds(g.specagent),
            f"{g.specagent.peak_mb:.0f}",
            _seconds(g.baseline),
            f"{g.baseline.peak_mb:.0f}",
            g.ratio(),
            "; ".join(n for n in (g.specagent.note, g.baseline.note) if n),
        ]
        for g in generations
    ]
    _print(header, rows)
    if starts:
        print("\ncold start: import, client, Toolset, tool list in a fresh process (median ms)")
        header = ["package", "tools", "toolset ms", "import httpx, pydantic ms", "ratio"]
        header += ["bare python ms", "peak MB", "loaded"]
        rows = [
            [
                s.package,
                str(s.tools),
                f"{s.seconds * 1000:.0f}",
                f"{s.baseline_seconds * 1000:.0f}",
                f"{s.seconds / s.baseline_seconds:.2f}",
                f"{s.bare_seconds * 1000:.0f}",
                f"{s.peak_mb:.0f}",
                s.loaded,
            ]
            for s in starts
        ]
        _print(header, rows)


def _seconds(run: Run) -> str:
    return f"{run.seconds:.1f}" if run.ok else f"failed ({run.seconds:.1f})"


def _print(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    lines = [list(header), *[list(r) for r in rows]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
