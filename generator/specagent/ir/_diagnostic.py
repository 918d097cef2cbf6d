"""Diagnostics as values: what went wrong, where, and what to do about it.

Every stage collects them instead of raising, so one run reports every problem; the CLI sorts
and prints them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs, reported with the others at the end.

    `where` is a JSON pointer into the spec (``openapi.yaml#/paths/~1pet/get``) or a
    ``file:line`` in the agent file; `hint` is the suggestion shown after the message.
    """

    code: str
    severity: Severity
    message: str
    where: str
    hint: str = ""

    def blocks(self, *, strict: bool = False) -> bool:
        """Whether it stops generation: an error does, a warning only under `--strict`."""
        return self.severity is Severity.ERROR or strict

    def render(self) -> str:
        text = f"{self.severity.value}[{self.code}] {self.where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
