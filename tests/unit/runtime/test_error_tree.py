"""One exception root: every exception the runtime exports is a `SpecagentError`, the tree in
`_errors`' docstring names them all, and setup faults are `ConfigurationError`s (which are
still the `ValueError`s they used to be)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import httpx
import pytest
import specagent_runtime
from specagent_runtime import (
    Agent,
    AgentError,
    AnthropicChat,
    ApiError,
    AsyncApiClient,
    ConfigurationError,
    ConfirmationNotFound,
    CredentialsError,
    HttpBearerScheme,
    RequestError,
    SecurityScheme,
    SpecagentError,
    StoreConflict,
    TaskError,
    ToolCallError,
    Toolset,
    _errors,
    export_tools,
)
from specagent_runtime._mcp.server import McpConfigError
from specagent_runtime._tasks.input import InvalidAnswer

_EXCEPTIONS = sorted(
    name
    for name in specagent_runtime.__all__
    if isinstance(getattr(specagent_runtime, name), type)
    and issubclass(getattr(specagent_runtime, name), BaseException)
)


def test_there_are_exceptions_to_check() -> None:
    assert len(_EXCEPTIONS) >= 20


@pytest.mark.parametrize("name", _EXCEPTIONS)
def test_every_exported_exception_is_under_the_root(name: str) -> None:
    assert issubclass(getattr(specagent_runtime, name), SpecagentError)


@pytest.mark.parametrize("name", [*_EXCEPTIONS, "McpConfigError", "InvalidAnswer"])
def test_the_docstring_tree_names_every_exception(name: str) -> None:
    assert name in (_errors.__doc__ or "")


def test_private_exceptions_are_under_the_root_too() -> None:
    assert issubclass(McpConfigError, ConfigurationError)
    assert issubclass(InvalidAnswer, SpecagentError)
    assert issubclass(InvalidAnswer, ValueError)


def test_old_bases_are_kept() -> None:
    assert issubclass(ConfigurationError, ValueError)
    assert issubclass(CredentialsError, RequestError)
    assert issubclass(CredentialsError, ApiError)
    assert issubclass(CredentialsError, ConfigurationError)
    assert issubclass(ConfirmationNotFound, AgentError)
    assert issubclass(ConfirmationNotFound, LookupError)
    assert issubclass(ToolCallError, ValueError)
    assert issubclass(StoreConflict, specagent_runtime.StoreError)


def test_errors_for_the_developer_tell_the_model_nothing() -> None:
    error = ConfigurationError("SPECAGENT_STORE=/secret/path: cannot open")
    assert "secret" not in error.model_message()
    assert TaskError("task `x` needs the input `y`").model_message() == (
        "task `x` needs the input `y`"
    )


def _toolset() -> Toolset:
    client = AsyncApiClient("http://127.0.0.1", http_client=httpx.AsyncClient())
    return Toolset([], client, package="nothing")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Agent(_toolset(), model="m", max_rounds=0), "max_rounds must be at least 1"),
        (lambda: Agent(_toolset(), model="m", history_limit=0), "history_limit must be at"),
        (lambda: AnthropicChat(object(), max_tokens=0), "max_tokens must be at least 1"),
        (lambda: export_tools(_toolset(), "gemini"), "unknown tool format 'gemini'"),
    ],
)
def test_setup_faults_are_configuration_errors(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        build()
    assert isinstance(caught.value, ValueError)


def test_credentials_for_an_unknown_scheme_are_a_configuration_error() -> None:
    class Client(AsyncApiClient):
        security_schemes: ClassVar[Mapping[str, SecurityScheme]] = {
            "bearer": HttpBearerScheme("bearer", env="TOKEN")
        }

    with pytest.raises(ConfigurationError, match="no security scheme of that name"):
        Client("http://127.0.0.1", credentials={"nope": specagent_runtime.BearerToken("t")})
