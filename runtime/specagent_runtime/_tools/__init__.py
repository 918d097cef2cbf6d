"""The tool layer: which tools to offer, what the model sees of them, how a call runs.

Empty on purpose: each module is imported where it is used.
"""
