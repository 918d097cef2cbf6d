"""The agent: the loop over the model, the conversation it keeps, consent, user context.

Empty on purpose: each module is imported where it is used (the model adapters only when a
host asks for them).
"""
