"""A learner's own material end to end, with the real models: import a CSV of their questions, self-test the pack,
ingest it, and practise on it in the plain interview, with their own answers cited under the grade."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_model

# A learner's spreadsheet: long answers, quoted, on one line each.
CSV = """\
Question,Answer,Topic
What does a failing readiness probe do to a pod?,"A failing readiness probe removes the pod from the Service's endpoints, so it gets no traffic; the container is not restarted.",probes
What does a failing liveness probe do?,"The kubelet restarts the container when its liveness probe keeps failing.",probes
What do maxSurge and maxUnavailable control in a rolling update?,"maxSurge bounds how many extra pods may exist above the desired count during the update, and maxUnavailable bounds how many may be missing.",rollouts
"""  # noqa: E501


def run(*args: str, stdin: str = "", env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interviewer.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=900, env=env)


def test_import_check_and_practise_on_your_own_questions(tmp_path: Path) -> None:
    env = {**os.environ, "INTERVIEWER_STORE_DIR": str(tmp_path / "store")}
    source = tmp_path / "kubernetes.csv"
    source.write_text(CSV, encoding="utf-8")

    imported = run("packs", "import", str(source), "--name", "k8s", "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    shown = json.loads(run("packs", "show", "k8s", "--json", env=env).stdout)
    rows = shown["questions"] if isinstance(shown, dict) else shown
    assert len(rows) == 3 and all(row["reference_only"] for row in rows)
    assert {row["topic"] for row in rows} == {"probes", "rollouts"}

    checked = run("packs", "check", "k8s", "--json", env=env)
    report = json.loads(checked.stdout)
    assert report["questions"] == 3 and checked.returncode in (0, 1)
    assert all(row["score"] == 0 for row in report["results"] if row["kind"] == "dont-know")

    assert run("ingest", env=env).returncode == 0
    found = json.loads(run("search", "readiness probe endpoints traffic", "--topic", "probes", "--json",
                           env=env).stdout)
    assert found and found[0]["source"] == "k8s-notes.md"

    answer = ("It takes the pod out of the Service endpoints so no traffic reaches it, "
              "but it does not restart the container.\n.\n")
    practised = run("interview", "--plain", "--pack", "k8s", "--topics", "probes", "--questions", "1",
                    "--follow-ups", "0", "--no-model", stdin=answer * 2, env=env)
    assert practised.returncode == 0, practised.stderr
    assert "Score " in practised.stdout and "Traceback" not in practised.stderr
    references = [line for line in practised.stdout.splitlines() if line.startswith("References:")]
    assert references and "k8s-notes.md" in references[0], practised.stdout
