"""The guards with the real embedding model on a public short-answer set, read in place when it is present."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.real_model

MOHLER = REPO_ROOT.parent / "shared" / "datasets" / "mohler-odd.csv"


@pytest.mark.skipif(not MOHLER.is_file(), reason=f"the public short-answer set is not beside the repo ({MOHLER})")
def test_no_answer_people_scored_3_or_more_is_zeroed_on_the_public_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    predictions = tmp_path / "predictions.csv"
    result = run_cli("eval", "grading", "--dataset", str(MOHLER), "--predictions", str(predictions), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["skipped_rows"] == [], "a one-word reference answer is gradable"
    rows = list(csv.DictReader(predictions.open(encoding="utf-8")))
    false_zeros = [(row["question_id"], row["guard"]) for row in rows if row["guard"] and float(row["score"]) >= 3]
    assert false_zeros == []
