"""The durable task engine: compiled tasks run step by step, saved after every step.

Empty on purpose: each module is imported where it is used.
"""
