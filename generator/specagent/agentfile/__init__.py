"""The agent file (`agent.yaml`): which operations become tools, how they behave, the tasks.

Two passes, because the file is read before the spec is known and checked after: the first
(`load_agent_file`, once per run) validates the file's own structure and reads every section
into an `AgentFile`, the second (`check_agent_against_api`, and the tasks compiler in
`specagent.tasks`) checks every name it uses against the loaded spec. Both return diagnostics
pointing at `agent.yaml:LINE` and the key path, with a "did you mean" hint, so a user can fix
every problem in one round.

```yaml
agent: {name: Petstore support, instructions: You help customers ...}
tools:
  include: {operations: [getOrderById], tags: [pet], methods: [GET]}
  exclude: {operations: [deleteUser]}
  overrides:
    getUserByName:
      name: get_my_account
      bind: {username: identity.username}
      expose: [id, username]
      redact: [password]
      owner: {field: username, is: identity.username}
      confirm: false
    findOrder: {lookup_limit: 5}
tasks: {}
identity: {fields: [account_number]}   # Identity.extra keys the host fills
allow_hosts: [auth.example.com]
limits: {tool_calls_per_turn: 12}
```
"""

from specagent.agentfile._check import check_agent_against_api, check_owner, identity_fields
from specagent.agentfile._identity import NAMED_IDENTITY_FIELDS, unknown_field_hint
from specagent.agentfile._load import AgentFile, load_agent_file, parse_agent_text

__all__ = [
    "NAMED_IDENTITY_FIELDS",
    "AgentFile",
    "check_agent_against_api",
    "check_owner",
    "identity_fields",
    "load_agent_file",
    "parse_agent_text",
    "unknown_field_hint",
]
