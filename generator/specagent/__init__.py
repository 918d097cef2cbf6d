"""specagent: generate typed AI support-agent packages from OpenAPI specs."""

from specagent._version import __version__

__all__ = ["__version__"]
