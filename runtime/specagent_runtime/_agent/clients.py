"""Who owns the agent's clients, and the private event loop of its sync facade.

The model client is created from the environment when none is passed (and then closed with the
agent); the API client is closed with the agent only when its maker created it. `respond_sync`
runs every turn on one private event loop, so the HTTP connection pools stay valid between calls.
"""

from __future__ import annotations

import asyncio
from typing import Any

from specagent_runtime._errors import AgentError
from specagent_runtime._tools.toolset import Toolset


class ClientOwner:
    """The clients' life cycle, shared by `Agent` (a base class: no state of its own beyond
    these attributes, set by the agent's constructor)."""

    toolset: Toolset
    _openai_client: Any | None
    _owns_openai: bool
    _owns_client: bool
    _runner: asyncio.Runner | None

    async def aclose(self) -> None:
        """Close the model client and the API client if the agent owns them (clients passed in
        stay the caller's)."""
        client, self._openai_client = self._openai_client, None
        if self._owns_openai and client is not None:
            await client.close()
        self._owns_openai = False
        if self._owns_client:
            self._owns_client = False
            await self.toolset.client.aclose()

    def close(self) -> None:
        """`aclose` for synchronous hosts, then close the private event loop of `respond_sync`.

        After `respond_sync`, the API client's and the model client's connections belong to
        that private loop and cannot be closed from any other: so they are closed here, on it,
        whoever created the clients (closing them again later is harmless)."""
        if self._runner is not None:
            self._runner.run(self._close_loop_connections())
            self._runner.close()
            self._runner = None
        elif self._owns_openai or self._owns_client:
            asyncio.run(self.aclose())

    async def _close_loop_connections(self) -> None:
        model = self._openai_client
        await self.aclose()
        if model is not None:
            await model.close()
        close_api = getattr(self.toolset.client, "aclose", None)
        if close_api is not None:
            await close_api()

    def _openai(self) -> Any:
        if self._openai_client is None:
            try:
                import openai  # noqa: PLC0415 - optional extra, needed only to talk to a model
            except ImportError as exc:
                raise AgentError(
                    "the agent needs the openai package: pip install 'specagent-runtime[openai]'"
                ) from exc
            try:
                self._openai_client = openai.AsyncOpenAI()
                self._owns_openai = True
            except openai.OpenAIError as exc:
                raise AgentError(
                    "no model client: pass openai_client= or set OPENAI_API_KEY "
                    "(and OPENAI_BASE_URL for another OpenAI-compatible server)"
                ) from exc
        return self._openai_client

    def _sync_runner(self) -> asyncio.Runner:
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner
