"""Diagnostics as values: what went wrong, where, and what to do about it.

Every stage collects them instead of raising, so one run reports every problem; the CLI sorts
and prints them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from specagent._jsonschema import to_pointer


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is: a JSON pointer into a spec, a line (and column) of a file, or only a
    name (a file, a folder, a command-line option such as `--package`).

    `key` is the path of the key in the agent file (`tools.overrides.getUserByName.bind`) when
    the place is one; it is data for tools, the rendered text names the line.
    """

    file: str  # as given: the spec's or the agent file's name, a folder, an option
    pointer: str | None = None  # a JSON pointer into `file` ("" is the whole document)
    line: int = 0  # 1-based; 0: no line
    column: int = 0  # 1-based; 0: no column
    key: str = ""

    @classmethod
    def in_spec(cls, file: str, path: Sequence[str]) -> Location:
        """The place at `path` (unescaped tokens) in the spec `file`."""
        return cls(file, pointer=to_pointer(path))

    @classmethod
    def at_line(cls, file: str, line: int, column: int = 0, *, key: str = "") -> Location:
        return cls(file, line=line, column=column, key=key)

    def sort_key(self) -> tuple[str, int, int, str]:
        """File, then line and column (numerically), then pointer. Places without a line sort
        before the numbered lines of their file; pointers sort as text, which keeps siblings
        in the spec together."""
        return (self.file, self.line, self.column, self.pointer or "")

    def __str__(self) -> str:
        """`openapi.yaml#/paths/~1pet/get`, `agent.yaml:12`, `openapi.yaml:3:7`, `--package`."""
        if self.pointer is not None:
            return f"{self.file}#{self.pointer}"
        if self.line:
            return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")
        return self.file


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs, reported with the others at the end.

    `location` is a place in the spec or the agent file (`where` is its text, as shown);
    `hint` is the suggestion shown after the message.
    """

    code: str
    severity: Severity
    message: str
    location: Location
    hint: str = ""

    @property
    def where(self) -> str:
        return str(self.location)

    def blocks(self, *, strict: bool = False) -> bool:
        """Whether it stops generation: an error does, a warning only under `--strict`."""
        return self.severity is Severity.ERROR or strict

    def render(self) -> str:
        text = f"{self.severity.value}[{self.code}] {self.where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
