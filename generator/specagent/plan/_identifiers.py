"""The Python names the generated package gives its parts, decided in one place.

The plan names each operation's constant and each credential's environment variables; the
tasks compiler names each task's definition and step functions by the same rules. The IR carries
the results (`Endpoint.constant`, `AuthScheme.env`, `CompiledTask.constant`,
`CompiledStep.function`); the renderers and templates only read them.
"""

from __future__ import annotations

from collections.abc import Collection

__all__ = [
    "env_prefix",
    "operation_constant",
    "step_function",
    "task_constant",
    "task_inputs_class",
]


def operation_constant(method_name: str) -> str:
    """`get_order_by_id` -> `GET_ORDER_BY_ID`, its `OperationSpec` in `_operations.py`."""
    return method_name.upper()


def env_prefix(package: str) -> str:
    """What every environment variable of the package starts with: `ACME_AGENT`."""
    return package.upper()


def task_constant(task: str) -> str:
    """`cancel_order` -> `CANCEL_ORDER_TASK`, its `TaskDefinition` in `tasks.py`."""
    return f"{task.upper()}_TASK"


def task_inputs_class(task: str, taken: Collection[str] = ()) -> str:
    """`cancel_order` -> `CancelOrderInputs`, the class its steps read the inputs as; a number
    is added when another task's class already has the name (`cancel_order` and `cancelOrder`)."""
    words = [word for word in task.split("_") if word]
    base = "".join(word[:1].upper() + word[1:] for word in words) + "Inputs"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    return name


def step_function(task: str, step_id: str) -> str:
    """Step `2.then.1` of `cancel_order` -> `_cancel_order_2_then_1`."""
    return f"_{task}_{step_id.replace('.', '_')}"
