"""Names longer than a line (issue 19): no layout breaks a name, so the generator gives shorter
ones where a spec's would not fit, and every package still passes ruff's defaults and the
strict rule set. Shortened names are deterministic, unique and keep what the API sends.

The reproducers are the corpus cases: apacta's operation ids, billbee's .NET generic schema
names, Twilio's argument enums and a long schema name behind a long argument name, apptigent's
enum member named after a sentence, Adyen's `I`.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path, PurePosixPath

from specagent import _names, ir
from specagent.loader import build_api, load_spec
from specagent.plan import make_plan
from specagent.render import RenderOptions, render
from specagent.render._class_names import shorten_argument_classes
from specagent.render._format import STRICT_IGNORE, STRICT_LINE_LENGTH, STRICT_SELECT
from specagent.render._source_fixes import ENUM_MEMBER_MAX, ascii_enum_members

from tests.unit.render._package import BIN, run, write

LONG_ID = "getCompaniesByCompanyIdIntegrationFeatureSettingsByIntegrationFeatureSettingId"
SCHEMA = (
    "RechnungsdruckWebAppControllersApiApiPagedResultPagingInformationSystemCollectionsGeneric"
    "ListBillbeeInterfacesBillbeeAPIModelCustomerAddressApiModel"
)
# Twilio's: `business_registration_authority: models.<this> | None = None` is 106 columns.
AUTHORITY = "TollfreeVerificationEnumBusinessRegistrationAuthority"
SENTENCE = (
    "Calendar Event (subject|description|location|start|end|allDayEvent['true' or 'false']"
    "|format ['universal' or 'iCal'])"
)

SPEC = f"""\
openapi: 3.0.3
info: {{title: Long names, version: "1"}}
paths:
  /companies/{{company_id}}/settings/{{setting_id}}:
    get:
      operationId: {LONG_ID}
      parameters:
        - {{name: company_id, in: path, required: true, schema: {{type: string}}}}
        - {{name: setting_id, in: path, required: true, schema: {{type: string}}}}
        - name: recording_status_callback_method
          in: query
          required: true
          schema: {{type: string, enum: [GET, POST, PUT]}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/{SCHEMA}"}}
    put:
      operationId: {LONG_ID}AndItsSubsettings
      parameters:
        - {{name: company_id, in: path, required: true, schema: {{type: string}}}}
        - {{name: setting_id, in: path, required: true, schema: {{type: string}}}}
        - name: recording_status_callback_method
          in: query
          required: true
          schema: {{type: string, enum: [GET, POST]}}
        - name: recording_status_callback_method_for_the_integration
          in: query
          required: true
          schema: {{type: string, enum: [GET, POST]}}
        - name: business_registration_authority
          in: query
          schema: {{$ref: "#/components/schemas/{AUTHORITY}"}}
      responses:
        "200":
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  kind:
                    type: string
                    enum: ["{SENTENCE}", "{SENTENCE} again", "I", "Plain"]
components:
  schemas:
    {AUTHORITY}:
      type: string
      enum: [EIN, CBN]
    {SCHEMA}:
      type: object
      properties:
        name: {{type: string}}
"""


def _render(tmp_path: Path) -> dict[PurePosixPath, str]:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    plan = make_plan(build_api(load_spec(spec)), ir.AgentConfig(), "long_agent")
    return render(plan, RenderOptions(sources={"openapi.yaml": SPEC.encode()}))


def test_long_names_are_cut_unique_and_pass_both_rule_sets(tmp_path: Path) -> None:
    files = _render(tmp_path)
    assert files == _render(tmp_path)  # same input, same bytes
    out = tmp_path / "out"
    write(files, out)
    ruff = [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--output-format", "concise"]
    strict = ["--select", ",".join(STRICT_SELECT), "--ignore", ",".join(STRICT_IGNORE)]
    strict += ["--line-length", str(STRICT_LINE_LENGTH), "--target-version", "py311"]
    for rules in ([], strict):
        done = run([*ruff, *rules, "long_agent"], out)
        assert done.returncode == 0, done.stdout + done.stderr

    client = ast.parse(files[PurePosixPath("long_agent/client.py")])
    methods = {
        node.name
        for node in ast.walk(client)
        if isinstance(node, ast.AsyncFunctionDef) and not node.name.startswith("_")
    }
    long_ones = {name for name in methods if name.startswith("get_companies")}
    assert len(long_ones) == 2  # the two ids share their first 64 characters, not a name
    assert all(len(name) <= _names.IDENTIFIER_MAX for name in methods)

    # The model sees the tools by the names it saw before; the operationId is kept.
    agent = json.loads(files[PurePosixPath("long_agent/agent.json")])
    assert sorted(tool["operation"] for tool in agent["tools"]) == [
        LONG_ID,
        f"{LONG_ID}AndItsSubsettings",
    ]
    for tool in agent["tools"]:
        assert tool["name"] == _names.tool_name(tool["operation"])
        assert tool["client_method"] in long_ones

    sys.path.insert(0, str(out))
    try:
        namespace: dict[str, object] = {}
        source = files[PurePosixPath("long_agent/models.py")]
        exec(compile(source, "models.py", "exec"), namespace)
    finally:
        sys.path.remove(str(out))
    classes = [name for name, value in namespace.items() if isinstance(value, type)]
    assert all(len(name) <= _names.IDENTIFIER_MAX for name in classes)
    # The first argument enum is named after its parameter; the second, whose parameter name
    # leaves no room for that, keeps its operation's name cut with a hash.
    assert "RecordingStatusCallbackMethod" in classes
    values = {
        member.value  # type: ignore[attr-defined]
        for value in namespace.values()
        if isinstance(value, type) and hasattr(value, "__members__")
        for member in value  # type: ignore[attr-defined]
    }
    assert {SENTENCE, f"{SENTENCE} again", "I", "Plain"} <= values  # what the API sends


def test_a_long_name_is_cut_at_a_word_with_a_hash_of_the_whole() -> None:
    snake = _names.python_name(LONG_ID)
    short = _names.shorten(snake, 64)
    assert len(short) <= 64
    assert short.startswith("get_companies_by_company_id_")
    assert short.endswith("_" + _names.short_hash(snake))
    assert short != _names.shorten(snake + "_and_more", 64)
    assert _names.shorten(snake, 64) == short
    pascal = _names.shorten(SCHEMA, 64)
    assert len(pascal) <= 64
    assert pascal.startswith("RechnungsdruckWebApp")
    assert pascal.endswith(_names.short_hash(SCHEMA).upper())
    assert _names.shorten("Short", 64) == "Short"


def test_name_tables_cut_long_names_and_keep_them_apart() -> None:
    table = _names.NameTable(max_length=20)
    first = table.take("a_rather_long_name_that_goes_on")
    again = table.take("a_rather_long_name_that_goes_on")
    assert len(first) <= 20 and len(again) <= 20
    assert first != again


def test_enum_members_named_after_sentences_are_cut_and_stay_unique() -> None:
    long = "CALENDAR_EVENT__SUBJECT_DESCRIPTION_LOCATION_START_END_ALL_DAY_EVENT__TRUE"
    source = (
        "from enum import StrEnum\nfrom pydantic import BaseModel\n\n"
        "class Kind(StrEnum):\n"
        f'    {long} = "a"\n    {long}_AGAIN = "b"\n    I = "I"\n    O_ = "o"\n\n'
        f"class Event(BaseModel):\n    kind: Kind = Kind.{long}\n"
    )
    fixed = ascii_enum_members(source)
    namespace: dict[str, object] = {}
    exec(compile(fixed, "models.py", "exec"), namespace)
    kind = namespace["Kind"]
    names = list(kind.__members__)  # type: ignore[attr-defined]
    assert len(set(names)) == 4
    assert all(len(name) <= ENUM_MEMBER_MAX for name in names)
    assert names[2] == "I_" and names[3] == "O_"
    assert names[0].startswith("CALENDAR_EVENT_SUBJECT_")
    assert [m.value for m in kind] == ["a", "b", "I", "o"]  # type: ignore[attr-defined]
    assert f"kind: Kind = Kind.{names[0]}" in fixed
    assert fixed == ascii_enum_members(source)


def test_argument_classes_that_fit_keep_their_name() -> None:
    source = (
        "from enum import StrEnum\nfrom pydantic import BaseModel\n\n"
        "class GetPetArgsStatus(StrEnum):\n    A = 'a'\n\n"
        "class GetPetArgs(BaseModel):\n    status: GetPetArgsStatus | None = None\n"
    )
    assert shorten_argument_classes(source, ["GetPetArgs"], ()) == source
