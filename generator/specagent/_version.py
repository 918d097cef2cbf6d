"""The generator's version, in a module of its own so that anything may read it (the manifest,
`--version`) without importing the package's public API."""

__version__ = "0.1.0"
