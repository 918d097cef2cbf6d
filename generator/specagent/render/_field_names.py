"""Python names for model fields that datamodel-code-generator would name badly.

Names in pydantic's protected namespace `model_` (a property `model_dump` would become the
field `model_dump_`, which pydantic warns about at import) are renamed the same way.

datamodel-code-generator keeps non-ASCII property names as identifiers and only makes them
unique by exact text, but Python compares identifiers after NFKC normalisation: `ﬁle` and
`file` become one field and a duplicate keyword argument in the client. Such names are given
to it as explicit aliases (`--aliases`), chosen by the one sanitiser (`_names.field_name`) and
kept apart from every other field of each class they appear in. The wire name stays the alias.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from specagent import _names


def _properties_maps(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every `properties` mapping in a schema document: each is one class's fields."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            properties = current.get("properties")
            if isinstance(properties, Mapping):
                yield properties
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _needs_alias(python_name: str) -> bool:
    # pydantic 2.7-2.9 protects all of `model_`, later versions `model_dump`/`model_validate`:
    # the whole prefix is avoided so no supported version can warn. `l` (and `O`, `I`) is a
    # name pycodestyle refuses (E741): it reads as `1`.
    return (
        not python_name.isascii()
        or python_name.startswith("model_")
        or python_name in _names.AMBIGUOUS_NAMES
    )


def field_aliases(document: Mapping[str, Any]) -> dict[str, str]:
    """Wire name -> Python field name for the properties that need one, for every class.

    The aliases are global (datamodel-code-generator applies an unscoped alias wherever the
    property occurs, inline classes included), so each chosen name avoids the fields of every
    class its property appears in.
    """
    # Imported here: slow to import, and only models.py needs it.
    from datamodel_code_generator.format import PythonVersion  # noqa: PLC0415
    from datamodel_code_generator.model.field_name import (  # noqa: PLC0415
        PydanticFieldNameResolver,
    )

    # The same settings as the models.py run, to predict the names it gives the other fields.
    resolver = PydanticFieldNameResolver(
        snake_case_field=True, target_python_version=PythonVersion.PY_311
    )
    groups = [
        [name for name in props if isinstance(name, str)] for props in _properties_maps(document)
    ]
    predicted = {name: resolver.get_valid_name(name) for group in groups for name in group}
    wanted = sorted(name for name, python in predicted.items() if _needs_alias(python))
    if not wanted:
        return {}
    aliased = frozenset(wanted)
    avoid: dict[str, set[str]] = {name: set() for name in wanted}
    neighbours: dict[str, set[str]] = {name: set() for name in wanted}
    for group in groups:
        ordinary = {predicted[name] for name in group if name not in aliased}
        special = [name for name in group if name in aliased]
        for name in special:
            avoid[name] |= ordinary
            neighbours[name].update(other for other in special if other != name)
    chosen: dict[str, str] = {}
    for name in wanted:
        taken = avoid[name] | {chosen[other] for other in neighbours[name] if other in chosen}
        # The resolver adds what pydantic needs (`dict` -> `dict_`: it would shadow BaseModel).
        base = resolver.get_valid_name(_names.field_name(name))
        candidate = base
        counter = 1
        while candidate in taken:
            counter += 1
            candidate = f"{base}_{counter}"
        chosen[name] = candidate
    return chosen
