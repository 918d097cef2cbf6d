"""Where conversations and task runs live between messages: the contract and its stores.

Empty on purpose: importing one store does not import the others.
"""
