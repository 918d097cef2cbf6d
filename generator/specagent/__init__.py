"""specagent: generate typed AI support-agent packages from OpenAPI specs.

The library API, for build scripts and tests that drive the generator without the command line:

    result = specagent.generate("openapi.yaml", Path("agent.yaml"), "acme_agent",
                                specagent.GenerateOptions())
    if result.ok:
        specagent.write_package(Path("acme_agent"), result.files)   # atomic, as the CLI does
    print("\\n".join(d.render() for d in result.diagnostics))

`generate` is pure (inputs in, files and diagnostics out); `write_package` alone touches the
disk. `plan_inputs` stops at the plan, for `diff_plans` and `model_tools`; `compare_package` is
`specagent check` on files already generated.

Every name is imported on first use (PEP 562), so `import specagent` stays cheap for the command
line's `--help` and for tools that only need the version; the `TYPE_CHECKING` imports keep every
name visible to mypy and IDEs, and `_SOURCES` must list the same names.
"""

import sys

from specagent._version import __version__

# Not `typing.TYPE_CHECKING`, nor `importlib` and `from __future__` below: each would cost more
# than the rest of `import specagent`. Type checkers treat any `TYPE_CHECKING` as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from specagent._generate import (
        GenerateOptions,
        GenerateResult,
        Planned,
        generate,
        plan_inputs,
    )
    from specagent.agentfile import AgentFile, load_agent_file
    from specagent.check import CheckReport, compare_package, format_check
    from specagent.cli._write import write_package
    from specagent.diff import Change, DiffReport, diff_plans
    from specagent.ir import Diagnostic, Plan, Severity
    from specagent.loader import LoadedSpec, SpecError, build_api, load_api, load_spec
    from specagent.plan import make_plan
    from specagent.tools import ToolList, model_tools

# Public name -> (module, attribute).
_SOURCES: dict[str, tuple[str, str]] = {
    "AgentFile": ("specagent.agentfile", "AgentFile"),
    "Change": ("specagent.diff", "Change"),
    "CheckReport": ("specagent.check", "CheckReport"),
    "Diagnostic": ("specagent.ir", "Diagnostic"),
    "DiffReport": ("specagent.diff", "DiffReport"),
    "GenerateOptions": ("specagent._generate", "GenerateOptions"),
    "GenerateResult": ("specagent._generate", "GenerateResult"),
    "LoadedSpec": ("specagent.loader", "LoadedSpec"),
    "Plan": ("specagent.ir", "Plan"),
    "Planned": ("specagent._generate", "Planned"),
    "Severity": ("specagent.ir", "Severity"),
    "SpecError": ("specagent.loader", "SpecError"),
    "ToolList": ("specagent.tools", "ToolList"),
    "build_api": ("specagent.loader", "build_api"),
    "compare_package": ("specagent.check", "compare_package"),
    "diff_plans": ("specagent.diff", "diff_plans"),
    "format_check": ("specagent.check", "format_check"),
    "generate": ("specagent._generate", "generate"),
    "load_agent_file": ("specagent.agentfile", "load_agent_file"),
    "load_api": ("specagent.loader", "load_api"),
    "load_spec": ("specagent.loader", "load_spec"),
    "make_plan": ("specagent.plan", "make_plan"),
    "model_tools": ("specagent.tools", "model_tools"),
    "plan_inputs": ("specagent._generate", "plan_inputs"),
    "write_package": ("specagent.cli._write", "write_package"),
}


def __getattr__(name: str) -> object:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = source
    __import__(module)
    value = getattr(sys.modules[module], attribute)
    # Cached as a plain global: later reads do not come back here.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "AgentFile",
    "Change",
    "CheckReport",
    "Diagnostic",
    "DiffReport",
    "GenerateOptions",
    "GenerateResult",
    "LoadedSpec",
    "Plan",
    "Planned",
    "Severity",
    "SpecError",
    "ToolList",
    "__version__",
    "build_api",
    "compare_package",
    "diff_plans",
    "format_check",
    "generate",
    "load_agent_file",
    "load_api",
    "load_spec",
    "make_plan",
    "model_tools",
    "plan_inputs",
    "write_package",
]
