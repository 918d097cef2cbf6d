"""From an API and an agent config to the plan the renderers follow.

All naming decisions are made here, once (class and method names, operation constants, the
environment variables of credentials; `_identifiers` holds the rules the tasks compiler shares),
in a stable order (schemas sorted by spec name, then operations in spec order), so that the
templates only lay out what the plan says and a regeneration from the same inputs gives the
same names.
"""

from __future__ import annotations

from specagent import _names, ir
from specagent.plan._args import build_endpoint, is_json
from specagent.plan._auth import auth_schemes
from specagent.plan._bound import binding_warnings, without_routing_headers
from specagent.plan._hosts import host_diagnostics
from specagent.plan._identifiers import (
    operation_constant,
    step_function,
    task_constant,
    task_inputs_class,
)
from specagent.plan._tools import (
    IDEMPOTENT_METHODS,
    SAFE_METHODS,
    build_tools,
    model_text,
    select,
    trim,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "SAFE_METHODS",
    "is_json",
    "make_plan",
    "model_text",
    "operation_constant",
    "select",
    "step_function",
    "task_constant",
    "task_inputs_class",
    "trim",
]


def _model_names(api: ir.Api, classes: _names.NameTable) -> dict[str, str]:
    return {
        name: classes.take(_names.class_name(name, fallback="Model"))
        for name in sorted(api.schemas)
    }


def make_plan(api: ir.Api, agent: ir.AgentConfig, package: str) -> ir.Plan:
    """Name every generated thing, flatten every operation's arguments, and choose the tools.

    Binding problems (an override naming a parameter the operation does not have) are
    returned as error diagnostics in the plan rather than raised, to be reported with the rest.
    """
    classes = _names.NameTable(
        _names.RESERVED_CLASS_NAMES,
        max_length=_names.IDENTIFIER_MAX,
        separator="",
        reserved_suffix="Model",
    )
    model_names = _model_names(api, classes)
    methods = _names.NameTable(_names.RESERVED_METHOD_NAMES, max_length=_names.IDENTIFIER_MAX)

    diagnostics: list[ir.Diagnostic] = []
    endpoints = []
    for declared in api.operations:
        operation, dropped = without_routing_headers(declared)
        diagnostics.extend(dropped)
        method_name = methods.take(_names.python_name(operation.id, fallback="op"))
        base = _names.class_name(method_name)
        endpoints.append(
            build_endpoint(
                operation,
                method_name=method_name,
                constant=operation_constant(method_name),
                args_model=classes.take(base + "Args"),
                response_name=classes.take(base + "Response"),
                model_names=model_names,
                schemas=api.schemas,
            )
        )

    tools = build_tools(agent, endpoints, diagnostics)
    diagnostics.extend(binding_warnings(tools, api.schemas))
    diagnostics.extend(host_diagnostics(api, agent))
    return ir.Plan(
        api=api,
        agent=agent,
        package=package,
        endpoints=tuple(endpoints),
        tools=tools,
        model_names=model_names,
        diagnostics=tuple(diagnostics),
        auth=auth_schemes(api, package),
    )
