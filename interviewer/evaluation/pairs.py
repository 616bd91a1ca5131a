"""Contradiction pairs: a right answer to a pack question and one that reverses it, both graded from evidence.

The measure is how far apart the two land (at least PAIR_GAP points is the aim) and how often the reversal is
caught (a contradicted key point or a stated misconception). The CSV has the columns PAIR_COLUMNS.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from interviewer.errors import DatasetError
from interviewer.evaluation.datasets import read_csv_rows
from interviewer.evaluation.precomputed import case_texts, with_vectors_up_front
from interviewer.grading import Grader
from interviewer.packs import Question

PAIR_COLUMNS = ("question_id", "right_answer", "contradicting_answer", "what_is_reversed")
PAIR_GAP = 2.0  # a right answer and its reversal should be at least this many points apart


@dataclass(frozen=True)
class AnswerPair:
    line: int
    question: Question
    right_answer: str
    contradicting_answer: str
    what_is_reversed: str


@dataclass
class PairsReport:
    pairs: int
    mean_right: float
    mean_contradicting: float
    share_apart: float  # pairs at least PAIR_GAP points apart
    share_caught: float  # contradicting answers with a contradicted key point or a stated misconception
    close: list[dict[str, object]]  # the pairs less than PAIR_GAP apart
    seconds: float

    def as_json(self) -> dict[str, object]:
        return {
            "pairs": self.pairs,
            "mean_right": round(self.mean_right, 3),
            "mean_contradicting": round(self.mean_contradicting, 3),
            "share_apart": round(self.share_apart, 3),
            "share_caught": round(self.share_caught, 3),
            "close": self.close,
            "seconds": round(self.seconds, 1),
        }

    def lines(self) -> list[str]:
        """What `interviewer eval pairs` prints."""
        lines = [f"pairs {self.pairs}  right answers {self.mean_right:.2f}  contradicting answers "
                 f"{self.mean_contradicting:.2f}  {self.share_apart:.0%} at least {PAIR_GAP:g} points apart  "
                 f"reversal caught in {self.share_caught:.0%}  (evidence only, {self.seconds:.1f}s)"]
        lines += [f"  close (line {close['line']}, {close['question_id']}): {close['right']:.1f} vs "
                  f"{close['contradicting']:.1f}  {close['what_is_reversed']}" for close in self.close]
        return lines


def load_answer_pairs(path: Path, questions: dict[str, Question]) -> list[AnswerPair]:
    """Pairs of answers to one pack question: a right one and one that reverses it (CSV, PAIR_COLUMNS)."""
    pairs = []
    for number, row in read_csv_rows(path, PAIR_COLUMNS):
        question = questions.get((row["question_id"] or "").strip())
        if question is None:
            raise DatasetError(f"{path}:{number}: no question '{row['question_id']}' in the pack")
        if not (row["right_answer"] or "").strip() or not (row["contradicting_answer"] or "").strip():
            raise DatasetError(f"{path}:{number}: both answers are needed")
        pairs.append(AnswerPair(number, question, row["right_answer"] or "", row["contradicting_answer"] or "",
                                row["what_is_reversed"] or ""))
    if not pairs:
        raise DatasetError(f"{path} holds no pairs")
    return pairs


def evaluate_pairs(grader: Grader, pairs: Sequence[AnswerPair], seconds_started: float | None = None) -> PairsReport:
    """Grade both answers of every pair: how far apart a right answer and its reversal land."""
    started = time.perf_counter() if seconds_started is None else seconds_started
    texts = [text for pair in pairs for answer in (pair.right_answer, pair.contradicting_answer)
             for text in case_texts(pair.question, answer)]
    grader = with_vectors_up_front(grader, texts)
    right, wrong, close, caught = [], [], [], 0
    for pair in pairs:
        good = grader.grade(pair.question, pair.right_answer, use_model=False)
        bad = grader.grade(pair.question, pair.contradicting_answer, use_model=False)
        right.append(good.overall)
        wrong.append(bad.overall)
        caught += bool(bad.misconceptions or any(v.status == "contradicted" for v in bad.key_points))
        if good.overall - bad.overall < PAIR_GAP:
            close.append({"line": pair.line, "question_id": pair.question.id, "right": good.overall,
                          "contradicting": bad.overall, "what_is_reversed": pair.what_is_reversed})
    return PairsReport(
        pairs=len(pairs),
        mean_right=float(np.mean(right)),
        mean_contradicting=float(np.mean(wrong)),
        share_apart=1 - len(close) / len(pairs),
        share_caught=caught / len(pairs),
        close=close,
        seconds=time.perf_counter() - started,
    )


def run_pairs_evaluation(
    questions: dict[str, Question], dataset: Path | None = None, *, verifier: bool = True, seed: int = 0
) -> PairsReport:
    """`interviewer eval pairs`: the dataset's pairs (default: the built-in set) graded from evidence, with the
    learned verifier unless `verifier` is False (the rules then check reversals)."""
    from interviewer.grading.verifier import default_verifier
    from interviewer.resources import builtin_eval_dir
    from interviewer.retrieval.embeddings import default_embedder

    pairs = load_answer_pairs(dataset or builtin_eval_dir() / "contradiction-pairs.csv", questions)
    grader = Grader(embedder=default_embedder(), llm=None, seed=seed,
                    verifier=default_verifier() if verifier else None)
    return evaluate_pairs(grader, pairs)
