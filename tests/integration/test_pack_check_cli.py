"""`interviewer packs check` run as an author runs it, with the real models, on a pack of their own."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_cli

pytestmark = pytest.mark.real_model


def test_an_author_sees_which_questions_fail_and_what_to_change() -> None:
    packs = Path(os.environ["INTERVIEWER_DATA_DIR"]) / "packs"
    packs.mkdir(parents=True)
    shutil.copy(FIXTURES / "packs" / "starter.yaml", packs / "starter.yaml")

    done = run_cli("packs", "check", "starter", "--json")
    report = json.loads(done.stdout)
    assert report["pack"] == "starter" and report["questions"] == 12
    failed = [row for row in report["results"] if not row["passed"]]
    assert done.returncode == (1 if failed else 0), done.stderr
    assert all(row["fix"] for row in failed), "every failure says what to change"
    dont_know = [row for row in report["results"] if row["kind"] == "dont-know"]
    assert len(dont_know) == 12 and all(row["score"] == 0 for row in dont_know)
    for row in report["results"]:
        if row["kind"] == "reference-answer" and not row["passed"]:
            assert row["score"] < 4.5 and "key point '" in row["fix"], "a failing reference names its key point"

    table = run_cli("packs", "check", "starter")
    assert "questions pass" in table.stdout
