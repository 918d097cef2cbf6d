"""`specagent check`: the committed package against what the inputs generate now.

The petstore package is generated once into a temporary folder with the CLI, as a user would,
and each test works on its own copy. Reporting details (trimming, notes from the manifest) are
tested on `compare_package`/`format_check` directly, which need no regeneration.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path, PurePosixPath

import click
import pytest
from click.testing import CliRunner, Result
from specagent import __version__, cli
from specagent.check import compare_package, format_check, read_manifest

ROOT = Path(__file__).resolve().parents[2]
PETSTORE = ROOT / "examples" / "petstore"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated petstore package, never modified (tests copy it)."""
    folder = tmp_path_factory.mktemp("generated")
    shutil.copy(PETSTORE / "openapi.yaml", folder / "openapi.yaml")
    shutil.copy(PETSTORE / "agent.yaml", folder / "agent.yaml")
    out = folder / "petstore_agent"
    result = run(
        "generate",
        str(folder / "openapi.yaml"),
        "--tasks",
        str(folder / "agent.yaml"),
        "--out",
        str(out),
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    return folder


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(generated, copy)
    return copy


def check(project: Path, *extra: str, agent: bool = True) -> Result:
    args = ["check", str(project / "openapi.yaml"), "--out", str(project / "petstore_agent")]
    if agent:
        args += ["--tasks", str(project / "agent.yaml")]
    return run(*args, *extra)


def test_fresh_package_is_up_to_date(project: Path) -> None:
    result = check(project)
    assert result.exit_code == 0, result.output
    files = sum(1 for path in (project / "petstore_agent").rglob("*") if path.is_file())
    assert result.stdout.strip().endswith(f"petstore_agent is up to date ({files} files)")


def test_committed_petstore_example_is_up_to_date() -> None:
    # --full: regenerated with this generator, not only proven by its manifest.
    result = run(
        "check",
        "--full",
        str(PETSTORE / "openapi.yaml"),
        "--tasks",
        str(PETSTORE / "agent.yaml"),
        "--out",
        str(PETSTORE / "petstore_agent"),
    )
    assert result.exit_code == 0, result.stdout[-3000:]
    files = sum(1 for path in (PETSTORE / "petstore_agent").rglob("*") if path.is_file())
    files -= sum(1 for path in (PETSTORE / "petstore_agent").rglob("*.pyc"))
    assert result.stdout.splitlines()[-1].endswith(f"petstore_agent is up to date ({files} files)")


def test_edited_description_makes_it_stale_with_the_diff(project: Path) -> None:
    spec = project / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    old = "summary: Find purchase order by ID."
    assert text.count(old) == 1
    spec.write_text(text.replace(old, "summary: Look up a purchase order by its ID."), "utf-8")
    result = check(project)
    assert result.exit_code == 1
    out = result.stdout
    assert "note: the spec changed since the package was generated: openapi.yaml" in out
    assert "+++ " in out and "petstore_agent/client.py (regenerated)" in out
    assert '-        """Find purchase order by ID.' in out
    assert '+        """Look up a purchase order by its ID.' in out
    assert "is stale:" in out.splitlines()[-1] and "files changed" in out.splitlines()[-1]
    assert "Traceback" not in result.output


def test_deleted_file_makes_it_stale(project: Path) -> None:
    (project / "petstore_agent" / "auth.py").unlink()
    result = check(project)
    assert result.exit_code == 1
    assert "--- /dev/null" in result.stdout
    assert "petstore_agent/auth.py (regenerated)" in result.stdout
    assert "1 file missing (would be added)" in result.stdout.splitlines()[-1]


def test_extra_file_makes_it_stale(project: Path) -> None:
    (project / "petstore_agent" / "notes.txt").write_text("mine\n", encoding="utf-8")
    pycache = project / "petstore_agent" / "__pycache__"
    pycache.mkdir()
    (pycache / "models.cpython-311.pyc").write_bytes(b"\0")  # caches are not the package's
    result = check(project)
    assert result.exit_code == 1
    assert "extra file" in result.stdout and "notes.txt" in result.stdout
    assert "pycache" not in result.stdout
    assert "1 file extra (would be removed)" in result.stdout.splitlines()[-1]


def test_missing_agent_file_and_other_generator_version_are_explained(project: Path) -> None:
    manifest_path = project / "petstore_agent" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["generator"]["version"] = "0.0.1"
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    result = check(project, agent=False)
    assert result.exit_code == 1
    out = result.stdout
    assert f"generated by specagent 0.0.1, this is specagent {__version__}" in out
    assert "generated with the agent file agent.yaml, none was given now: pass it with" in out
    # Regenerating "with the same arguments" (no --tasks) would delete tasks.py: not advised.
    assert "with the same arguments" not in out
    assert "run `specagent check` again with `--tasks`" in out


def test_no_package_is_bad_input(tmp_path: Path) -> None:
    result = run("check", str(PETSTORE / "openapi.yaml"), "--out", str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert "there is no package in this folder to check" in result.stderr


def test_a_folder_that_is_not_a_package_is_bad_input(project: Path) -> None:
    other = project / "src"
    other.mkdir()
    (other / "app.py").write_text("print('mine')\n", encoding="utf-8")
    result = run("check", str(project / "openapi.yaml"), "--out", str(other))
    assert result.exit_code == 2
    assert "holds no package generated by specagent" in result.stderr


def test_bad_spec_is_bad_input(project: Path) -> None:
    (project / "openapi.yaml").write_text("openapi: 3.0.3\ninfo: [\n", encoding="utf-8")
    result = check(project)
    assert result.exit_code == 2
    assert "openapi.yaml" in result.stderr and "Traceback" not in result.output


def test_strict_recorded_in_the_manifest_is_used_again(project: Path) -> None:
    manifest_path = project / "petstore_agent" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["options"]["strict"] = True
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    spec = project / "openapi.yaml"
    # A fault the loader repairs with a warning: fatal once --strict applies.
    text = spec.read_text(encoding="utf-8").replace("  /pet:\n", "  pet:\n", 1)
    spec.write_text(text, encoding="utf-8")
    result = check(project)
    assert result.exit_code == 2, result.output
    assert "--strict treats warnings as errors" in result.stderr


# --- deciding from the manifest, without regenerating --------------------------------------


@pytest.fixture
def no_regeneration(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts regenerations: check calls `generate` only when the manifest proves nothing."""
    from specagent import _generate  # noqa: PLC0415

    calls: list[str] = []
    real = _generate.generate

    def counting(*args: object, **kwargs: object) -> object:
        calls.append("generate")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_generate, "generate", counting)
    return calls


def test_unchanged_package_is_up_to_date_without_regenerating(
    project: Path, no_regeneration: list[str]
) -> None:
    result = check(project)
    assert result.exit_code == 0, result.output
    assert no_regeneration == []
    files = sum(1 for path in (project / "petstore_agent").rglob("*") if path.is_file())
    assert (
        result.stdout.strip()
        == f"{(project / 'petstore_agent').as_posix()} is up to date ({files} files)"
    )
    assert check(project, "--full").exit_code == 0
    assert no_regeneration == ["generate"]


def test_manifest_lists_every_file_with_its_digest(project: Path) -> None:
    package = project / "petstore_agent"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {"manifest.json"}
    for name, recorded in manifest["files"].items():
        assert recorded == "sha256:" + hashlib.sha256((package / name).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("client.py", "class AsyncClient(", "class AsyncClient(  "),
        ("agent.json", '"confirm": true', '"confirm": false'),
        ("README.md", "# ", "#  "),
        ("py.typed", "", "partial\n"),
    ],
)
def test_hand_edited_file_is_caught(
    project: Path, no_regeneration: list[str], name: str, old: str, new: str
) -> None:
    path = project / "petstore_agent" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = check(project)
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert f"note: edited by hand after generation: {name}" in result.stdout
    assert f"petstore_agent/{name} (regenerated)" in result.stdout


def test_hand_edited_manifest_is_caught(project: Path, no_regeneration: list[str]) -> None:
    path = project / "petstore_agent" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["api"]["title"] = "Not the petstore"
    path.write_text(json.dumps(manifest, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    result = check(project)
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert "petstore_agent/manifest.json (regenerated)" in result.stdout
    assert '+    "title": "Swagger Petstore - OpenAPI 3.0",' in result.stdout


def test_changed_option_is_caught(project: Path, no_regeneration: list[str]) -> None:
    result = check(project, "--allow-outside-refs")
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert "generation options differ: the package used no options, this check used " in (
        result.stdout
    )
    assert '+    "allow_outside_refs": true,' in result.stdout


def test_other_package_name_is_caught(project: Path, no_regeneration: list[str]) -> None:
    result = check(project, "--package", "other_agent")
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert "the package is named `petstore_agent`, regenerated as `other_agent`" in result.stdout


def test_new_generator_version_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_regeneration: list[str]
) -> None:
    """A package an older specagent wrote, untouched since (its manifest sealed as written):
    the manifest cannot prove what this version generates."""
    from specagent.render import _tool_schema  # noqa: PLC0415

    shutil.copy(PETSTORE / "openapi.yaml", tmp_path / "openapi.yaml")
    shutil.copy(PETSTORE / "agent.yaml", tmp_path / "agent.yaml")
    with monkeypatch.context() as patch:
        patch.setattr(_tool_schema, "__version__", "0.0.9")
        args = ["generate", str(tmp_path / "openapi.yaml"), "--tasks", str(tmp_path / "agent.yaml")]
        assert run(*args, "--out", str(tmp_path / "petstore_agent"), "-q").exit_code == 0
    result = check(tmp_path)
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert f"generated by specagent 0.0.9, this is specagent {__version__}" in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        f"{(tmp_path / 'petstore_agent').as_posix()} is stale: 1 file changed"
    )


def test_changed_agent_file_is_caught(project: Path, no_regeneration: list[str]) -> None:
    agent = project / "agent.yaml"
    agent.write_text(agent.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    result = check(project)
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert "note: the agent file changed since the package was generated: agent.yaml" in (
        result.stdout
    )


def test_agent_file_given_or_left_out_is_caught(project: Path, no_regeneration: list[str]) -> None:
    result = check(project, agent=False)
    assert result.exit_code == 1
    assert no_regeneration == ["generate"]


def test_changed_referenced_spec_file_is_caught(tmp_path: Path, no_regeneration: list[str]) -> None:
    """A spec split across files: the manifest lists each, and a change to one it `$ref`s is
    a changed input even though the file given on the command line is the same."""
    (tmp_path / "pet.yaml").write_text(
        "type: object\nproperties:\n  name: {type: string}\n", encoding="utf-8"
    )
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: Split, version: '1'}\npaths:\n  /pets/{id}:\n"
        "    get:\n      operationId: getPet\n      parameters:\n"
        "        - {name: id, in: path, required: true, schema: {type: string}}\n"
        "      responses:\n        '200':\n          description: ok\n          content:\n"
        "            application/json:\n              schema: {$ref: 'pet.yaml'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "split_agent"
    assert run("generate", str(tmp_path / "openapi.yaml"), "--out", str(out), "-q").exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]["spec"]) == {"openapi.yaml", "pet.yaml"}
    args = ["check", str(tmp_path / "openapi.yaml"), "--out", str(out)]
    assert run(*args).exit_code == 0
    assert no_regeneration == []
    (tmp_path / "pet.yaml").write_text(
        "type: object\nproperties:\n  name: {type: string}\n  age: {type: integer}\n",
        encoding="utf-8",
    )
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert no_regeneration == ["generate"]
    assert "the spec changed since the package was generated: pet.yaml" in result.stdout


# --- the report, without regenerating --------------------------------------------------------


def _package(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_long_diffs_are_trimmed_but_every_file_is_named(tmp_path: Path) -> None:
    manifest = json.dumps({"generator": {"name": "specagent", "version": __version__}})
    old = {"a.py": "\n".join(f"a = {n}" for n in range(500)), "b.py": "b = 1\n"}
    new = {"a.py": "\n".join(f"a_{n} = {n}" for n in range(500)), "b.py": "b = 2\n"}
    _package(tmp_path, {**old, "manifest.json": manifest})
    files = {PurePosixPath(k): v for k, v in {**new, "manifest.json": manifest}.items()}
    report = compare_package(files, tmp_path)
    assert [change.path for change in report.changes] == ["a.py", "b.py"]
    text = format_check(report, max_lines=50)
    lines = text.splitlines()
    assert len(lines) < 70
    assert any(line.startswith("... ") and "more diff lines in a.py" in line for line in lines)
    assert any(line.endswith("b.py (regenerated)") for line in lines)
    assert "diff lines not shown (--max-diff-lines 0 shows all)" in lines[-1]
    assert len(format_check(report, max_lines=0).splitlines()) > 1000


def test_identical_folder_reads_up_to_date(tmp_path: Path) -> None:
    files = {"x.py": "x = 1\n", "manifest.json": "{}\n"}
    _package(tmp_path, files)
    report = compare_package({PurePosixPath(k): v for k, v in files.items()}, tmp_path)
    assert not report.stale
    assert format_check(report) == f"{tmp_path.as_posix()} is up to date (2 files)"
    assert read_manifest(tmp_path) == {}


# --- the CI recipe in examples/ci ------------------------------------------------------------


def _commands(text: str) -> list[list[str]]:
    """`specagent ...` command lines in shell snippets (continuations joined)."""
    joined = text.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        words = line.split()
        if "specagent" in words and words.index("specagent") + 1 < len(words):
            found.append(words[words.index("specagent") + 1 :])
    return found


def test_ci_recipe_uses_commands_and_options_that_exist() -> None:
    import yaml  # noqa: PLC0415

    ci = ROOT / "examples" / "ci"
    workflow = yaml.safe_load((ci / "specagent.yml").read_text(encoding="utf-8"))
    scripts = [step.get("run", "") for step in workflow["jobs"]["specagent"]["steps"]]
    hooks = yaml.safe_load((ci / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    config = yaml.safe_load((ci / "pre-commit-config.example.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for hook in hooks]
    entries += [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    commands = [words for text in [*scripts, *entries] for words in _commands(text)]
    assert {words[0] for words in commands} == {"check", "diff", "generate"}
    for words in commands:
        command = cli.main.get_command(click.Context(cli.main), words[0])
        assert command is not None, words
        options = {name for param in command.params for name in getattr(param, "opts", [])}
        used = {word for word in words if word.startswith("-")}
        assert used <= options, (words, used - options)


def test_hand_edits_to_files_the_manifest_lists_are_named(project: Path) -> None:
    package = project / "petstore_agent"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    assert "agent.json" in manifest["files"]
    data = json.loads((package / "agent.json").read_text(encoding="utf-8"))
    data["agent"]["instructions"] = "Be terse."
    (package / "agent.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    report = compare_package({}, package)
    assert any(
        note.startswith("edited by hand after generation: agent.json") for note in report.notes
    )
