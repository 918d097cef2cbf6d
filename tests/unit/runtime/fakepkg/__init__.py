"""A hand-written stand-in for a generated package: agent.json, argument models, a client.

It follows the generated layout (`agent.json`, `models.py` with `<Op>Args` models whose aliases
are the argument keys, an async client with one method per operation) so the agent layer can be
tested without the generator.
"""
