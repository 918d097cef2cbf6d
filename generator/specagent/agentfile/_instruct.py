"""Reading an `instruct:` step: the instruction, its tools, round bound and typed output.

```yaml
- instruct: "Find which of the customer's recent orders they mean"
  tools: [get_order]          # tools (or operation ids) the model may use during the step
  max_rounds: 4               # optional, 1 to 20 (default 4)
  output:                     # typed like task inputs; every field is required
    order_id: {type: integer, description: The order they mean}
  as: choice                  # later steps read `choice.order_id`
```
"""

from __future__ import annotations

import yaml

from specagent import ir
from specagent.agentfile._values import Values
from specagent.agentfile._yaml import child_path, is_null
from specagent.ir import Code

MAX_ROUNDS_LIMIT = 20
DEFAULT_ROUNDS = 4


def read_instruct(
    parser: Values, entries: dict[str, yaml.Node], path: str, where: ir.Location
) -> ir.Step | None:
    reader = parser.reader
    instruction = reader.text(entries["instruct"], child_path(path, "instruct"))
    tools: list[tuple[str, ir.Location]] = []
    if "tools" in entries and not is_null(entries["tools"]):
        for name, node in reader.text_list(entries["tools"], child_path(path, "tools")):
            tools.append((name, reader.where(node)))
    rounds = _rounds(parser, entries, path)
    output: list[ir.InputDecl] = []
    if "output" not in entries or is_null(entries["output"]):
        reader.fail(
            Code.TASK_MISSING_KEY,
            entries["instruct"],
            f"`{path}` needs an `output`: the typed result the step must produce",
            "for example `output: {order_id: integer}`",
        )
    else:
        output_path = child_path(path, "output")
        for name, node in reader.mapping(entries["output"], output_path).items():
            decl = parser.input(name, node, child_path(output_path, name))
            if decl is not None:
                output.append(decl)
        if not output and isinstance(entries["output"], yaml.MappingNode):
            reader.fail(
                Code.TASK_MISSING_KEY,
                entries["output"],
                f"`{output_path}` needs at least one field",
                "for example `output: {order_id: integer}`",
            )
    if "as" not in entries:
        reader.fail(
            Code.TASK_MISSING_KEY,
            entries["instruct"],
            f"`{path}` needs `as`: the name later steps read the output by",
            "for example `as: choice`",
        )
        return None
    save_as = reader.text(entries["as"], child_path(path, "as"))
    if instruction is None or save_as is None:
        return None
    parser.check_name(save_as, entries["as"], child_path(path, "as"), "result")
    return ir.InstructStep(
        where=where,
        instruction=instruction,
        tools=tuple(tools),
        output=tuple(output),
        save_as=save_as,
        save_where=reader.where(entries["as"]),
        max_rounds=rounds,
    )


def _rounds(parser: Values, entries: dict[str, yaml.Node], path: str) -> int:
    node = entries.get("max_rounds")
    if node is None:
        return DEFAULT_ROUNDS
    value = parser.whole(entries, path, "max_rounds")
    if value is None:
        return DEFAULT_ROUNDS
    if not 1 <= value <= MAX_ROUNDS_LIMIT:
        parser.reader.fail(
            Code.TASK_BAD_VALUE,
            node,
            f"`{child_path(path, 'max_rounds')}` must be between 1 and {MAX_ROUNDS_LIMIT}",
        )
        return DEFAULT_ROUNDS
    return value
