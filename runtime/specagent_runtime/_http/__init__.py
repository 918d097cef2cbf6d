"""The HTTP layer of generated clients: build a request, authenticate, send, retry, decode.

Empty on purpose: the modules are imported where they are used, so a package that only lists
its tools never pays for httpx.
"""
