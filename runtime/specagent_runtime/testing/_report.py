"""What a run of conversation tests prints, and the JUnit XML a CI system shows.

The table has one row per test (trials, passed, pass^k, the first failure with its turn),
then the failures in full with the transcript of the first failing trial: a red CI job should
be readable without running anything again.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from specagent_runtime.testing._runner import SuiteResult, TestResult

__all__ = ["format_report", "junit_xml", "write_junit"]

_FAILURE_WIDTH = 70
_NAME_WIDTH = 72
_TRANSCRIPT_LINES = 60


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _label(result: TestResult, width: int = _NAME_WIDTH) -> str:
    """`file:line name` in `width`: the place whole, a long name cut in its middle, since the
    names of one task's tests share their start and differ at the end ("..., confirmed",
    "..., declined")."""
    where, name = result.test.where, result.name
    room = max(width - len(where) - 1, 12)
    if len(name) > room:
        head = (room - 1) // 2
        name = name[:head] + "…" + name[len(name) - (room - 1 - head) :]
    return f"{where} {name}"


def format_report(suite: SuiteResult) -> str:
    k = suite.trials
    header = ("test", "trials", "passed", f"pass^{k}", "first failure")
    rows: list[tuple[str, ...]] = []
    for result in suite.results:
        if result.skipped is not None:
            rows.append((_label(result), "-", "-", "-", f"skipped: {result.skipped}"))
            continue
        failure = result.first_failure
        rows.append(
            (
                _label(result),
                str(len(result.trials)),
                str(result.passed),
                f"{result.pass_hat(k):.2f}",
                _cut(str(failure), _FAILURE_WIDTH) if failure else "",
            )
        )
    name_width = max(len(header[0]), *(len(row[0]) for row in rows))
    lines = []
    for row in (header, *rows):
        name = row[0].ljust(name_width)
        lines.append(f"{name}  {row[1]:>6}  {row[2]:>6}  {row[3]:>6}  {row[4]}".rstrip())
    lines.append("")
    lines.append(summary_line(suite))
    failed = [r for r in suite.results if r.skipped is None and not r.ok]
    for result in failed:
        lines.append("")
        lines.append(f"FAILED {result.test.file}:{result.test.line} {result.name}")
        for trial in result.trials:
            for failure in trial.failures:
                prefix = f"trial {trial.number}, " if len(result.trials) > 1 else ""
                lines.append(f"  {prefix}{failure}")
        first = next(trial for trial in result.trials if not trial.passed)
        if first.transcript:
            title = (
                f"transcript of trial {first.number}" if len(result.trials) > 1 else "transcript"
            )
            lines.append(f"  {title}:")
            shown = first.transcript[:_TRANSCRIPT_LINES]
            lines.extend(f"    {line}" for line in shown)
            if len(first.transcript) > len(shown):
                lines.append(f"    ... {len(first.transcript) - len(shown)} more lines")
    return "\n".join(lines)


def summary_line(suite: SuiteResult) -> str:
    ran = suite.ran
    passed = sum(1 for r in ran if r.ok)
    skipped = len(suite.results) - len(ran)
    parts = [f"{len(suite.results)} test(s): {passed} passed, {len(ran) - passed} failed"]
    if skipped:
        parts.append(f"{skipped} skipped")
    text = ", ".join(parts) + f" ({suite.mode}, {suite.seconds:.1f} s)"
    if ran:
        curve = "  ".join(f"pass^{k} {suite.pass_hat(k):.2f}" for k in range(1, suite.trials + 1))
        text += f"; {curve}"
    return text


def junit_xml(suite: SuiteResult) -> str:
    ran = suite.ran
    failures = sum(1 for r in ran if not r.ok)
    root = ET.Element(
        "testsuites", name="specagent test", tests=str(len(suite.results)), failures=str(failures)
    )
    by_file: dict[str, list[TestResult]] = {}
    for result in suite.results:
        by_file.setdefault(str(result.test.file), []).append(result)
    for file, results in by_file.items():
        element = ET.SubElement(
            root,
            "testsuite",
            name=file,
            tests=str(len(results)),
            failures=str(sum(1 for r in results if r.skipped is None and not r.ok)),
            skipped=str(sum(1 for r in results if r.skipped is not None)),
            time=f"{sum(t.seconds for r in results for t in r.trials):.3f}",
        )
        for result in results:
            _testcase(element, result, suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(parent: ET.Element, result: TestResult, suite: SuiteResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        classname=result.test.file.stem,
        name=result.name,
        file=str(result.test.file),
        line=str(result.test.line),
        time=f"{sum(t.seconds for t in result.trials):.3f}",
    )
    if result.skipped is not None:
        ET.SubElement(case, "skipped", message=result.skipped)
        return
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("mode", suite.mode),
        ("trials", str(len(result.trials))),
        ("passed", str(result.passed)),
        (f"pass^{suite.trials}", f"{result.pass_hat(suite.trials):.4f}"),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    failure = result.first_failure
    if failure is None:
        return
    details = [f"trial {f.trial}: {f}" for trial in result.trials for f in trial.failures]
    first = next(trial for trial in result.trials if not trial.passed)
    details.extend(["", f"transcript of trial {first.number}:", *first.transcript])
    element = ET.SubElement(case, "failure", message=_cut(str(failure), 500), type="AssertionError")
    element.text = "\n".join(details)


def write_junit(suite: SuiteResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(suite), encoding="utf-8")
