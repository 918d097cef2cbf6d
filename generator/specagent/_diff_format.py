"""`specagent diff` reports as text (terminals, CI logs) and Markdown (pull-request comments)."""

from __future__ import annotations

import json

from specagent._diff_model import Change, DiffReport, Severity

__all__ = ["format_json", "format_markdown", "format_text"]

_HEADINGS = {
    Severity.BREAKING: "Breaking changes",
    Severity.WARNING: "Changes that may alter the agent's behaviour",
    Severity.INFO: "Other changes",
}


def _summary(report: DiffReport) -> str:
    counts = {level: 0 for level in Severity}
    for change in report.changes:
        counts[change.severity] += 1
    if not report.changes:
        return "no changes for the agent"
    parts = [
        f"{counts[Severity.BREAKING]} breaking",
        f"{counts[Severity.WARNING]} to review",
        f"{counts[Severity.INFO]} other",
    ]
    return ", ".join(parts)


def _target(change: Change) -> str:
    if change.tool:
        return f"tool `{change.tool}`"
    if change.operation:
        return f"operation `{change.operation}`"
    if change.kind.startswith("task."):
        return f"task `{change.subject}`" if change.subject else "tasks"
    if change.kind.startswith("agent."):
        return "agent file"
    return "API"


def format_text(report: DiffReport) -> str:
    lines = [f"specagent diff: {report.old} -> {report.new}"]
    for level in Severity:
        group = [change for change in report.changes if change.severity is level]
        if not group:
            continue
        lines.append("")
        lines.append(f"{_HEADINGS[level]} ({len(group)}):")
        for change in group:
            lines.append(f"  - {_target(change)}: {change.message}  [{change.kind}]")
            if change.where:
                lines.append(f"      at {change.where}")
            for ref in change.tasks:
                lines.append(f"      used by task `{ref.task}`, step {ref.step} ({ref.where})")
    lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Table-safe Markdown: pipes and line breaks would end the cell or the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def format_markdown(report: DiffReport) -> str:
    """A pull-request comment: a verdict first, then one table per severity."""
    lines = [f"### specagent diff: {_cell(report.old)} → {_cell(report.new)}", ""]
    if not report.changes:
        lines.append("No changes for the agent.")
        return "\n".join(lines) + "\n"
    breaking = len(report.breaking)
    if breaking:
        plural = "s" if breaking != 1 else ""
        lines.append(f"**{breaking} breaking change{plural}** for the agent ({_summary(report)}).")
    else:
        lines.append(f"No breaking changes for the agent ({_summary(report)}).")
    for level in Severity:
        group = [change for change in report.changes if change.severity is level]
        if not group:
            continue
        lines += ["", f"#### {_HEADINGS[level]} ({len(group)})", ""]
        lines.append("| where | change | tasks affected |")
        lines.append("| --- | --- | --- |")
        for change in group:
            tasks = "<br>".join(
                _cell(f"`{ref.task}` step {ref.step} ({ref.where})") for ref in change.tasks
            )
            place = _cell(_target(change))
            if change.where:
                place += f"<br><sub>{_cell(change.where)}</sub>"
            lines.append(f"| {place} | {_cell(change.message)} | {tasks or '-'} |")
    return "\n".join(lines) + "\n"


def format_json(report: DiffReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False, sort_keys=False)
