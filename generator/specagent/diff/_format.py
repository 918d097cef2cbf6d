"""`specagent diff` reports as text (terminals, CI logs) and Markdown (pull-request comments)."""

from __future__ import annotations

import json

from specagent.diff._model import Change, DiffReport, Impact, TaskRef
from specagent.ir import Location

__all__ = ["format_json", "format_markdown", "format_text"]

_HEADINGS = {
    Impact.BREAKING: "Breaking changes",
    Impact.WARNING: "Changes that may alter the agent's behaviour",
    Impact.INFO: "Other changes",
}


def _summary(report: DiffReport) -> str:
    counts = {level: 0 for level in Impact}
    for change in report.changes:
        counts[change.impact] += 1
    if not report.changes:
        return "no changes for the agent"
    parts = [
        f"{counts[Impact.BREAKING]} breaking",
        f"{counts[Impact.WARNING]} to review",
        f"{counts[Impact.INFO]} other",
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
    for level in Impact:
        group = [change for change in report.changes if change.impact is level]
        if not group:
            continue
        lines.append("")
        lines.append(f"{_HEADINGS[level]} ({len(group)}):")
        for change in group:
            lines.append(f"  - {_target(change)}: {change.message}  [{change.kind}]")
            if change.where is not None:
                lines.append(f"      at {change.where}")
            for ref in change.tasks:
                lines.append(f"      used by task `{ref.task}`, step {ref.step} ({ref.where})")
    lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Table-safe Markdown: pipes and line breaks would end the cell or the row."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


# GitHub refuses comments over 65,536 characters; leave room for what CI wraps around it.
MARKDOWN_LIMIT = 60_000
_TARGETS_SHOWN = 6


def _place(where: Location) -> str:
    """A spec pointer without the spec's path (`#/paths/~1pets/get`), an agent-file line as
    is: the path is the CI runner's, the pointer is what the reader looks up."""
    return f"#{where.pointer}" if where.pointer is not None else str(where)


def _rows(changes: list[Change]) -> list[str]:
    """One table row per distinct change; the same change to many tools (a shared schema
    edited) is one row listing the tools."""
    groups: dict[tuple[str, str, tuple[object, ...]], list[Change]] = {}
    for change in changes:
        groups.setdefault((change.kind, change.message, change.tasks), []).append(change)
    rows = []
    for (_, message, refs), members in groups.items():
        targets = [_cell(_target(member)) for member in members]
        place = ", ".join(targets[:_TARGETS_SHOWN])
        if len(targets) > _TARGETS_SHOWN:
            place += f" and {len(targets) - _TARGETS_SHOWN} more"
        elif len(members) == 1 and (where := members[0].where) is not None:
            place += f"<br><sub>{_cell(_place(where))}</sub>"
        tasks = "<br>".join(
            _cell(f"`{ref.task}` step {ref.step} ({ref.where})")
            for ref in refs
            if isinstance(ref, TaskRef)
        )
        rows.append(f"| {place} | {_cell(message)} | {tasks or '-'} |")
    return rows


def format_markdown(report: DiffReport, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: a verdict first, then one table per impact (those that do not
    break anything folded), cut to `limit` characters with a count of what was left out."""
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
    size = sum(len(line) + 1 for line in lines)
    left_out = 0
    for level in Impact:
        group = [change for change in report.changes if change.impact is level]
        if not group:
            continue
        folded = level is not Impact.BREAKING
        heading = f"{_HEADINGS[level]} ({len(group)})"
        section = ["", f"<details><summary>{heading}</summary>" if folded else f"#### {heading}"]
        section += ["", "| where | change | tasks affected |", "| --- | --- | --- |"]
        closing = ["", "</details>"] if folded else []
        rows = _rows(group)
        kept = 0
        size += sum(len(line) + 1 for line in section + closing)
        for row in rows:
            if size + len(row) + 1 > limit - 200:
                break
            section.append(row)
            size += len(row) + 1
            kept += 1
        left_out += len(rows) - kept
        if kept:
            lines += section + closing
    if left_out:
        lines += [
            "",
            f"_{left_out} more rows not shown here (comment size limit); "
            "`specagent diff --format text` prints them all._",
        ]
    return "\n".join(lines) + "\n"


def format_json(report: DiffReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False, sort_keys=False)
