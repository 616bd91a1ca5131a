"""Fitting the grader's calibration to human scores.

The grader's per-key-point evidence (similarity and word overlap of every answer span) is computed once; a grid
search over the coverage curve (slope, threshold, overlap weight, and with a verifier its share) with a
least-squares overall map picks the parameters with the best 5-fold cross-validated RMSE, and the figures kept
with the fit are the held-out ones. Then the cost of wrong claims (penalties, thresholds, cap) is fitted by RMSE
through the grader's own score function. Rows of reference-only questions whose reference is too short to be a
rubric (reference_match.graded_as_a_whole) fit the separate `reference_only` map instead: non-negative least
squares over the answer's match with the whole reference (interviewer/grading/reference_match.py), its figures
held out by question. A reference of several sentences is a rubric like authored key points, and its rows fit the
key-point map with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.errors import DatasetError
from interviewer.evaluation.datasets import GradingCase, question_folds, question_key
from interviewer.evaluation.metrics import agreement_metrics
from interviewer.grading import Calibration, Grade, Grader
from interviewer.grading.evidence import AnswerEvidence
from interviewer.grading.guards import sanitise
from interviewer.grading.reference_match import FEATURES, ReferenceCalibration, ReferenceMatch, graded_as_a_whole
from interviewer.grading.score import (
    cosine_coverage,
    score_answer,
    score_point,
    soft_misconception_of,
)


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


def _case_means(data: _FitData, per_point: np.ndarray, cases: int) -> np.ndarray:
    """Per case, the key-point-weighted mean of a per-key-point value (0 for a case with no key points)."""
    totals = np.bincount(data.case_of_point, weights=data.weight, minlength=cases)
    sums = np.bincount(data.case_of_point, weights=data.weight * per_point, minlength=cases)
    return np.asarray(sums / np.where(totals > 0, totals, 1.0))


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
    values[data.usable] = _case_means(data, coverage, cases)[data.usable]
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
# Each grid is ordered from the mildest verdict to the harshest, and a candidate must beat the best so far to
# replace it: where values tie (a threshold that changes no score once its penalty is 0 still decides what the
# learner is told is wrong), the mildest stays. Precision first.
PENALTY_GRID = (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5)  # (0.5, the lowest once, was the fit's choice on both maps)
CAP_CONFIDENCE_GRID = (1.01, 0.95, 0.8, 0.6)  # 1.01: never capped, penalties alone
THRESHOLD_GRID = (0.9, 0.7, 0.5)
# The ceiling of an answer with a sure error, fitted like the rest rather than set: a reversal the verifier is sure
# of stood at 1.5 where the people who scored such answers gave 0 to 1.
ERROR_CAP_GRID = (2.0, 1.5, 1.0, 0.5)


def _fit_error_costs(data: _FitData, cases: Sequence[GradingCase], gold: np.ndarray,
                     calibration: Calibration) -> tuple[Calibration, float]:
    """Penalties, thresholds and cap by RMSE against the human scores, through grading.score.score_answer."""
    best: tuple[float, Calibration] | None = None
    usable = [i for i, item in enumerate(data.evidence) if item is not None]
    caps = [(confidence, cap) for confidence in CAP_CONFIDENCE_GRID
            for cap in (ERROR_CAP_GRID if confidence <= 1.0 else (calibration.error_cap,))]  # never capped: moot
    for penalty in PENALTY_GRID:
        for cap_confidence, error_cap in caps:
            for contradict_at in THRESHOLD_GRID:
                for misconception_at in THRESHOLD_GRID:
                    candidate = calibration.model_copy(update={
                        "contradiction_penalty": penalty, "misconception_penalty": penalty,
                        "cap_confidence": cap_confidence, "error_cap": error_cap, "contradict_at": contradict_at,
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


CurveParameters = tuple[float, float, float, float]  # slope, threshold, overlap weight, support weight


def _search_curve(data: _FitData, gold: np.ndarray, folds: int, seed: int) -> tuple[CurveParameters, np.ndarray]:
    """The curve parameters whose least-squares map has the best `folds`-fold cross-validated RMSE, and the
    held-out predictions they made."""
    has_verifier = bool(data.support.any())
    cases = len(gold)
    order = np.random.default_rng(seed).permutation(cases)
    fold_of = np.empty(cases, dtype=int)
    fold_of[order] = np.arange(cases) % folds
    best: tuple[float, CurveParameters, np.ndarray] | None = None
    # Word overlap is capped at the weight of similarity: beyond it (CV Pearson 0.831 at 4.0 against 0.804 at 1.0)
    # the score would reward a list of the right keywords more than an explanation in other words.
    for support_weight in ((0.0, 0.25, 0.5, 0.75, 1.0) if has_verifier else (0.0,)):
        for overlap_weight in (0.0, 0.25, 0.5, 0.75, 1.0):
            for slope in (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0):
                for threshold in np.arange(0.3, 2.5, 0.1):
                    coverage = _weighted_coverage(data, cases, slope, float(threshold), overlap_weight,
                                                  support_weight)
                    held_out = np.zeros(cases)
                    for fold in range(folds):
                        train = (fold_of != fold) & ~np.isnan(coverage)
                        coefficients = _fit_map(coverage, data, gold, train, has_verifier)
                        test = fold_of == fold
                        held_out[test] = _predict(coverage, data, test, coefficients)
                    rmse = float(np.sqrt(np.mean((held_out - gold) ** 2)))
                    if best is None or rmse < best[0]:
                        best = (rmse, (slope, float(threshold), overlap_weight, support_weight), held_out)
    assert best is not None
    return best[1], best[2]


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
    (slope, threshold, overlap_weight, support_weight), held_out = _search_curve(data, gold, folds, seed)
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


# The weights of reference_features' columns after the ReferenceMatch measures, when a verifier read the answer.
VERIFIER_COLUMNS = ("soft_contradiction_weight", "support_weight")


def reference_features(grader: Grader, data: _FitData) -> np.ndarray:
    """The ReferenceMatch measures of each usable answer (rows, in the order of `data.usable`), from the evidence
    the grader collected: the match with the whole reference is part of it.

    With a verifier two more columns hold minus the weighted soft contradiction reading over the reference's
    pieces (minus: a non-negative weight on it takes points off) and the weighted support reading."""
    found = [item for item in data.evidence if item is not None]
    measures = np.array([(item.reference or ReferenceMatch(0.0, 0.0, 0.0)).vector() for item in found],
                        dtype=float).reshape(-1, len(FEATURES))
    if grader.verifier is None:
        return measures
    support = _case_means(data, data.support, len(data.evidence))
    return np.column_stack([measures, -data.soft_contradiction[data.usable], support[data.usable]])


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
    data = _collect_evidence(grader, cases, grades)
    features, usable = reference_features(grader, data), data.usable
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
    verifier_weights = {name: round(float(value), 4)
                        for name, value in zip(VERIFIER_COLUMNS, coefficients[1 + len(FEATURES):], strict=False)}
    fitted = ReferenceCalibration(
        version=f"reference-fit-{len(cases)}rows-{seed}",
        intercept=round(float(coefficients[0]), 4),
        weights={name: round(float(value), 4) for name, value in zip(FEATURES, coefficients[1:], strict=False)},
        soft_contradiction_weight=verifier_weights.get("soft_contradiction_weight", 0.0),
        support_weight=verifier_weights.get("support_weight", 0.0),
        fitted_on=fitted_on,
        fit_figures={f"by_question_{name}": round(value, 4) for name, value in figures.items()},
    )
    if grader.verifier is None:
        return fitted
    # The cost of a wrong claim on these questions, fitted on them through the grader's own score function.
    current = (grader.calibration or Calibration()).model_copy(update={"reference_only": fitted})
    costs, rmse = _fit_error_costs(data, cases, gold, current)
    names = ("contradict_at", "misconception_at", "contradiction_penalty", "misconception_penalty", "cap_confidence",
             "error_cap")
    return fitted.model_copy(update={"error_costs": {name: getattr(costs, name) for name in names},
                                     "fit_figures": {**fitted.fit_figures, "with_error_costs_rmse": round(rmse, 4)}})


def fit_calibrations(
    grader: Grader, cases: Sequence[GradingCase], grades: Sequence[Grade], *, seed: int = 0, fitted_on: str = "",
) -> Calibration:
    """Fit whichever maps the data can inform, keeping the rest of the grader's calibration.

    Rows graded on key points (authored, or a reference's sentences) refit the coverage curve and its map; rows
    with a short reference only refit the `reference_only` map. A dataset with both refits both.
    """
    current = grader.calibration or Calibration()
    authored = [i for i, case in enumerate(cases) if not graded_as_a_whole(case.question)]
    reference = [i for i, case in enumerate(cases) if graded_as_a_whole(case.question)]
    fitted = current
    if authored:
        fitted = fit_calibration(grader, [cases[i] for i in authored], [grades[i] for i in authored], seed=seed,
                                 fitted_on=fitted_on)
    reference_only = current.reference_only
    if reference:
        reference_only = fit_reference_calibration(grader, [cases[i] for i in reference],
                                                    [grades[i] for i in reference], seed=seed, fitted_on=fitted_on)
    return fitted.model_copy(update={"reference_only": reference_only})
