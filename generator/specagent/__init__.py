"""specagent: generate typed AI support-agent packages from OpenAPI specs."""

__version__ = "0.1.0"
