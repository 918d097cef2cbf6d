"""Starting points a developer edits: `specagent init`'s agent file, `specagent test
--scaffold`'s conversation tests (one per path through each task)."""

from specagent.scaffold._agent_file import AgentFileDraft, draft_agent_file, identity_field
from specagent.scaffold._tests import scaffold_tests

__all__ = ["AgentFileDraft", "draft_agent_file", "identity_field", "scaffold_tests"]
