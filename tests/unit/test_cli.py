from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.errors import InterviewerError
from tests.conftest import run_cli
from tests.unit.test_packs import VALID

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    """Invoke the CLI in-process; an InterviewerError ends it with exit 1 as `main()` does."""
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, InterviewerError):
        return 1, result.stdout, result.exception.message
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


run_main = run_cli


def test_packs_validate_reports_problems_and_exits_nonzero(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID)
    bad.write_text(VALID.replace("difficulty: 1", "difficulty: 5"))
    code, stdout, stderr = run("packs", "validate", str(good), str(bad))
    assert code == 1
    assert f"{good}: ok (2 questions, 2 topics)" in stdout
    assert f"{bad}:13:17: difficulty must be 1, 2 or 3, not 5" in stderr
    assert run("packs", "validate", str(good))[0] == 0


def test_packs_validate_checks_cited_sections(tmp_path: Path) -> None:
    pack = tmp_path / "cites.yaml"
    pack.write_text(
        VALID.replace("      - id: fresh-data", "      - id: fresh-data", 1).replace(
            "    key_points:\n      - id: fresh-data",
            "    sections: [no-such-doc.md#Intro]\n    key_points:\n      - id: fresh-data",
            1,
        )
    )
    code, _, stderr = run("packs", "validate", str(pack))
    assert code == 1
    assert "section 'no-such-doc.md#Intro': no document named 'no-such-doc.md'" in stderr


def test_packs_new_writes_a_valid_pack_into_the_user_folder(isolated_environment: Path) -> None:
    code, stdout, _ = run("packs", "new", "my-pack")
    assert code == 0
    target = isolated_environment / "data" / "packs" / "my-pack.yaml"
    assert target.is_file() and str(target) in stdout
    assert run("packs", "new", "my-pack")[0] == 1, "never overwrites without --force"
    code, stdout, _ = run("packs", "list", "--json")
    listed = json.loads(stdout)
    assert any(p["name"] == "my-pack" and p["origin"] == "user" for p in listed["packs"])


def test_packs_list_reports_a_broken_user_pack_without_failing(isolated_environment: Path) -> None:
    user = isolated_environment / "data" / "packs"
    user.mkdir(parents=True)
    (user / "broken.yaml").write_text("name: [\n")
    code, _, stderr = run("packs", "list")
    assert code == 0
    assert "Skipped a broken pack" in stderr and "broken.yaml:" in stderr


def test_packs_schema_is_json() -> None:
    code, stdout, _ = run("packs", "schema")
    assert code == 0 and json.loads(stdout)["title"] == "interviewer question pack"


def test_config_show_lists_values_and_origins(isolated_environment: Path) -> None:
    code, stdout, _ = run("config", "show", "--json")
    payload = json.loads(stdout)
    assert code == 0
    assert payload["settings"]["data_dir"] == {
        "value": str(isolated_environment / "data"),
        "from": "env INTERVIEWER_DATA_DIR",
    }
    assert payload["settings"]["model_path"]["value"] == "(bundled SmolLM2-135M-Instruct)"


def test_search_without_a_store_says_what_to_run_and_shows_no_traceback(isolated_environment: Path) -> None:
    result = run_main("search", "how does HNSW work")
    assert result.returncode == 1
    assert "Knowledge store missing" in result.stderr and "interviewer ingest" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_file_is_reported_once_without_traceback(isolated_environment: Path) -> None:
    (isolated_environment / "config.toml").write_text("n_ctx = [\n")
    result = run_main("config", "show")
    assert result.returncode == 1
    assert "Configuration problem" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("heavy", ["torch", "sentence_transformers", "onnxruntime", "chromadb", "llama_cpp", "textual",
                                   "pydantic_settings"])
def test_help_does_not_import_heavy_modules(heavy: str) -> None:
    code = (  # tui.entry is what the `interviewer` script runs
        "import sys; import tui.entry; from interviewer.cli import app; from typer.testing import CliRunner; "
        f"CliRunner().invoke(app, ['--help']); print(sorted(m for m in sys.modules if m.split('.')[0] == {heavy!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_core_package_never_imports_the_ui() -> None:
    offenders = [
        path
        for path in Path("interviewer").rglob("*.py")
        if any(
            line.lstrip().startswith(("import textual", "from textual", "import tui", "from tui"))
            for line in path.read_text().splitlines()
        )
    ]
    assert offenders == []


def test_packs_show_lists_question_ids_and_a_wrong_id_names_the_closest() -> None:
    import json as _json

    from tests.conftest import run_cli

    shown = run_cli("packs", "show", "genai-core", "--json")
    assert shown.returncode == 0, shown.stderr
    rows = _json.loads(shown.stdout)["questions"]
    assert len(rows) >= 200 and {"id", "topic", "difficulty", "key_points", "misconceptions",
                                 "reference_only"} <= set(rows[0])
    wrong = run_cli("grade", "--pack", "genai-core", "--question", "fine-tuning-lora", "--answer", "x")
    assert wrong.returncode != 0
    assert "fine-tuning-lora-how-it-works" in wrong.stderr and "Traceback" not in wrong.stderr
