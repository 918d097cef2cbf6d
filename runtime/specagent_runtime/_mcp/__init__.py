"""The package's tools and tasks served over MCP (extra ``specagent-runtime[mcp]``).

Empty on purpose: the command line (`cli`) must start, and explain a missing extra, without
importing the MCP SDK.
"""
