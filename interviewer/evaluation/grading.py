"""Measuring the grader against human scores, and fitting its calibration.

The dataset is a CSV with columns question, reference_answer, student_answer, score (0-5) and optionally
key_points (`;`-separated; derived from the reference answer's sentences when absent). Any real dataset is
accepted: a one-word reference answer ("push") is a reference answer, and a row that cannot be graded (no score,
an empty question) is reported with its line and skipped, never fatal to the run. Grading thousands of
answers stays fast because every text the grader will embed is encoded up front in large batches.

Calibration: the grader's per-key-point evidence (similarity and word overlap of every answer span) is computed
once; a grid search over the coverage curve (slope, threshold, overlap weight) with a least-squares overall map
picks the parameters with the best 5-fold cross-validated RMSE, and the figures reported are the held-out ones.
Rows with no key points (reference-only questions) fit the separate `reference_only` map instead: non-negative
least squares over the answer's match with the whole reference (interviewer/grading/reference_match.py).

Held out by question (`holdout_by_question`): the questions are dealt into k folds; each fold's rows are graded
with maps fitted on the other folds' rows only, so the pooled figures say what to expect on questions never seen.
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from interviewer.errors import DatasetError
from interviewer.grading import REFERENCE_ONLY_TAG, Calibration, Grade, Grader
from interviewer.grading.evidence import AnswerEvidence
from interviewer.grading.evidence import texts_to_embed as evidence_texts
from interviewer.grading.guards import sanitise
from interviewer.grading.reference_match import FEATURES, ReferenceCalibration, match_reference
from interviewer.grading.reference_match import texts_to_embed as reference_texts
from interviewer.grading.score import cosine_coverage, score_answer, score_point, soft_misconception_of
from interviewer.packs import KeyPoint, Question
from interviewer.retrieval.embeddings import Embedder
from interviewer.text import split_sentences

REQUIRED_COLUMNS = ("question", "reference_answer", "student_answer", "score")
ProgressCallback = Callable[[int, int], None]


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


def _derive_key_points(reference_answer: str) -> list[str]:
    """Up to six key points from a reference answer: its sentences, longest first when there are many."""
    sentences = [s for s in split_sentences(reference_answer) if len(s.split()) >= 3]
    if len(sentences) < 2:
        parts = re.split(r",\s+|;\s+|\s+and\s+", reference_answer)
        sentences = [p.strip() for p in parts if len(p.split()) >= 2] or [reference_answer, reference_answer]
    if len(sentences) > 6:
        keep = sorted(sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))[:6])
        sentences = [sentences[i] for i in keep]
    return sentences[:6] if len(sentences) >= 2 else sentences * 2


def load_grading_dataset(path: Path, skipped: list[SkippedRow] | None = None) -> list[GradingCase]:
    """The gradable rows of a dataset; each row that cannot be graded is appended to `skipped` with its line."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            # Each row with the line it starts on: a quoted answer may span several lines.
            numbered, start = [], reader.line_num + 1
            for row in reader:
                numbered.append((start, row))
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise DatasetError(f"{path} lacks the column(s) {', '.join(missing)}; needs {', '.join(REQUIRED_COLUMNS)}")
    cases = []
    problems: list[SkippedRow] = []
    for number, row in numbered:
        problem = _row_problem(row)
        if problem is not None:
            problems.append(SkippedRow(number, problem))
            continue
        given = [p.strip() for p in (row.get("key_points") or "").split(";") if p.strip()]
        # Given key points are authored, even one (a disputed follow-up asked about a single key point).
        authored = bool(given)
        statements = given[:6] if authored else _derive_key_points(row["reference_answer"].strip())
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


class PrecomputedEmbedder:
    """Serves vectors encoded up front in large batches; texts it has not seen go to the real embedder."""

    def __init__(
        self, embedder: Embedder, texts: Sequence[str], on_progress: ProgressCallback | None = None, block: int = 512
    ) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        unique = list(dict.fromkeys(texts))
        self._vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), block):
            part = unique[start : start + block]
            for text, vector in zip(part, embedder.encode(part), strict=True):
                self._vectors[text] = vector
            if on_progress is not None:
                on_progress(min(start + block, len(unique)), len(unique))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [text for text in texts if text not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing), strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])


def texts_to_embed(cases: Sequence[GradingCase]) -> list[str]:
    """Every text the grader will ask the embedder for (the evidence path's own list, per case)."""
    texts: list[str] = []
    for case in cases:
        texts.extend(_case_texts(case.question, case.answer))
    return texts


def _case_texts(question: Question, answer: str) -> list[str]:
    sentences = sanitise(answer).sentences
    statements = [point.statement for point in question.key_points] + [m.claim for m in question.misconceptions]
    texts = evidence_texts(statements, sentences)
    if REFERENCE_ONLY_TAG in question.tags:
        texts.extend(reference_texts(question.question, question.reference_answer, sentences))
    return texts


# --- metrics ---------------------------------------------------------------------------------------------


def quadratic_weighted_kappa(gold: Sequence[int], predicted: Sequence[int], levels: int = 6) -> float:
    observed = np.zeros((levels, levels))
    for g, p in zip(gold, predicted, strict=True):
        observed[g, p] += 1
    weights = np.array([[(i - j) ** 2 / (levels - 1) ** 2 for j in range(levels)] for i in range(levels)])
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(1, observed.sum())
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else 1.0


def agreement_metrics(gold: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr

    g, p = np.asarray(gold, dtype=float), np.asarray(predicted, dtype=float)
    constant = g.std() == 0 or p.std() == 0
    return {
        "pearson": float("nan") if constant else float(pearsonr(g, p)[0]),
        "spearman": float("nan") if constant else float(spearmanr(g, p)[0]),
        "qwk": quadratic_weighted_kappa([int(round(x)) for x in g], [int(round(x)) for x in p]),
        "rmse": float(math.sqrt(np.mean((g - p) ** 2))),
        "mae": float(np.mean(np.abs(g - p))),
    }


# Kinds of answer an evaluation set may label (its `kind` column): a right, complete answer, and a confidently
# wrong one (fluent, on topic, its claims reversed).
STRONG_KINDS = frozenset({"strong", "right"})
WRONG_KINDS = frozenset({"wrong", "reversed", "contradicting"})
STRONG_FLOOR, WRONG_CEILING, APART = 2.5, 3.0, 2.0


def kind_figures(cases: Sequence[GradingCase], predicted: Sequence[float]) -> dict[str, float] | None:
    """For a set labelled by kind: strong answers under 2.5, wrong answers at 3 or more and their mean, and the
    share of questions whose strong and wrong answers are at least 2 points apart. None without such labels."""
    strong: dict[str, list[float]] = {}
    wrong: dict[str, list[float]] = {}
    for case, score in zip(cases, predicted, strict=True):
        kind = (case.row.get("kind") or "").strip().lower()
        if kind in STRONG_KINDS:
            strong.setdefault(question_key(case), []).append(score)
        elif kind in WRONG_KINDS:
            wrong.setdefault(question_key(case), []).append(score)
    if not strong and not wrong:
        return None
    strong_scores = [s for scores in strong.values() for s in scores]
    wrong_scores = [s for scores in wrong.values() for s in scores]
    both = [key for key in strong if key in wrong]
    apart = [key for key in both if min(strong[key]) - max(wrong[key]) >= APART]
    return {
        "strong_answers": len(strong_scores),
        "strong_mean": float(np.mean(strong_scores)) if strong_scores else float("nan"),
        "strong_under_2_5": sum(1 for s in strong_scores if s < STRONG_FLOOR),
        "wrong_answers": len(wrong_scores),
        "wrong_mean": float(np.mean(wrong_scores)) if wrong_scores else float("nan"),
        "wrong_at_least_3": sum(1 for s in wrong_scores if s >= WRONG_CEILING),
        "questions_with_both": len(both),
        "share_apart": len(apart) / len(both) if both else float("nan"),
    }


@dataclass
class GradingEvalReport:
    rows: int
    metrics: dict[str, float]
    predicted_distribution: dict[int, int]
    human_distribution: dict[int, int]
    guards: dict[str, int]
    flagged: int
    evidence_only: bool
    seconds: float
    kinds: dict[str, float] | None = None


    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "predicted_distribution": {str(k): v for k, v in sorted(self.predicted_distribution.items())},
            "human_distribution": {str(k): v for k, v in sorted(self.human_distribution.items())},
            "guards": self.guards,
            "flagged_injections": self.flagged,
            "evidence_only": self.evidence_only,
            "seconds": round(self.seconds, 1),
            **({"kinds": {k: round(v, 4) for k, v in self.kinds.items()}} if self.kinds else {}),
        }


def grade_cases(
    grader: Grader,
    cases: Sequence[GradingCase],
    *,
    use_model: bool,
    on_progress: ProgressCallback | None = None,
    on_embed_progress: ProgressCallback | None = None,
) -> list[Grade]:
    grader.embedder = PrecomputedEmbedder(grader.embedder, texts_to_embed(cases), on_embed_progress)
    grades = []
    for index, case in enumerate(cases, start=1):
        grades.append(grader.grade(case.question, case.answer, use_model=use_model))
        if on_progress is not None:
            on_progress(index, len(cases))
    return grades


def evaluate_grades(cases: Sequence[GradingCase], grades: Sequence[Grade], seconds: float) -> GradingEvalReport:
    gold = [case.human_score for case in cases]
    predicted = [grade.overall for grade in grades]
    return GradingEvalReport(
        rows=len(cases),
        metrics=agreement_metrics(gold, predicted),
        predicted_distribution=dict(Counter(int(round(x)) for x in predicted)),
        human_distribution=dict(Counter(int(round(x)) for x in gold)),
        guards=dict(Counter(grade.guard for grade in grades if grade.guard)),
        flagged=sum(1 for grade in grades if grade.flags),
        evidence_only=all(grade.evidence_only for grade in grades),
        seconds=seconds,
        kinds=kind_figures(cases, predicted),
    )


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


# --- calibration -----------------------------------------------------------------------------------------


@dataclass
class _FitData:
    """The shipped evidence path's output for every usable row, flattened so a grid of curve parameters is
    scored with array operations (the curve itself is grading.score.cosine_coverage, as in the grader)."""

    evidence: list[AnswerEvidence | None]  # per case; None for a guarded answer
    similarity: np.ndarray  # every span of every key point of every usable case, concatenated
    overlap: np.ndarray
    starts: np.ndarray  # where each key point's spans start (for np.maximum.reduceat)
    support: np.ndarray  # per key point: the verifier's best support probability (0 without a verifier)
    reversal: np.ndarray  # per key point: the confidence of a contradiction found (0 for none)
    weight: np.ndarray  # per key point
    case_of_point: np.ndarray  # per key point: its case's index
    usable: np.ndarray  # per case
    soft_contradiction: np.ndarray  # per case: weighted mean of each key point's highest contradiction reading
    soft_misconception: np.ndarray  # per case: the highest reading that a sentence states a misconception


def _collect_evidence(grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade]) -> _FitData:
    calibration = grader.calibration or Calibration()
    evidence: list[AnswerEvidence | None] = []
    similarity, overlap, starts, support, reversal, weight, case_of_point = [], [], [], [], [], [], []
    soft_contradiction, soft_misconception = np.zeros(len(cases)), np.zeros(len(cases))
    offset = 0
    for index, (case, grade) in enumerate(zip(cases, grades, strict=True)):
        if grade.guard is not None or not case.question.key_points:
            evidence.append(None)
            continue
        found, _note = grader.evidence(case.question, sanitise(case.answer).sentences)
        evidence.append(found)
        soft_misconception[index] = soft_misconception_of(found)
        total_weight = sum(point.weight for point in case.question.key_points) or 1.0
        for point, item in zip(case.question.key_points, found.key_points, strict=True):
            result = score_point(item, calibration, len(found.sentences))
            soft_contradiction[index] += point.weight * result.contradiction_probability / total_weight
            starts.append(offset)
            similarity.append(item.similarity)
            overlap.append(item.overlap)
            offset += len(item.spans)
            support.append(result.support or 0.0)
            reversal.append(result.contradiction.confidence if result.contradiction else 0.0)
            weight.append(point.weight)
            case_of_point.append(index)
    return _FitData(
        evidence,
        np.concatenate(similarity) if similarity else np.zeros(0),
        np.concatenate(overlap) if overlap else np.zeros(0),
        np.array(starts, dtype=int), np.array(support), np.array(reversal), np.array(weight, dtype=float),
        np.array(case_of_point, dtype=int), np.array([item is not None for item in evidence], dtype=bool),
        soft_contradiction, soft_misconception,
    )


def _weighted_coverage(data: _FitData, cases: int, slope: float, threshold: float, overlap_weight: float,
                       support_weight: float) -> np.ndarray:
    """Per case, weighted coverage as grading.score computes it before penalties; NaN for unusable cases."""
    values = np.full(cases, np.nan)
    if not len(data.starts):
        return values
    spans = cosine_coverage(data.similarity, data.overlap, slope=slope, threshold=threshold,
                            overlap_weight=overlap_weight)
    best = np.maximum.reduceat(spans, data.starts)
    coverage = ((1 - support_weight) * best + support_weight * data.support) * (1.0 - data.reversal)
    totals = np.bincount(data.case_of_point, weights=data.weight, minlength=cases)
    covered = np.bincount(data.case_of_point, weights=data.weight * coverage, minlength=cases)
    values[data.usable] = covered[data.usable] / totals[data.usable]
    return values


def _design(coverage: np.ndarray, data: _FitData, rows: np.ndarray, soft: bool) -> np.ndarray:
    columns = [np.ones(rows.sum()), coverage[rows]]
    if soft:
        columns += [-data.soft_contradiction[rows], -data.soft_misconception[rows]]
    return np.stack(columns, axis=1)


def _fit_map(coverage: np.ndarray, data: _FitData, gold: np.ndarray, rows: np.ndarray, soft: bool) -> np.ndarray:
    """Least squares of the human score on coverage (and, with a verifier, the soft wrongness readings, whose
    weights are held non-negative: a reading of "wrong" never earns points)."""
    design = _design(coverage, data, rows, soft)
    coefficients, *_ = np.linalg.lstsq(design, gold[rows], rcond=None)
    if soft and (coefficients[2:] < 0).any():
        keep = [0, 1] + [2 + i for i in range(2) if coefficients[2 + i] >= 0]
        reduced, *_ = np.linalg.lstsq(design[:, keep], gold[rows], rcond=None)
        coefficients = np.zeros(design.shape[1])
        coefficients[keep] = reduced
    return np.asarray(coefficients)


def _predict(coverage: np.ndarray, data: _FitData, rows: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    soft = len(coefficients) > 2
    usable = rows & ~np.isnan(coverage)
    predicted = np.zeros(rows.sum())
    values = np.clip(_design(coverage, data, usable, soft) @ coefficients, 0.0, 5.0)
    predicted[usable[rows]] = values
    return predicted


# Stage two: how much a wrong claim costs, and from what confidence it counts and caps.
PENALTY_GRID = (0.5, 1.0, 1.5, 2.0, 2.5)
CAP_CONFIDENCE_GRID = (0.6, 0.8, 0.95, 1.01)  # 1.01: never capped, penalties alone
THRESHOLD_GRID = (0.5, 0.7, 0.9)


def _fit_error_costs(data: _FitData, cases: Sequence[GradingCase], gold: np.ndarray,
                     calibration: Calibration) -> tuple[Calibration, float]:
    """Penalties, thresholds and cap by RMSE against the human scores, through grading.score.score_answer."""
    best: tuple[float, Calibration] | None = None
    usable = [i for i, item in enumerate(data.evidence) if item is not None]
    for penalty in PENALTY_GRID:
        for cap_confidence in CAP_CONFIDENCE_GRID:
            for contradict_at in THRESHOLD_GRID:
                for misconception_at in THRESHOLD_GRID:
                    candidate = calibration.model_copy(update={
                        "contradiction_penalty": penalty, "misconception_penalty": penalty,
                        "cap_confidence": cap_confidence, "contradict_at": contradict_at,
                        "misconception_at": misconception_at})
                    predicted = np.zeros(len(cases))
                    for i in usable:
                        found = data.evidence[i]
                        assert found is not None
                        predicted[i] = score_answer(found, [p.weight for p in cases[i].question.key_points],
                                                    candidate).overall
                    rmse = float(np.sqrt(np.mean((predicted - gold) ** 2)))
                    if best is None or rmse < best[0]:
                        best = (rmse, candidate)
    assert best is not None
    return best[1], best[0]


def fit_calibration(
    grader: Grader,
    cases: Sequence[GradingCase],
    grades: Sequence[Grade],
    *,
    folds: int = 5,
    seed: int = 0,
    fitted_on: str = "",
) -> Calibration:
    """Grid-search the coverage curve and the verifier's share, least-squares the overall map (chosen by
    cross-validated RMSE); then the cost of wrong claims (by RMSE, through the grader's own score function)."""
    data = _collect_evidence(grader, cases, grades)
    has_verifier = bool(data.support.any())
    gold = np.array([case.human_score for case in cases])
    order = np.random.default_rng(seed).permutation(len(cases))
    fold_of = np.empty(len(cases), dtype=int)
    fold_of[order] = np.arange(len(cases)) % folds
    best: tuple[float, tuple[float, float, float, float], np.ndarray] | None = None
    # Word overlap is capped at the weight of similarity: beyond it (CV Pearson 0.831 at 4.0 against 0.804 at 1.0)
    # the score would reward a list of the right keywords more than an explanation in other words.
    for support_weight in ((0.0, 0.25, 0.5, 0.75, 1.0) if has_verifier else (0.0,)):
        for overlap_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
            for slope in (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0):
                for threshold in np.arange(0.3, 2.5, 0.1):
                    coverage = _weighted_coverage(data, len(cases), slope, float(threshold), overlap_weight,
                                                  support_weight)
                    held_out = np.zeros(len(cases))
                    for fold in range(folds):
                        train = (fold_of != fold) & ~np.isnan(coverage)
                        coefficients = _fit_map(coverage, data, gold, train, has_verifier)
                        test = fold_of == fold
                        held_out[test] = _predict(coverage, data, test, coefficients)
                    rmse = float(np.sqrt(np.mean((held_out - gold) ** 2)))
                    if best is None or rmse < best[0]:
                        best = (rmse, (slope, float(threshold), overlap_weight, support_weight), held_out)
    assert best is not None
    _, (slope, threshold, overlap_weight, support_weight), held_out = best
    coverage = _weighted_coverage(data, len(cases), slope, threshold, overlap_weight, support_weight)
    usable = ~np.isnan(coverage)
    coefficients = _fit_map(coverage, data, gold, usable, has_verifier)
    cv = agreement_metrics(gold, held_out)
    current = grader.calibration or Calibration()
    fitted = current.model_copy(update=dict(
        version=f"fit-{len(cases)}rows-{seed}",
        slope=slope,
        threshold=round(threshold, 3),
        overlap_weight=overlap_weight,
        support_weight=support_weight,
        intercept=round(float(coefficients[0]), 4),
        scale=round(float(coefficients[1]), 4),
        soft_contradiction_weight=round(float(coefficients[2]), 4) if has_verifier else 0.0,
        soft_misconception_weight=round(float(coefficients[3]), 4) if has_verifier else 0.0,
        fitted_on=fitted_on,
        verifier_version=next((e.verifier_id for e in data.evidence if e is not None), None),
    ))
    fit_figures = {f"cv_{name}": round(value, 4) for name, value in cv.items()}
    if has_verifier or any(e is not None and e.misconceptions for e in data.evidence):
        fitted, rmse = _fit_error_costs(data, cases, gold, fitted)
        fit_figures["with_error_costs_rmse"] = round(rmse, 4)
    return fitted.model_copy(update={"fit_figures": fit_figures})


def _is_reference_only(case: GradingCase) -> bool:
    return REFERENCE_ONLY_TAG in case.question.tags


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


def reference_features(
    grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade]
) -> tuple[np.ndarray, np.ndarray]:
    """The ReferenceMatch measures of each answer no guard zeroed (rows), and which cases those are (a mask).

    With a verifier a last column holds minus the weighted soft contradiction reading over the reference's
    sentences (minus: a non-negative weight on it takes points off)."""
    usable = np.array([grade.guard is None for grade in grades], dtype=bool)
    features = []
    calibration = grader.calibration or Calibration()
    for case, ok in zip(cases, usable, strict=True):
        if not ok:
            continue
        sentences = sanitise(case.answer).sentences
        row = match_reference(case.question.question, case.question.reference_answer, sentences,
                              grader.embedder).vector()
        if grader.verifier is not None:
            found, _note = grader.evidence(case.question, sentences)
            weights = [point.weight for point in case.question.key_points]
            readings = [score_point(item, calibration, len(found.sentences)).contradiction_probability
                        for item in found.key_points]
            row.append(-sum(w * r for w, r in zip(weights, readings, strict=True)) / (sum(weights) or 1.0))
        features.append(row)
    columns = len(FEATURES) + (1 if grader.verifier is not None else 0)
    return np.array(features, dtype=float).reshape(-1, columns), usable


def _fit_linear(features: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Intercept and weights by least squares, the weights held non-negative: every measure is evidence of a
    better answer, and a negative weight (two measures that move together, one traded against the other) would
    make matching the reference more closely cost points."""
    from scipy.optimize import nnls

    centre = features.mean(axis=0)
    weights, _ = nnls(features - centre, gold - gold.mean())
    return np.concatenate([[gold.mean() - centre @ weights], weights])


def fit_reference_calibration(
    grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade], *, folds: int = 5, seed: int = 0,
    fitted_on: str = "",
) -> ReferenceCalibration:
    """Least squares from the reference-match measures to the human score, over the answers no guard zeroed.

    The figures kept with it are held out by question (`folds` folds): what to expect on questions it never saw.
    """
    features, usable = reference_features(grader, cases, grades)
    gold = np.array([case.human_score for case in cases])
    if len(features) <= features.shape[1]:
        raise DatasetError(f"fitting needs more than {features.shape[1]} graded answers to reference-only questions")
    fold_of = np.array(question_folds([question_key(case) for case in cases], folds, seed))
    held_out = np.zeros(len(cases))
    used_gold, used_folds = gold[usable], fold_of[usable]
    predicted = np.zeros(len(features))
    for fold in set(used_folds.tolist()):
        train = used_folds != fold
        if not train.any():
            continue  # every graded answer is in this fold: nothing to fit it on
        coefficients = _fit_linear(features[train], used_gold[train])
        predicted[~train] = coefficients[0] + features[~train] @ coefficients[1:]
    held_out[usable] = np.clip(predicted, 0.0, 5.0)
    coefficients = _fit_linear(features, used_gold)
    figures = agreement_metrics(gold, held_out)
    fitted = ReferenceCalibration(
        version=f"reference-fit-{len(cases)}rows-{seed}",
        intercept=round(float(coefficients[0]), 4),
        weights={name: round(float(value), 4) for name, value in zip(FEATURES, coefficients[1:], strict=False)},
        soft_contradiction_weight=round(float(coefficients[len(FEATURES) + 1]), 4)
        if len(coefficients) > len(FEATURES) + 1 else 0.0,
        fitted_on=fitted_on,
        fit_figures={f"by_question_{name}": round(value, 4) for name, value in figures.items()},
    )
    if grader.verifier is None:
        return fitted
    # The cost of a wrong claim on these questions, fitted on them through the grader's own score function.
    current = (grader.calibration or Calibration()).model_copy(update={"reference_only": fitted})
    data = _collect_evidence(grader, cases, grades)
    costs, rmse = _fit_error_costs(data, cases, gold, current)
    names = ("contradict_at", "misconception_at", "contradiction_penalty", "misconception_penalty", "cap_confidence")
    return fitted.model_copy(update={"error_costs": {name: getattr(costs, name) for name in names},
                                     "fit_figures": {**fitted.fit_figures, "with_error_costs_rmse": round(rmse, 4)}})


def fit_calibrations(
    grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade], *, seed: int = 0, fitted_on: str = "",
) -> Calibration:
    """Fit whichever maps the data can inform, keeping the rest of the grader's calibration.

    Rows with authored key points refit the coverage curve and its map; rows with a reference answer only refit
    the `reference_only` map. A dataset with both refits both.
    """
    current = grader.calibration or Calibration()
    authored = [i for i, case in enumerate(cases) if not _is_reference_only(case)]
    reference = [i for i, case in enumerate(cases) if _is_reference_only(case)]
    fitted = current
    if authored:
        fitted = fit_calibration(grader, [cases[i] for i in authored], [grades[i] for i in authored], seed=seed,
                                 fitted_on=fitted_on)
    reference_only = current.reference_only
    if reference:
        reference_only = fit_reference_calibration(grader, [cases[i] for i in reference],
                                                    [grades[i] for i in reference], seed=seed, fitted_on=fitted_on)
    return fitted.model_copy(update={"reference_only": reference_only})


@dataclass
class HoldoutReport:
    """Figures over predictions for questions the calibration never saw (k folds over questions)."""

    rows: int
    questions: int
    folds: int
    metrics: dict[str, float]
    per_fold: list[dict[str, float]]
    seconds: float

    def spread(self) -> dict[str, dict[str, float]]:
        spread = {}
        for name in ("pearson", "spearman", "rmse", "qwk"):
            values = np.array([fold[name] for fold in self.per_fold if not math.isnan(fold[name])])
            if len(values):
                spread[name] = {"min": float(values.min()), "max": float(values.max()),
                                "std": float(values.std())}
        return spread

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "questions": self.questions,
            "folds": self.folds,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "per_fold": [{name: round(value, 4) for name, value in fold.items()} for fold in self.per_fold],
            "spread": {name: {k: round(v, 4) for k, v in values.items()} for name, values in self.spread().items()},
            "seconds": round(self.seconds, 1),
        }


def holdout_by_question(
    grader: Grader,
    cases: Sequence[GradingCase],
    grades: Sequence[Grade],
    *,
    folds: int,
    seed: int = 0,
    use_model: bool = False,
) -> tuple[HoldoutReport, list[Grade]]:
    """Fit on the other questions' rows, grade the held-out question's rows; pooled figures and each fold's.

    `grades` are the rows graded with the shipped calibration (they say which answers a guard zeroed; guards do
    not depend on the calibration). Returns the report and the held-out grade of every row.
    """
    import time

    started = time.perf_counter()
    keys = [question_key(case) for case in cases]
    fold_of = question_folds(keys, folds, seed)
    held_out: list[Grade | None] = [None] * len(cases)
    per_fold = []
    shipped = grader.calibration
    try:
        for fold in sorted(set(fold_of)):
            train = [i for i, f in enumerate(fold_of) if f != fold]
            test = [i for i, f in enumerate(fold_of) if f == fold]
            grader.calibration = shipped
            calibration = fit_calibrations(grader, [cases[i] for i in train], [grades[i] for i in train], seed=seed)
            grader.calibration = calibration
            for i in test:
                held_out[i] = grader.grade(cases[i].question, cases[i].answer, use_model=use_model)
            gold = [cases[i].human_score for i in test]
            predicted = [held_out[i].overall for i in test]  # type: ignore[union-attr]
            per_fold.append({"fold": float(fold), "questions": float(len({keys[i] for i in test})),
                             "rows": float(len(test)), **agreement_metrics(gold, predicted)})
    finally:
        grader.calibration = shipped
    final = [grade for grade in held_out if grade is not None]
    report = HoldoutReport(
        rows=len(cases),
        questions=len(set(keys)),
        folds=len(per_fold),
        metrics=agreement_metrics([case.human_score for case in cases], [grade.overall for grade in final]),
        per_fold=per_fold,
        seconds=time.perf_counter() - started,
    )
    return report, final


# --- contradiction pairs ---------------------------------------------------------------------------------

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


def load_answer_pairs(path: Path, questions: dict[str, Question]) -> list[AnswerPair]:
    """Pairs of answers to one pack question: a right one and one that reverses it (CSV, PAIR_COLUMNS)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    missing = [column for column in PAIR_COLUMNS if column not in columns]
    if missing:
        raise DatasetError(f"{path} lacks the column(s) {', '.join(missing)}; needs {', '.join(PAIR_COLUMNS)}")
    pairs = []
    for number, row in enumerate(rows, start=2):
        question = questions.get((row["question_id"] or "").strip())
        if question is None:
            raise DatasetError(f"{path}:{number}: no question '{row['question_id']}' in the pack")
        if not (row["right_answer"] or "").strip() or not (row["contradicting_answer"] or "").strip():
            raise DatasetError(f"{path}:{number}: both answers are needed")
        pairs.append(AnswerPair(number, question, row["right_answer"], row["contradicting_answer"],
                                row["what_is_reversed"] or ""))
    if not pairs:
        raise DatasetError(f"{path} holds no pairs")
    return pairs


def evaluate_pairs(grader: Grader, pairs: Sequence[AnswerPair], seconds_started: float | None = None) -> PairsReport:
    """Grade both answers of every pair: how far apart a right answer and its reversal land."""
    import time

    started = time.perf_counter() if seconds_started is None else seconds_started
    texts = [text for pair in pairs for answer in (pair.right_answer, pair.contradicting_answer)
             for text in _case_texts(pair.question, answer)]
    grader.embedder = PrecomputedEmbedder(grader.embedder, texts)
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
