"""The pure entry point: inputs in, a map of files and all diagnostics out.

Nothing here touches the output folder; the CLI alone writes, which is what lets `generate`,
`check` and the tests share one code path and lets the CLI swap a package in atomically.
Every stage's problems are collected before stopping, so one run reports all of them.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from specagent import _names, ir
from specagent._diagnostics import blocking, error, sort_diagnostics
from specagent._manifest import RECORDED_OPTIONS
from specagent.agentfile import AgentFile, check_agent_against_api, load_agent_file
from specagent.ir import Code

if TYPE_CHECKING:
    from specagent.loader import LoadedSpec

__all__ = [
    "GenerateOptions",
    "GenerateResult",
    "Planned",
    "check_package_name",
    "generate",
    "load_inputs",
    "plan_inputs",
]

# Importing a generated package with one of these names would shadow a module it needs.
_TAKEN_NAMES = frozenset({"specagent", "specagent_runtime", "pydantic", "httpx", "openai"})


@dataclass(frozen=True)
class GenerateOptions:
    package: str | None = None  # import name; default: the output folder's name
    strict: bool = False  # warnings stop generation like errors
    allow_remote_refs: bool = False  # follow `$ref`s to http(s) URLs
    allow_outside_refs: bool = False  # follow `$ref`s to files outside the spec's folder
    # Check the inputs and plan, but render nothing: for callers that already know they will
    # not write (the CLI when the output folder is refused) yet want every problem reported.
    check_only: bool = False

    def recorded(self) -> dict[str, object]:
        """The options the manifest records, so `specagent check` regenerates identically
        (switches only: no paths, no times)."""
        return {name: getattr(self, name) for name in RECORDED_OPTIONS}


@dataclass(frozen=True)
class GenerateResult:
    files: dict[PurePosixPath, str]  # relative to the package's folder; empty when not ok
    diagnostics: tuple[ir.Diagnostic, ...]  # sorted by place
    package: str
    strict: bool = False
    operations: int = 0  # operations in the spec
    tools: int = 0  # tools the agent offers

    @property
    def ok(self) -> bool:
        """No errors (with `strict`, no warnings either)."""
        return not blocking(self.diagnostics, strict=self.strict)


def check_package_name(name: str, option: str) -> list[ir.Diagnostic]:
    """The package's import name must be a plain ASCII identifier that shadows nothing.

    `option` names the origin (`--package` or `--out`) so the user knows which flag to change.
    """
    where = ir.Location(option)
    suggestion = _package_like(name)
    if name.isascii() and name.isidentifier() and not keyword.iskeyword(name):
        if name != name.lower():
            return [
                error(
                    Code.PACKAGE_NAME,
                    where,
                    f"package name `{name}` must be lower case (Python packages are)",
                    f"pass `--package {_package_like(name)}`",
                )
            ]
        if name in sys.stdlib_module_names or name in _TAKEN_NAMES:
            return [
                error(
                    Code.PACKAGE_NAME,
                    where,
                    f"package name `{name}` would shadow the module `{name}` it must import",
                    f"choose another name, e.g. `--package {name}_agent`",
                )
            ]
        return []
    if keyword.iskeyword(name):
        reason = "is a Python keyword"
        suggestion = f"{name}_agent"
    elif not name:
        reason = "is empty"
        suggestion = "my_agent"
    elif not name.isascii():
        reason = "is not ASCII"
    else:
        reason = "is not a valid Python identifier"
    if not suggestion.isidentifier() or keyword.iskeyword(suggestion):
        suggestion = "my_agent"
    hint = f"pass `--package {suggestion}`, or name the output folder `{suggestion}`"
    message = f"package name `{name}` {reason}; it must be importable"
    return [error(Code.PACKAGE_NAME, where, message, hint)]


def _package_like(name: str) -> str:
    """A valid package name close to `name`, for hints (`2nd-agent` -> `agent_2nd_agent`)."""
    snake = _names.snake_case(name)
    if snake[:1].isdigit():
        return f"agent_{snake}"
    return _names.python_name(name, fallback="agent")


def generate(
    spec: str | Path,
    agent_file: Path | None,
    out_name: str,
    options: GenerateOptions,
    progress: Callable[[str], None] | None = None,
) -> GenerateResult:
    """Load, check, plan and render; `progress` is told the name of each stage as it starts.

    `out_name` is the output folder's name, the package name unless `options.package` is set.
    """
    # Imported here: they pull in datamodel-code-generator and friends, which `--help` and
    # agent file checks do not need.
    from specagent.loader import build_api  # noqa: PLC0415
    from specagent.plan import make_plan  # noqa: PLC0415
    from specagent.render import RenderError, RenderOptions, render  # noqa: PLC0415
    from specagent.tasks import compile_agent  # noqa: PLC0415

    report: Callable[[str], None] = progress or _silent
    package = options.package if options.package is not None else out_name
    where = "--package" if options.package is not None else "--out"
    found: list[ir.Diagnostic] = check_package_name(package, where)

    def stop() -> GenerateResult:
        located = loaded.with_lines(found) if loaded is not None else found
        return GenerateResult({}, tuple(sort_diagnostics(located)), package, options.strict)

    loaded, agent, problems = load_inputs(spec, agent_file, options, report)
    found.extend(problems)
    if loaded is None:
        if not blocking(found):  # never an empty package reported as done
            found.append(error(Code.SPEC_EMPTY, ir.Location(str(spec)), "the spec is empty"))
        return stop()

    report("building")
    api = build_api(loaded)
    found.extend(api.diagnostics)
    if not api.operations:
        # A package without operations has no client methods and no tools: nothing an agent
        # could use, so it is an error here (diff and tools still read such a spec).
        found = [d for d in found if d.code is not Code.SPEC_NO_PATHS]
        found.append(_no_operations(loaded))
        return stop()
    # The config holds only the valid parts of a faulty agent file, so checking it against the
    # spec adds real problems, not echoes: the user sees everything in one run.
    found.extend(check_agent_against_api(agent.config, api))
    if blocking(found, strict=options.strict):
        return stop()

    report("planning")
    plan = make_plan(api, agent.config, package)
    found.extend(plan.diagnostics)
    tasks: ir.TaskProgram | None = None
    if agent.declares_tasks:
        tasks, task_problems = compile_agent(agent, plan)
        found.extend(task_problems)
    if blocking(found, strict=options.strict) or options.check_only:
        return stop()

    report("rendering")
    render_options = RenderOptions(
        sources=dict(loaded.sources),
        agent_source=agent.data,
        options=options.recorded(),
        tasks=tasks if tasks is not None and (tasks.tasks or tasks.context) else None,
    )
    try:
        rendered = render(plan, render_options)
    except RenderError as exc:
        found.append(
            error(
                Code.RENDER_FAILED,
                ir.Location(loaded.source_name),
                f"the package could not be rendered: {exc}",
                "if the spec looks valid, this is a specagent bug: please report it",
            )
        )
        return stop()
    return GenerateResult(
        files=_relative_to_package(rendered, package),
        diagnostics=tuple(sort_diagnostics(loaded.with_lines(found))),
        package=package,
        strict=options.strict,
        operations=len(api.operations),
        tools=len(plan.tools),
    )


def _no_operations(loaded: LoadedSpec) -> ir.Diagnostic:
    webhooks = loaded.document.get("webhooks")
    if isinstance(webhooks, dict) and webhooks:
        what = (
            f"describes only webhooks ({len(webhooks)}: requests the API sends to you), no "
            "operations the agent could call"
        )
    else:
        what = "has no operations (no `get`, `post`, ... under `paths`)"
    return error(
        Code.SPEC_NO_OPERATIONS,
        ir.Location.in_spec(loaded.source_name, ("paths",)),
        f"the spec {what}, so the package would have no client methods and no tools",
        "is this the right spec? specagent needs the API's `paths`, each with its operations",
    )


def load_inputs(
    spec: str | Path,
    agent_file: Path | None,
    options: GenerateOptions,
    report: Callable[[str], None],
) -> tuple[LoadedSpec | None, AgentFile, list[ir.Diagnostic]]:
    """The loading stage every command shares: the spec and the agent file (read once, for the
    whole run), with all their problems; the spec is None when it is too broken to build an
    API from."""
    from specagent.loader import load_spec  # noqa: PLC0415

    report("loading")
    loaded = load_spec(
        spec,
        strict=options.strict,
        allow_remote_refs=options.allow_remote_refs,
        allow_outside_refs=options.allow_outside_refs,
    )
    agent = load_agent_file(agent_file) if agent_file is not None else _NO_AGENT_FILE
    found = [*loaded.diagnostics, *agent.problems]
    if blocking(loaded.diagnostics, strict=False) or not loaded.document:
        return None, agent, loaded.with_lines(found)
    return loaded, agent, found


_NO_AGENT_FILE = AgentFile("", ir.AgentConfig())


@dataclass(frozen=True)
class Planned:
    """The plan, or None when the inputs are too broken to make one.

    `problems` are faults of the spec or the agent file on their own (a diff cannot run on
    them); `agent_problems` are the agent file's references that this spec does not have,
    which `diff` reports as changes rather than as bad input. `agent` is the agent file as read
    (None without one), for the tasks.
    """

    plan: ir.Plan | None
    problems: tuple[ir.Diagnostic, ...]
    agent_problems: tuple[ir.Diagnostic, ...] = ()
    agent: AgentFile | None = field(default=None, repr=False)

    def blocking(self, *, strict: bool, agent_too: bool = True) -> bool:
        found = [*self.problems, *(self.agent_problems if agent_too else ())]
        return self.plan is None or bool(blocking(found, strict=strict))


def plan_inputs(
    spec: str | Path,
    agent_file: Path | None,
    package: str,
    options: GenerateOptions,
    progress: Callable[[str], None] | None = None,
) -> Planned:
    """Load a spec and an agent file up to the plan, for what needs no rendering.

    `specagent tools` and `specagent diff` look at what the model gets (tools, argument
    schemas, tasks), which the plan holds; rendering models would cost them most of their time
    on large specs. The stages and their diagnostics are those of `generate`, so a bad input
    reads the same in every command.
    """
    from specagent.loader import build_api  # noqa: PLC0415  # heavy imports
    from specagent.plan import make_plan  # noqa: PLC0415

    report = progress or _silent
    loaded, agent, found = load_inputs(spec, agent_file, options, report)
    read = agent if agent_file is not None else None
    if loaded is None:
        return Planned(None, tuple(sort_diagnostics(found)), agent=read)
    report("building")
    api = build_api(loaded)
    found.extend(api.diagnostics)
    against = check_agent_against_api(agent.config, api)
    report("planning")
    plan = make_plan(api, agent.config, package)
    found.extend(plan.diagnostics)
    return Planned(
        plan,
        tuple(sort_diagnostics(loaded.with_lines(found))),
        tuple(sort_diagnostics(against)),
        agent=read,
    )


def _silent(_stage: str) -> None:
    return None


def _relative_to_package(files: dict[PurePosixPath, str], package: str) -> dict[PurePosixPath, str]:
    """The renderer keys files `<package>/<file>`; the output folder is the package itself."""
    relative = {}
    for path, text in files.items():
        parts = path.parts
        relative[PurePosixPath(*parts[1:]) if parts[:1] == (package,) else path] = text
    return dict(sorted(relative.items()))
