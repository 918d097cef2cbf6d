"""From a plan to the generated package, as a map of file paths to file contents.

`render` is pure: it reads templates and writes only to a private temporary directory (ruff
works on files), so the CLI, `specagent check` and the tests can all compare its result with
what is on disk.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath, PurePosixPath
from typing import Any

from specagent import ir
from specagent.render import _tasks, _views
from specagent.render._format import FormatError, format_python
from specagent.render._models import Models, ModelsError, build_models
from specagent.render._templates import LiteralError, render_template
from specagent.render._tool_schema import agent_json, manifest_json, task_tools

__all__ = [
    "RenderError",
    "RenderOptions",
    "agent_json",
    "render",
    "render_tasks",
    "task_tools",
]


class RenderError(RuntimeError):
    """The package could not be produced; the message says which step and why."""


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Inputs of the manifest and switches of the renderer.

    `sources` maps each spec input file's relative name to its bytes and `agent_source` holds
    the agent file's bytes (only digests are written); `options` are the generation options
    worth recording, such as `{"strict": False}`. `format` may be turned off to look at the
    raw template output. `tasks` is the agent file's compiled task program (None: no tasks,
    so no `tasks.py` and no `tasks` list in agent.json).
    """

    sources: Mapping[str, bytes] = field(default_factory=dict)
    agent_source: bytes | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    format: bool = True
    tasks: ir.TaskProgram | None = None


def _check_package(package: str) -> None:
    if not package.isidentifier() or not package.isascii() or package != package.lower():
        raise RenderError(f"package name {package!r} must be a lower-case ASCII Python identifier")


def render_tasks(program: ir.TaskProgram, plan: ir.Plan) -> str:
    """The package's `tasks.py` alone (not yet formatted), its steps reading results as the
    models `plan` generates."""
    return _tasks.render_tasks(program, build_models(plan).index)


def _python_files(plan: ir.Plan, models: Models) -> dict[str, str]:
    schemes = _views.schemes(plan)
    methods = _views.methods(plan, models)
    common: dict[str, Any] = {"title": plan.api.title or plan.package, "package": plan.package}
    api_doc = "\n\n".join(part for part in (plan.api.title, plan.api.description) if part.strip())
    scheme_classes = sorted({_views.SCHEME_CLASSES[view.kind] for view in schemes})
    return {
        "__init__.py": render_template("__init__.py.jinja", **common),
        "__main__.py": render_template("__main__.py.jinja", **common),
        "_operations.py": render_template(
            "_operations.py.jinja",
            operations=_views.operations(plan, _views.scheme_names(schemes)),
            **common,
        ),
        "models.py": models.source,
        "client.py": render_template(
            "client.py.jinja",
            methods=methods,
            import_groups=_import_groups(item for item in models.imports if item[0] != "typing"),
            typing_names=sorted(
                name if local == name else f"{name} as {local}"
                for module, name, local in models.imports
                if module == "typing"
            ),
            models_alias=any(view.models_alias != "models" for view in methods),
            class_doc=api_doc or f"Client of the {plan.package} API.",
            base_url=_views.default_base_url(plan),
            **common,
        ),
        "auth.py": render_template(
            "auth.py.jinja",
            schemes=schemes,
            scheme_classes=_views.SCHEME_CLASSES,
            scheme_imports=[*scheme_classes, "SecurityScheme"],
            **common,
        ),
        "agent.py": render_template("agent.py.jinja", **common),
    }


def _import_groups(
    imports: Iterable[tuple[str, str, str]],
) -> list[list[tuple[str, str, str]]]:
    """models.py's imports that the client's annotations need: the standard library's, then
    the others' (pydantic's), as isort groups them."""
    ordered = sorted(imports)
    stdlib = [item for item in ordered if item[0].split(".")[0] in sys.stdlib_module_names]
    others = [item for item in ordered if item not in stdlib]
    return [group for group in (stdlib, others) if group]


def _readme(plan: ir.Plan, program: ir.TaskProgram | None) -> str:
    tools = [
        {
            "name": tool.name,
            "method": tool.endpoint.operation.method.upper(),
            "path": tool.endpoint.operation.path,
            "confirm": tool.confirm,
            "summary": _views.first_sentence(tool.description),
        }
        for tool in plan.tools
    ]
    env = [(name, view.name, what) for view in _views.schemes(plan) for name, what in view.env]
    tasks = [
        {
            "name": task.name,
            "requires": task.requires,
            "inputs": ", ".join(spec.name for spec in task.inputs),
            "summary": _views.first_sentence(task.description),
        }
        for task in (program.tasks if program is not None else ())
    ]
    return render_template(
        "README.md.jinja",
        title=plan.api.title or plan.package,
        version=plan.api.version,
        package=plan.package,
        base_url=_views.default_base_url(plan),
        tools=tools,
        tasks=tasks,
        env=env,
    )


def render(plan: ir.Plan, options: RenderOptions) -> dict[PurePosixPath, str]:
    """Every file of the package, keyed `<package>/<file>`, sorted by path.

    Raises `RenderError` when a step fails; such a failure is a specagent bug or a spec
    construct the model generator cannot handle, and the message names the step.
    """
    _check_package(plan.package)
    try:
        models = build_models(plan)
        python = _python_files(plan, models)
        agent = agent_json(plan, options.tasks)
        if options.tasks is not None and options.tasks.tasks:
            # An agent file may have a `context:` and no tasks.
            python["tasks.py"] = _tasks.render_tasks(options.tasks, models.index)
    except (ModelsError, LiteralError) as error:
        raise RenderError(f"{plan.package}: {error}") from error
    files = {PurePosixPath(plan.package, name): text for name, text in python.items()}
    if options.format:
        try:
            files = format_python(files)
        except FormatError as error:
            raise RenderError(f"{plan.package}: {error}") from error
    package = PurePosixPath(plan.package)
    files[package / "agent.json"] = agent
    agent_sources = {}
    if options.agent_source is not None:
        # Only the file name: the path as given may be absolute and differ between machines.
        agent_sources[PurePath(plan.agent.source or "agent.yaml").name] = options.agent_source
    files[package / "README.md"] = _readme(plan, options.tasks)
    files[package / "py.typed"] = ""
    # Last: it records the digest of every other file.
    files[package / "manifest.json"] = manifest_json(
        plan,
        options.sources,
        agent_sources,
        options.options,
        {path.relative_to(package).as_posix(): text for path, text in files.items()},
    )
    return dict(sorted(files.items()))
