"""Diagnostics as values: what went wrong, where, and what to do about it.

Every stage collects them instead of raising, so one run reports every problem; the CLI sorts
and prints them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from specagent._jsonschema import to_pointer


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is: a JSON pointer into a spec, a line (and column) of a file, or only a
    name (a file, a folder, a command-line option such as `--package`).

    `key` is the path of the key in the agent file (`tools.overrides.getUserByName.bind`) when
    the place is one; it is data for tools, the rendered text names the line.
    """

    file: str  # as given: the spec's or the agent file's name, a folder, an option
    pointer: str | None = None  # a JSON pointer into `file` ("" is the whole document)
    line: int = 0  # 1-based; 0: no line
    column: int = 0  # 1-based; 0: no column
    key: str = ""

    @classmethod
    def in_spec(cls, file: str, path: Sequence[str]) -> Location:
        """The place at `path` (unescaped tokens) in the spec `file`."""
        return cls(file, pointer=to_pointer(path))

    @classmethod
    def at_line(cls, file: str, line: int, column: int = 0, *, key: str = "") -> Location:
        return cls(file, line=line, column=column, key=key)

    def sort_key(self) -> tuple[str, int, int, str]:
        """File, then line and column (numerically), then pointer. Places without a line sort
        before the numbered lines of their file; pointers sort as text, which keeps siblings
        in the spec together."""
        return (self.file, self.line, self.column, self.pointer or "")

    def __str__(self) -> str:
        """`openapi.yaml#/paths/~1pet/get`, `agent.yaml:12`, `openapi.yaml:3:7`, `--package`;
        a pointer whose line is known: `openapi.yaml:24:11 (#/paths/~1pet/get)`."""
        if self.pointer is not None:
            if self.line:
                return f"{self._line_text()} (#{self.pointer})"
            return f"{self.file}#{self.pointer}"
        if self.line:
            return self._line_text()
        return self.file

    def _line_text(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


class Code(StrEnum):
    """Every diagnostic code, by the stage that reports it. A `StrEnum`: the rendered text
    (`error[agent.unknown_key] ...`) is the code's value, as users' scripts may match it."""

    # the agent file
    AGENT_BIND = "agent.bind"
    AGENT_DUPLICATE_KEY = "agent.duplicate_key"
    AGENT_FIELD_PATH = "agent.field_path"
    AGENT_FILE = "agent.file"
    AGENT_HOST = "agent.host"
    AGENT_LIMIT = "agent.limit"
    AGENT_METHOD = "agent.method"
    AGENT_OWNER = "agent.owner"
    AGENT_SYNTAX = "agent.syntax"
    AGENT_TOOL_NAME = "agent.tool_name"
    AGENT_TYPE = "agent.type"
    AGENT_UNKNOWN_FIELD = "agent.unknown_field"
    AGENT_UNKNOWN_KEY = "agent.unknown_key"
    AGENT_UNKNOWN_OPERATION = "agent.unknown_operation"
    AGENT_UNKNOWN_PARAMETER = "agent.unknown_parameter"
    AGENT_UNKNOWN_TAG = "agent.unknown_tag"
    AGENT_UNUSED_HOST = "agent.unused_host"
    AGENT_UNUSED_OVERRIDE = "agent.unused_override"
    # the planner: what else could carry a name bound to the identity
    BINDING_FREE_FORM = "binding.free_form"
    BINDING_LOOKALIKE = "binding.lookalike"
    # the agent file's `context:` section
    CONTEXT_BAD_VALUE = "context.bad_value"
    CONTEXT_MISSING_KEY = "context.missing_key"
    CONTEXT_NO_RESULT = "context.no_result"
    CONTEXT_NOT_READ_ONLY = "context.not_read_only"
    CONTEXT_UNBOUND_PARAMETER = "context.unbound_parameter"
    CONTEXT_UNKNOWN_OPERATION = "context.unknown_operation"
    # operations
    OPERATION_DUPLICATE_ID = "operation.duplicate_id"
    OPERATION_TYPE = "operation.type"
    # the output folder
    OUT_FOLDER = "out.folder"
    OUT_WRITE = "out.write"
    # the package name
    PACKAGE_NAME = "package.name"
    # parameters
    PARAMETER_DEFAULT = "parameter.default"
    PARAMETER_DUPLICATE = "parameter.duplicate"
    PARAMETER_LOCATION = "parameter.location"
    PARAMETER_NAME = "parameter.name"
    PARAMETER_NO_SCHEMA = "parameter.no_schema"
    PARAMETER_NOT_IN_PATH = "parameter.not_in_path"
    PARAMETER_PATH_REQUIRED = "parameter.path_required"
    PARAMETER_ROUTING_HEADER = "parameter.routing_header"
    PARAMETER_SWAGGER_STYLE = "parameter.swagger_style"
    PARAMETER_UNDECLARED = "parameter.undeclared"
    # paths
    PATH_EMPTY = "path.empty"
    PATH_SLASH = "path.slash"
    PATH_TYPE = "path.type"
    # `$ref`s
    REF_BUNDLE = "ref.bundle"
    REF_CYCLE = "ref.cycle"
    REF_DANGLING = "ref.dangling"
    REF_OUTSIDE = "ref.outside"
    REF_REMOTE = "ref.remote"
    REF_SCHEME = "ref.scheme"
    REF_TARGET = "ref.target"
    REF_TYPE = "ref.type"
    REF_UNREADABLE = "ref.unreadable"
    # rendering
    RENDER_FAILED = "render.failed"
    # responses
    RESPONSE_STATUS = "response.status"
    # schemas (repairs)
    SCHEMA_ENUM = "schema.enum"
    SCHEMA_ITEMS_LIST = "schema.items_list"
    SCHEMA_NULLABLE = "schema.nullable"
    SCHEMA_PROPERTIES = "schema.properties"
    SCHEMA_REF_SIBLINGS = "schema.ref_siblings"
    SCHEMA_REQUIRED = "schema.required"
    SCHEMA_TYPE = "schema.type"
    # security schemes
    SECURITY_API_KEY = "security.api_key"
    SECURITY_HTTP_SCHEME = "security.http_scheme"
    SECURITY_TOKEN_HOST = "security.token_host"
    SECURITY_TYPE = "security.type"
    SECURITY_UNKNOWN_SCHEME = "security.unknown_scheme"
    # servers
    SERVER_HOST = "server.host"
    SERVER_URL = "server.url"
    SERVER_VARIABLE = "server.variable"
    # the spec as a document
    SPEC_DUPLICATE_KEY = "spec.duplicate_key"
    SPEC_EMPTY = "spec.empty"
    SPEC_ENCODING = "spec.encoding"
    SPEC_FETCH = "spec.fetch"
    SPEC_HOSTILE = "spec.hostile"
    SPEC_INFO = "spec.info"
    SPEC_NO_OPERATIONS = "spec.no_operations"
    SPEC_NO_PATHS = "spec.no_paths"
    SPEC_NOT_A_FILE = "spec.not_a_file"
    SPEC_NOT_FOUND = "spec.not_found"
    SPEC_NOT_OPENAPI = "spec.not_openapi"
    SPEC_PATHS = "spec.paths"
    SPEC_SYNTAX = "spec.syntax"
    SPEC_TOO_LARGE = "spec.too_large"
    SPEC_UNREADABLE = "spec.unreadable"
    SPEC_VERSION = "spec.version"
    # Swagger 2.0 conversion
    SWAGGER_BODY_AND_FORM = "swagger.body_and_form"
    SWAGGER_COLLECTION_FORMAT = "swagger.collection_format"
    SWAGGER_OAUTH_FLOW = "swagger.oauth_flow"
    # the agent file's tasks
    TASK_ASK_LATER = "task.ask_later"
    TASK_BAD_EXPRESSION = "task.bad_expression"
    TASK_BAD_MESSAGE = "task.bad_message"
    TASK_BAD_NAME = "task.bad_name"
    TASK_BAD_PATTERN = "task.bad_pattern"
    TASK_BAD_STEP = "task.bad_step"
    TASK_BAD_TASK_NAME = "task.bad_task_name"
    TASK_BAD_VALUE = "task.bad_value"
    TASK_MISSING_ARGUMENT = "task.missing_argument"
    TASK_MISSING_KEY = "task.missing_key"
    TASK_NAME_TAKEN = "task.name_taken"
    TASK_NO_RESULT = "task.no_result"
    TASK_NOT_OWNED = "task.not_owned"
    TASK_REDACTED_FIELD = "task.redacted_field"
    TASK_TYPE_MISMATCH = "task.type_mismatch"
    TASK_UNCONFIRMED = "task.unconfirmed"
    TASK_UNKNOWN_ARGUMENT = "task.unknown_argument"
    TASK_UNKNOWN_FIELD = "task.unknown_field"
    TASK_UNKNOWN_INPUT = "task.unknown_input"
    TASK_UNKNOWN_NAME = "task.unknown_name"
    TASK_UNKNOWN_OPERATION = "task.unknown_operation"
    TASK_UNKNOWN_STEP = "task.unknown_step"
    TASK_UNKNOWN_TOOL = "task.unknown_tool"
    TASK_UNREACHABLE = "task.unreachable"
    TASK_USED_BEFORE_SET = "task.used_before_set"
    # `specagent tools`
    TOOLS_FORMAT = "tools.format"
    # the plan (spelled apart from the others since it was first written; kept, as it is shown)
    UNKNOWN_BINDING = "unknown-binding"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in the inputs, reported with the others at the end.

    `location` is a place in the spec or the agent file (`where` is its text, as shown);
    `hint` is the suggestion shown after the message.
    """

    code: Code
    severity: Severity
    message: str
    location: Location
    hint: str = ""

    @property
    def where(self) -> str:
        return str(self.location)

    def blocks(self, *, strict: bool = False) -> bool:
        """Whether it stops generation: an error does, a warning only under `--strict`."""
        return self.severity is Severity.ERROR or strict

    def render(self) -> str:
        text = f"{self.severity.value}[{self.code}] {self.where}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
