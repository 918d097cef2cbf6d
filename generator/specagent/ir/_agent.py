"""The agent file as read: which operations become tools, per-tool overrides, instructions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Selection:
    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()  # lower case

    def is_empty(self) -> bool:
        return not (self.operations or self.tags or self.methods)


@dataclass(frozen=True, slots=True)
class ToolOverride:
    operation_id: str
    name: str | None = None
    description: str | None = None
    confirm: bool | None = None
    # parameter (wire name, or flat argument name) -> identity field, e.g. {"email": "email"}
    bind: tuple[tuple[str, str], ...] = ()
    # Response shaping: dotted field paths the model may see (empty: all) and must not see.
    expose: tuple[str, ...] = ()
    redact: tuple[str, ...] = ()
    where: str = ""  # file:line of the override, for diagnostics


@dataclass(frozen=True, slots=True)
class AgentConfig:
    name: str = ""
    instructions: str = ""
    include: Selection = field(default_factory=Selection)
    exclude: Selection = field(default_factory=Selection)
    overrides: tuple[ToolOverride, ...] = ()
    source: str = ""  # the agent file's name as given, for diagnostics and the manifest
    # Key path ("tools.include.operations[1]") -> "file:line", so checks against the spec can
    # point at the exact entry in the agent file.
    locations: Mapping[str, str] = field(default_factory=dict)
    # The raw `tasks:` mapping, kept as written until the tasks compiler exists.
    tasks: Mapping[str, Any] = field(default_factory=dict)
    # The raw `context:` mapping; `specagent.tasks` reads and checks it with line numbers.
    context: Mapping[str, Any] = field(default_factory=dict)
