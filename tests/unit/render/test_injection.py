"""A hostile spec must never become code: every text from it stays a literal or a docstring."""

from __future__ import annotations

import ast
import json
from pathlib import Path, PurePosixPath

import pytest
from specagent import ir
from specagent.plan import make_plan
from specagent.render import RenderOptions, render

from tests.unit.render import _package
from tests.unit.render._api import operation, param

PAYLOADS = (
    '""" + __import__("os").system("id") + """',
    "''' + __import__('os').system('id') + '''",
    '\\"""\nimport os\nos.system(\'id\')\n#',
    "{{ 7 * 7 }} {% for x in y %}{% endfor %} {# c #}",
    '"; import os; "',
    "\\",
    'ends in a quote"',
    "\x00\x1b[31m control",
)
EVIL = " ".join(PAYLOADS)

SCHEMAS = {
    "__import__": {
        "type": "object",
        "description": EVIL,
        "properties": {
            '"; import os; "': {"type": "string", "description": EVIL, "default": EVIL},
            "class": {"type": "string", "enum": list(PAYLOADS), "default": PAYLOADS[0]},
            "os.system('id')": {"type": "integer", "default": 3, "x-code": EVIL},
            "ünï": {"type": "string", "pattern": "^[\"']+$"},
        },
        "x-evil": EVIL,
    },
    "BaseModel": {"type": "string", "enum": ['"; import os; "', "\\"]},
    "日本語": {"type": "object", "properties": {"name": {"type": "string", "title": EVIL}}},
}

OPERATIONS = (
    operation(
        '__import__("os").system("id")',
        "post",
        '/things/{id}"; import os; "',
        summary=EVIL,
        description=EVIL,
        tags=(EVIL,),
        parameters=(
            param('id"; import os; "', "path", {"type": "string"}, description=EVIL),
            param("self", "query", {"type": "string", "default": EVIL}),
            param("models", "query", {"type": "integer"}),
            param("class", "header", {"type": "string", "enum": list(PAYLOADS)}),
        ),
        body=ir.RequestBody(
            required=True,
            description=EVIL,
            content=(
                ir.MediaType(
                    'application/json; x="""',
                    {"$ref": "#/components/schemas/__import__"},
                ),
            ),
        ),
        responses=(
            ir.Response(
                "200",
                EVIL,
                (ir.MediaType("application/json", {"$ref": "#/components/schemas/日本語"}),),
            ),
        ),
        security=(ir.SecurityRequirement(((EVIL, ()),)),),
    ),
    operation("close", "get", "/close", summary="'''", description='"""'),
)

API = ir.Api(
    title=EVIL,
    version=EVIL,
    description=EVIL,
    source_version="3.1.0",
    servers=(ir.Server(url='https://x"; import os; "', resolved_url='https://x"; import os; "'),),
    operations=OPERATIONS,
    schemas=SCHEMAS,
    security_schemes=(
        ir.SecurityScheme(name=EVIL, type="apiKey", param_name=EVIL, location="header"),
    ),
)
AGENT = ir.AgentConfig(name=EVIL, instructions=EVIL, source=EVIL)
PACKAGE = "hostile_agent"

# The only modules and calls the generated code may contain, whatever the spec says.
ALLOWED_IMPORTS = {
    "__future__",
    "enum",
    "importlib",
    "json",
    "pydantic",
    "specagent_runtime",
    "sys",
    "typing",
}
ALLOWED_CALLS = {
    "ApiKeyScheme",
    "Arg",
    "AttributeError",
    "ConfigDict",
    "Field",
    "OperationSpec",
    "AsyncClient",
    "_call",
    "_tools",
    "exit",
    "files",
    "from_package",
    "get",
    "getattr",
    "globals",
    "import_module",
    "lazy_module",
    "loads",
    "main",
    "mcp_main",
    "package_main",
    "read_text",
    "rpartition",
    "sorted",
    "write",
}


@pytest.fixture(scope="module")
def files() -> dict[PurePosixPath, str]:
    return render(make_plan(API, AGENT, PACKAGE), RenderOptions(sources={EVIL: b"x"}))


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else type(func).__name__


def test_python_files_hold_no_code_from_the_spec(files: dict[PurePosixPath, str]) -> None:
    python = {path: text for path, text in files.items() if path.suffix == ".py"}
    assert len(python) == 7
    for path, text in python.items():
        tree = ast.parse(text, filename=str(path))
        compile(tree, str(path), "exec")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert {alias.name for alias in node.names} <= {
                    "importlib",
                    "json",
                    "sys",
                    "specagent_runtime",
                }, path
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert (node.module or "").split(".")[0] in ALLOWED_IMPORTS, (path, node.module)
            if isinstance(node, ast.Call):
                assert _called_name(node) in ALLOWED_CALLS, (path, ast.unparse(node))
            if isinstance(node, ast.Name):
                assert node.id != "os" and node.id != "__import__", (path, ast.unparse(node))


def test_spec_text_survives_as_data(files: dict[PurePosixPath, str]) -> None:
    agent = json.loads(files[PurePosixPath(PACKAGE, "agent.json")])
    assert agent["agent"]["name"] == EVIL
    (tool, close) = agent["tools"]
    assert tool["operation"] == '__import__("os").system("id")'
    assert _names_ok(tool["name"]) and _names_ok(close["name"])
    operations = files[PurePosixPath(PACKAGE, "_operations.py")]
    literals = {
        node.value
        for node in ast.walk(ast.parse(operations))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert '/things/{id}"; import os; "' in literals
    assert 'id"; import os; "' in literals
    client = files[PurePosixPath(PACKAGE, "client.py")]
    assert "def close_(" in client  # a reserved method name
    assert "_self" in client  # an argument called `self` moved the receiver aside


def _names_ok(name: str) -> bool:
    return name.isascii() and name.replace("_", "").replace("-", "").isalnum() and len(name) <= 64


def test_hostile_package_passes_ruff_and_mypy(
    files: dict[PurePosixPath, str], tmp_path: Path
) -> None:
    _package.write(files, tmp_path)
    assert _package.ruff_problems(tmp_path, PACKAGE) == ""
    assert _package.mypy_problems(tmp_path, PACKAGE) == ""
