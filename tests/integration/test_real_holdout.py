"""Grading held out by question on a public short-answer set (Mohler 2011, odd assignments), read in place.

The answers' vectors are kept in pytest's cache between runs, keyed by a digest of each text (the set's own text
is never written anywhere): the first run embeds about ten thousand texts, later runs only grade.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from interviewer.evaluation.datasets import load_grading_dataset
from interviewer.evaluation.grading import grade_cases, holdout_by_question
from interviewer.grading import Grader
from interviewer.grading.verifier import default_verifier
from interviewer.retrieval.embeddings import Embedder, default_embedder
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.real_model

MOHLER = REPO_ROOT.parent / "shared" / "datasets" / "mohler-odd.csv"


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """The real embedder behind a file of the vectors it has already computed, keyed by text digest."""

    def __init__(self, embedder: Embedder, path) -> None:  # type: ignore[no-untyped-def]
        self.embedder, self.path = embedder, path
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self.vectors: dict[str, np.ndarray] = {}
        self.added = 0
        if path.is_file():
            stored = np.load(path, allow_pickle=False)
            self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if _key(text) not in self.vectors]
        if missing:
            self.vectors.update(zip(map(_key, missing), self.embedder.encode(missing), strict=True))
            self.added += len(missing)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vectors[_key(text)] for text in texts])

    def save(self) -> None:
        if self.added:
            keys = list(self.vectors)
            np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))


@pytest.mark.skipif(not MOHLER.is_file(), reason=f"the public short-answer set is not beside the repo ({MOHLER})")
def test_held_out_by_question_the_public_set_is_graded_like_a_second_human(request: pytest.FixtureRequest) -> None:
    real = default_embedder()
    digest = hashlib.sha256(MOHLER.read_bytes() + real.model_id.encode()).hexdigest()[:16]
    embedder = CachedEmbedder(real, request.config.cache.mkdir("mohler-vectors") / f"{digest}.npz")
    cases = load_grading_dataset(MOHLER)
    grader = Grader(embedder=embedder, llm=None, verifier=default_verifier())  # as the product grades
    grades = grade_cases(grader, cases, use_model=False)
    embedder.save()
    report, _ = holdout_by_question(grader, cases, grades, folds=5)
    # Measured 0.638 / 0.841 with the verifier (0.649 / 0.832 by the rules alone); published graders reach
    # 0.52-0.61, the two human graders agree at ~0.60.
    assert report.questions == 39 and report.folds == 5
    assert report.metrics["pearson"] >= 0.60
    assert report.metrics["rmse"] <= 0.9
    assert min(fold["pearson"] for fold in report.per_fold) >= 0.45


def test_eval_grading_cli_holds_out_by_question_and_names_the_rows_it_skips(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv
    import json

    from tests.conftest import run_cli

    made_up = {
        "stack": ("What does pop do on a stack?", "pop", ["pop", "It removes and returns the top item.",
                                                             "It adds an item.", "no idea what that is"]),
        "queue": ("In what order does a queue serve items?", "First in, first out.",
                  ["FIFO", "first in first out", "last in first out", "bananas"]),
        "hash": ("What makes a hash table lookup fast?", "Hashing the key gives the bucket directly.",
                 ["the hash of the key points at the bucket", "hashing", "sorting the keys", "the weather"]),
    }
    path = tmp_path / "made-up.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question_id", "question", "reference_answer", "student_answer", "score"])
        for qid, (question, reference, answers) in made_up.items():
            for answer, score in zip(answers, ("5", "4", "1", "0"), strict=True):
                writer.writerow([qid, question, reference, answer, score])
        writer.writerow(["stack", "What does pop do on a stack?", "pop", "pops it", "five"])
    result = run_cli("eval", "grading", "--dataset", str(path), "--holdout-by-question", "3", "--json")
    assert result.returncode == 0, result.stderr
    assert f"{path}:14: score 'five' is not a number" in result.stderr
    payload = json.loads(result.stdout)
    assert payload["rows"] == 12 and payload["skipped_rows"] == [{"line": 14, "reason": "score 'five' is not a number"}]
    held = payload["holdout_by_question"]
    assert held["questions"] == 3 and held["folds"] == 3 and len(held["per_fold"]) == 3
    assert {"pearson", "spearman", "rmse", "qwk", "spread"} <= set(held)
    plain = run_cli("eval", "grading", "--dataset", str(path), "--holdout-by-question", "3")
    assert "held out by question (3 folds over 3 questions" in plain.stdout and "per fold pearson" in plain.stdout
