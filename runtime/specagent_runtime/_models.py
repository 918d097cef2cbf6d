"""Building the pydantic models of a generated `models.py` whose references run in long cycles.

pydantic builds a model that refers to not-yet-built models in one nested pass through all of
them: for a cycle of N models (a real spec has 57 schemas each holding a list of the next) that
is about 15 Python frames per model, past the default recursion limit near 60 models, and past
the main thread's C stack (a segmentation fault, not an exception) near 600 with the limit
raised. Such a `models.py` declares its classes with `defer_build=True` and ends with
`complete_models(...)`, which builds them, dependencies first, in a thread with a deep stack and
a recursion limit to match, so the package imports at any size.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["complete_models"]

_STACK_BYTES = 512 * 1024 * 1024  # reserved, not committed: only the depth used is touched
_FALLBACK_STACK_BYTES = 64 * 1024 * 1024
# Frames allowed per model, well above the ~15 a nested build takes; the limit is raised only
# as far as these models need (the whole process shares it while the thread runs).
_FRAMES_PER_MODEL = 50
_MAX_RECURSION_LIMIT = 200_000  # about 4,000 models in one cycle; the stack above holds it


def complete_models(*models: type[BaseModel]) -> None:
    """Build `models` (given dependencies first) now, in a thread with a deep stack.

    Raises what building raises (a model whose annotations cannot be resolved), as the import
    would have without this helper.
    """
    failure: list[BaseException] = []

    def build() -> None:
        try:
            for model in models:
                module = sys.modules.get(model.__module__)
                namespace = dict(vars(module)) if module is not None else {}
                model.model_rebuild(_types_namespace=namespace)
        except BaseException as error:  # re-raised in the importing thread
            failure.append(error)

    previous_stack = threading.stack_size()
    previous_limit = sys.getrecursionlimit()
    try:
        try:
            threading.stack_size(_STACK_BYTES)
        except (ValueError, RuntimeError):  # a platform with a lower maximum
            threading.stack_size(_FALLBACK_STACK_BYTES)
        needed = min(_MAX_RECURSION_LIMIT, 1_000 + _FRAMES_PER_MODEL * len(models))
        sys.setrecursionlimit(max(previous_limit, needed))
        worker = threading.Thread(target=build, name="specagent-models")
        worker.start()
        worker.join()
    finally:
        sys.setrecursionlimit(previous_limit)
        threading.stack_size(previous_stack)
    if failure:
        raise failure[0]
