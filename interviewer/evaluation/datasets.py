"""Grading datasets: the CSV rows a grader is measured on, the rows that cannot be graded, and how rows are split.

A dataset is a CSV with columns question, reference_answer, student_answer, score (0-5) and optionally
question_id, kind and key_points (`;`-separated; derived from the reference answer's sentences when absent). Any
real dataset is accepted: a one-word reference answer ("push") is a reference answer, and a row that cannot be
graded (no score, an empty question) is reported with its line and skipped, never fatal to the run. Rows that
name a pack question can be graded exactly as an interview grades it (`with_pack_questions`); rows of one
question stay together when questions are held out (`question_key`, `question_folds`).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from interviewer.errors import DatasetError
from interviewer.grading import Grade
from interviewer.packs import REFERENCE_ONLY_TAG, KeyPoint, Question
from interviewer.text import reference_statements

REQUIRED_COLUMNS = ("question", "reference_answer", "student_answer", "score")


@dataclass(frozen=True)
class SkippedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class GradingCase:
    row: dict[str, str]
    question: Question
    answer: str
    human_score: float


def read_csv_rows(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str | None]]]:
    """Each row of a CSV with the line it starts on (a quoted answer may span several lines), a short row's
    missing fields as None; a file that cannot be read, or lacks a `required` column, is a DatasetError."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            numbered, start = [], reader.line_num + 1
            for row in reader:
                # Fields past the header (DictReader's None key) belong to no column.
                numbered.append((start, {key: value for key, value in row.items() if key is not None}))
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    missing = [column for column in required if column not in columns]
    if missing:
        raise DatasetError(f"{path} lacks the column(s) {', '.join(missing)}; needs {', '.join(required)}")
    return numbered


def load_grading_dataset(path: Path, skipped: list[SkippedRow] | None = None) -> list[GradingCase]:
    """The gradable rows of a dataset; each row that cannot be graded is appended to `skipped` with its line."""
    numbered = read_csv_rows(path, REQUIRED_COLUMNS)
    cases = []
    problems: list[SkippedRow] = []
    for number, fields in numbered:
        problem = _row_problem(fields)
        if problem is not None:
            problems.append(SkippedRow(number, problem))
            continue
        row = {key: value or "" for key, value in fields.items()}
        given = [p.strip() for p in (row.get("key_points") or "").split(";") if p.strip()]
        # Given key points are authored, even one (a disputed follow-up asked about a single key point).
        authored = bool(given)
        statements = given[:6] if authored else reference_statements(row["reference_answer"].strip())
        question = _question_for_row(number, row, statements, reference_only=not authored)
        cases.append(GradingCase(row, question, row.get("student_answer") or "", float(row["score"])))
    if skipped is not None:
        skipped.extend(problems)
    if not cases:
        reasons = "; ".join(f"{path}:{p.line}: {p.reason}" for p in problems[:5])
        raise DatasetError(f"{path} holds no gradable rows" + (f" ({reasons})" if reasons else ""))
    return cases


def with_pack_questions(
    cases: Sequence[GradingCase], questions: dict[str, Question], *, misconceptions_only: bool = False
) -> list[GradingCase]:
    """Rows naming a pack question (a question_id column and the same question text) are graded exactly as an
    interview grades that question: its key points, weights and misconceptions. `misconceptions_only` keeps the
    row's own key points and adds only the pack's misconceptions (the older behaviour, for comparison)."""
    enriched = []
    for case in cases:
        known = questions.get((case.row.get("question_id") or "").strip())
        if known is not None and " ".join(known.question.split()) == " ".join(case.question.question.split()):
            if misconceptions_only:
                case = replace(case, question=case.question.model_copy(
                    update={"misconceptions": known.misconceptions}))
            else:
                case = replace(case, question=known)
        enriched.append(case)
    return enriched


def _row_problem(row: dict[str, str | None]) -> str | None:
    if row.get("score") is None:
        return "the row has fewer fields than the header (no score)"
    try:
        score = float(row["score"] or "")
    except (TypeError, ValueError):
        return f"score {row['score']!r} is not a number"
    if not 0 <= score <= 5:
        return f"score {score} is outside 0-5"
    if not (row.get("question") or "").strip() or not (row.get("reference_answer") or "").strip():
        return "question and reference_answer must not be empty"
    return None


def _question_for_row(number: int, row: dict[str, str], statements: list[str], *, reference_only: bool) -> Question:
    # Built without the pack schema's length rules: a dataset's one-word reference answer ("push") or short
    # question ("Why?") is what people were graded against, and grading it needs no more.
    return Question.model_construct(
        id=f"row-{number}",
        topic="eval",
        difficulty=2,
        kind="concept",
        question=row["question"].strip(),
        reference_answer=row["reference_answer"].strip(),
        key_points=[
            KeyPoint.model_construct(
                id=f"k{i + 1}", statement=statement, weight=1.0, probe="What else belongs in a complete answer?"
            )
            for i, statement in enumerate(statements)
        ],
        follow_ups=[],
        misconceptions=[],
        tags=[REFERENCE_ONLY_TAG] if reference_only else [],
        sections=[],
    )


def sample(cases: Sequence[GradingCase], limit: int | None, seed: int) -> list[GradingCase]:
    if limit is None or limit >= len(cases):
        return list(cases)
    return random.Random(seed).sample(list(cases), limit)


def question_key(case: GradingCase) -> str:
    """What makes rows the same question: the dataset's question_id, else the question's text."""
    return (case.row.get("question_id") or "").strip() or case.question.question


def question_folds(keys: Sequence[str], folds: int, seed: int = 0) -> list[int]:
    """The fold of each row when whole questions are held out: every row of a question lands in the same fold, and
    the questions are shuffled (by `seed`) and dealt round the folds, so fold sizes differ by at most one question."""
    questions = sorted(set(keys))
    if len(questions) < 2:
        raise DatasetError("holding out by question needs at least two questions")
    folds = min(folds, len(questions))
    if folds < 2:
        raise DatasetError("holding out by question needs at least two folds")
    order = np.random.default_rng(seed).permutation(len(questions))
    fold_of_question = {questions[index]: position % folds for position, index in enumerate(order)}
    return [fold_of_question[key] for key in keys]


def write_predictions(path: Path, cases: Sequence[GradingCase], grades: Sequence[Grade]) -> None:
    # A row longer than its header keeps the surplus under the key None: not a column to write.
    columns = [c for c in dict.fromkeys([*cases[0].row.keys(), "predicted_score", "guard", "flags"]) if c is not None]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for case, grade in zip(cases, grades, strict=True):
            writer.writerow(
                {
                    **case.row,
                    "predicted_score": grade.overall,
                    "guard": grade.guard or "",
                    "flags": " ".join(grade.flags),
                }
            )
