"""Measuring the grader against human scores, and fitting its calibration.

The dataset is a CSV with columns question, reference_answer, student_answer, score (0-5) and optionally
key_points (`;`-separated; derived from the reference answer's sentences when absent). Any real dataset is
accepted: a one-word reference answer ("push") is a reference answer, and a row that cannot be graded (no score,
an empty question) is reported with its line and skipped, never fatal to the run. Grading thousands of
answers stays fast because every text the grader will embed is encoded up front in large batches.

Calibration: the grader's per-key-point evidence (similarity and word overlap of every answer span) is computed
once; a grid search over the coverage curve (slope, threshold, overlap weight) with a least-squares overall map
picks the parameters with the best 5-fold cross-validated RMSE, and the figures reported are the held-out ones.
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

from interviewer.embeddings import Embedder
from interviewer.errors import DatasetError
from interviewer.grading import Calibration, Grade, Grader
from interviewer.guards import sanitise, split_sentences
from interviewer.packs import KeyPoint, Question
from interviewer.retrieval import tokenize

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
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise DatasetError(f"{path} lacks the column(s) {', '.join(missing)}; needs {', '.join(REQUIRED_COLUMNS)}")
    cases = []
    problems: list[SkippedRow] = []
    for number, row in enumerate(rows, start=2):
        problem = _row_problem(row)
        if problem is not None:
            problems.append(SkippedRow(number, problem))
            continue
        given = [p.strip() for p in (row.get("key_points") or "").split(";") if p.strip()]
        statements = given[:6] if len(given) >= 2 else _derive_key_points(row["reference_answer"].strip())
        cases.append(GradingCase(row, _question_for_row(number, row, statements), row.get("student_answer") or "",
                                 float(row["score"])))
    if skipped is not None:
        skipped.extend(problems)
    if not cases:
        reasons = "; ".join(f"{path}:{p.line}: {p.reason}" for p in problems[:5])
        raise DatasetError(f"{path} holds no gradable rows" + (f" ({reasons})" if reasons else ""))
    return cases


def with_pack_misconceptions(cases: Sequence[GradingCase], questions: dict[str, Question]) -> list[GradingCase]:
    """Rows naming a pack question (a question_id column, the same question text) are graded with that question's
    misconceptions, as an interview would grade them."""
    enriched = []
    for case in cases:
        known = questions.get((case.row.get("question_id") or "").strip())
        if known is not None and known.question == case.question.question and known.misconceptions:
            case = replace(case, question=case.question.model_copy(update={"misconceptions": known.misconceptions}))
        enriched.append(case)
    return enriched


def _row_problem(row: dict[str, str | None]) -> str | None:
    try:
        score = float(row["score"] or "")
    except (TypeError, ValueError):
        return f"score {row['score']!r} is not a number"
    if not 0 <= score <= 5:
        return f"score {score} is outside 0-5"
    if not (row.get("question") or "").strip() or not (row.get("reference_answer") or "").strip():
        return "question and reference_answer must not be empty"
    return None


def _question_for_row(number: int, row: dict[str, str], statements: list[str]) -> Question:
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
        tags=[],
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
    """Every key point and answer span the grader will ask the embedder for (mirrors gather_evidence)."""
    texts: list[str] = []
    for case in cases:
        sentences = sanitise(case.answer).sentences
        texts.extend(point.statement for point in case.question.key_points)
        texts.extend(m.claim for m in case.question.misconceptions)
        texts.extend(sentences)
        texts.extend(f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False))
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
    )


def write_predictions(path: Path, cases: Sequence[GradingCase], grades: Sequence[Grade]) -> None:
    columns = list(dict.fromkeys([*cases[0].row.keys(), "predicted_score", "guard", "flags"]))
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
class _Evidence:
    """Per case: None for a guarded answer, else per key point (weight, best strength per overlap weight)."""

    weights: np.ndarray | None
    similarity: list[np.ndarray]  # per key point: similarity of every span
    overlap: list[np.ndarray]  # per key point: word overlap of every span


def _collect_evidence(grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade]) -> list[_Evidence]:
    collected = []
    for case, grade in zip(cases, grades, strict=True):
        if grade.guard is not None:
            collected.append(_Evidence(None, [], []))
            continue
        sentences = list(sanitise(case.answer).sentences)
        spans = sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]
        points = case.question.key_points
        vectors = grader.embedder.encode([p.statement for p in points] + spans)
        similarities = vectors[: len(points)] @ vectors[len(points) :].T
        overlaps = []
        for point in points:
            wanted = set(tokenize(point.statement))
            overlaps.append(np.array([len(wanted & set(tokenize(s))) / max(1, len(wanted)) for s in spans]))
        collected.append(_Evidence(np.array([p.weight for p in points]), list(similarities), overlaps))
    return collected


def _best_strengths(evidence: Sequence[_Evidence], overlap_weight: float) -> list[np.ndarray | None]:
    """Per case, each key point's best span strength (similarity + overlap_weight * overlap)."""
    return [
        None
        if item.weights is None
        else np.array(
            [float(np.max(sim + overlap_weight * ov)) for sim, ov in zip(item.similarity, item.overlap, strict=True)]
        )
        for item in evidence
    ]


def _weighted_coverage(
    evidence: Sequence[_Evidence], strengths: Sequence[np.ndarray | None], slope: float, threshold: float
) -> np.ndarray:
    values = np.full(len(evidence), np.nan)
    for index, (item, strength) in enumerate(zip(evidence, strengths, strict=True)):
        if item.weights is not None and strength is not None:
            coverage = 1.0 / (1.0 + np.exp(-slope * (strength - threshold)))
            values[index] = float(np.dot(item.weights, coverage) / item.weights.sum())
    return values


def _fit_line(coverage: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    design = np.stack([np.ones_like(coverage), coverage], axis=1)
    (intercept, scale), *_ = np.linalg.lstsq(design, gold, rcond=None)
    return float(intercept), float(scale)


def _predict(coverage: np.ndarray, intercept: float, scale: float) -> np.ndarray:
    return np.where(np.isnan(coverage), 0.0, np.clip(intercept + scale * np.nan_to_num(coverage), 0.0, 5.0))


def fit_calibration(
    grader: Grader,
    cases: Sequence[GradingCase],
    grades: Sequence[Grade],
    *,
    folds: int = 5,
    seed: int = 0,
    fitted_on: str = "",
) -> Calibration:
    """Grid-search the coverage curve, least-squares the overall map; choose by cross-validated RMSE."""
    evidence = _collect_evidence(grader, cases, grades)
    gold = np.array([case.human_score for case in cases])
    order = np.random.default_rng(seed).permutation(len(cases))
    fold_of = np.empty(len(cases), dtype=int)
    fold_of[order] = np.arange(len(cases)) % folds
    best: tuple[float, tuple[float, float, float], np.ndarray] | None = None
    # Word overlap is capped at the weight of similarity: beyond it (CV Pearson 0.831 at 4.0 against 0.804 at 1.0)
    # the score would reward a list of the right keywords more than an explanation in other words.
    for overlap_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
        strengths = _best_strengths(evidence, overlap_weight)
        for slope in (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0):
            for threshold in np.arange(0.3, 2.5, 0.1):
                coverage = _weighted_coverage(evidence, strengths, slope, float(threshold))
                held_out = np.zeros(len(cases))
                for fold in range(folds):
                    train = (fold_of != fold) & ~np.isnan(coverage)
                    intercept, scale = _fit_line(coverage[train], gold[train])
                    test = fold_of == fold
                    held_out[test] = _predict(coverage[test], intercept, scale)
                rmse = float(np.sqrt(np.mean((held_out - gold) ** 2)))
                if best is None or rmse < best[0]:
                    best = (rmse, (slope, float(threshold), overlap_weight), held_out)
    assert best is not None
    _, (slope, threshold, overlap_weight), held_out = best
    coverage = _weighted_coverage(evidence, _best_strengths(evidence, overlap_weight), slope, threshold)
    usable = ~np.isnan(coverage)
    intercept, scale = _fit_line(coverage[usable], gold[usable])
    cv = agreement_metrics(gold, held_out)
    return Calibration(
        version=f"fit-{len(cases)}rows-{seed}",
        slope=slope,
        threshold=round(threshold, 3),
        overlap_weight=overlap_weight,
        intercept=round(intercept, 4),
        scale=round(scale, 4),
        fitted_on=fitted_on,
        fit_figures={f"cv_{name}": round(value, 4) for name, value in cv.items()},
    )


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
    texts: list[str] = []
    for pair in pairs:
        texts.extend(point.statement for point in pair.question.key_points)
        texts.extend(m.claim for m in pair.question.misconceptions)
        for answer in (pair.right_answer, pair.contradicting_answer):
            sentences = sanitise(answer).sentences
            texts.extend(sentences)
            texts.extend(f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False))
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
