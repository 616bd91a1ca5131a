"""From evidence to numbers: each key point's coverage, the errors an answer makes and how sure the evidence is of
them, and the overall 0-5 score. Pure arithmetic on grading/evidence.py's output and a Calibration: the grader
and the calibration fit (interviewer/evaluation of grading) call the same functions, so what is fitted is what
ships.

- Coverage of a key point: the coverage curve of its best span's cosine and word overlap, blended with the
  verifier's support probability (`support_weight`, fitted).
- A contradiction: a sentence the verifier reads as contradicting the key point with confidence of at least
  `contradict_at`, and more than its best reading of support for the point anywhere in the answer (an answer that
  states the point in one sentence is not told it reverses it because the verifier misreads another: measured on
  the development halves, this kept wrong answers' scores and raised right ones'), confidence measured beyond what
  it reads in the question's own reference answer (evidence.reference_baselines); without a verifier, the reversal
  rules. The point's coverage is scaled by (1 - confidence).
- A misconception: a sentence the verifier reads as supporting the wrong claim, from `misconception_at`; without
  a verifier, cosine closeness to the claim and the rules.
- Overall: the linear map of weighted coverage (or, with no authored key points, the reference-only map), less
  penalties in proportion to each error's confidence, capped at `error_cap` when an error is surer than
  `cap_confidence`. Telling a learner a right answer is wrong is the worst mistake a grader can make, so errors
  count only from thresholds where the verifier's held-out precision is high.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from interviewer.grading.calibration import Calibration
from interviewer.grading.evidence import (
    AnswerEvidence,
    StatementEvidence,
    beyond_baseline,
    both_ways,
    rule_states_misconception,
)
from interviewer.grading.reference_match import ReferenceMatch
from interviewer.grading.verifier import CONTRADICT, SUPPORT

VERIFIER_REVERSAL = "the verifier reads it as reversing the key point"


def cosine_coverage(
    similarity: np.ndarray, overlap: np.ndarray, *, slope: float, threshold: float, overlap_weight: float
) -> np.ndarray:
    """The coverage curve per span: a logistic of similarity plus weighted word overlap."""
    strength = similarity + overlap_weight * overlap
    return np.asarray(1.0 / (1.0 + np.exp(-slope * (strength - threshold))))


def curve(calibration: Calibration) -> dict[str, float]:
    return {"slope": calibration.slope, "threshold": calibration.threshold,
            "overlap_weight": calibration.overlap_weight}


@dataclass(frozen=True)
class Error:
    """A wrong claim found in the answer: which sentence, how sure, and how it is wrong."""

    sentence: str
    confidence: float
    how: str


@dataclass(frozen=True)
class PointScore:
    coverage: float
    evidence_span: str | None
    similarity: float
    overlap: float
    support: float | None  # the verifier's best support probability; None without a verifier
    contradiction: Error | None
    contradiction_probability: float = 0.0  # the verifier's highest reading of a reversal, both ways, any size


def score_point(item: StatementEvidence, calibration: Calibration, sentence_count: int) -> PointScore:
    if not item.spans:
        return PointScore(0.0, None, 0.0, 0.0, None, None)
    coverages = cosine_coverage(item.similarity, item.overlap, **curve(calibration))
    best = int(np.argmax(coverages))
    coverage, span = float(coverages[best]), best
    support: float | None = None
    contradiction: Error | None = None
    soft = 0.0
    if item.probabilities is not None:
        supports = item.probabilities[:, SUPPORT]
        contradicts = beyond_baseline(both_ways(item, CONTRADICT), item.baseline)
        top = int(np.argmax(supports))
        support = float(supports[top])
        coverage = (1 - calibration.support_weight) * coverage + calibration.support_weight * support
        if calibration.support_weight > 0 and support >= 0.5:
            span = item.judged[top]  # the span the verifier reads as making the point is the evidence to quote
        singles = item.judged_single_sentences(sentence_count)
        soft = max((float(contradicts[row]) for row, _ in singles), default=0.0)
        reversals = [(float(contradicts[row]), index) for row, index in singles
                     if contradicts[row] >= calibration.contradict_at and contradicts[row] > support]
        if reversals:
            confidence, index = max(reversals)
            contradiction = Error(item.spans[index], confidence, VERIFIER_REVERSAL)
    if contradiction is None and item.rule_reversal is not None:  # the rules ran: alone, or asked beside it
        contradiction = Error(item.rule_reversal[0], 1.0, item.rule_reversal[1])
    if contradiction is not None:
        coverage *= 1.0 - contradiction.confidence
    return PointScore(coverage, item.spans[span], float(item.similarity[span]), float(item.overlap[span]), support,
                      contradiction, soft)


def misconception_probability(item: StatementEvidence) -> float:
    """The verifier's highest reading, both ways, that a sentence states a misconception's claim (0 without)."""
    if not item.spans or item.probabilities is None:
        return 0.0
    return float(beyond_baseline(both_ways(item, SUPPORT), item.baseline).max())


def stated_misconception(
    item: StatementEvidence, calibration: Calibration, evidence: AnswerEvidence
) -> Error | None:
    """The sentence stating a misconception's wrong claim, with the confidence of that reading, or None."""
    if not item.spans:
        return None
    if item.probabilities is not None:
        supports = beyond_baseline(both_ways(item, SUPPORT), item.baseline)
        row = int(np.argmax(supports))
        if supports[row] < calibration.misconception_at:
            return None
        return Error(item.spans[item.judged[row]], float(supports[row]), "the verifier reads it as stating the claim")
    found = rule_states_misconception(item.statement, item, evidence.closest_point_similarity,
                                      len(evidence.sentences))
    return Error(found[0], 1.0, "close to the wrong claim and not denying it") if found else None


def weighted_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    """Per-key-point values averaged by the points' weights (how coverage and the verifier's readings add up)."""
    return sum(w * v for w, v in zip(weights, values, strict=True)) / (float(sum(weights)) or 1.0)


@dataclass(frozen=True)
class Combined:
    weighted_coverage: float
    base: float  # the calibrated map before penalties
    penalty: float
    capped: bool
    overall: float


def combine(
    coverages: Sequence[float],
    weights: Sequence[float],
    contradiction_confidences: Sequence[float | None],
    misconception_confidences: Sequence[float],
    calibration: Calibration,
    reference: ReferenceMatch | None = None,
    soft_contradiction: Sequence[float] = (),
    soft_misconception: float = 0.0,
    supports: Sequence[float] = (),
) -> Combined:
    """The overall score from per-key-point coverage and the confidences of the errors found.

    The soft terms are the verifier's readings below any threshold: the weighted mean of each key point's highest
    contradiction probability, and the highest probability that a sentence states a misconception. Their fitted
    weights take points off in proportion, so a reading too unsure to name as an error still counts a little.
    On a reference-only question the weighted support reading over the reference's pieces (`supports`) adds its
    fitted weight to the cosine map."""
    heaviest = max(weights, default=1.0) or 1.0
    weighted = weighted_mean(coverages, weights)
    if reference is not None and calibration.reference_only is not None:
        base = calibration.reference_only.overall(reference)
        if supports:
            base += calibration.reference_only.support_weight * weighted_mean(supports, weights)
        soft_weight = calibration.reference_only.soft_contradiction_weight
    else:
        base = calibration.overall(weighted)
        soft_weight = calibration.soft_contradiction_weight
    if soft_contradiction:
        base -= soft_weight * weighted_mean(soft_contradiction, weights)
    base = max(0.0, base - calibration.soft_misconception_weight * soft_misconception)
    contradictions = [(c, w / heaviest) for w, c in zip(weights, contradiction_confidences, strict=True)
                      if c is not None]
    penalty = (calibration.contradiction_penalty * sum(c * share for c, share in contradictions)
               + calibration.misconception_penalty * sum(misconception_confidences))
    confidences = [c for c, _ in contradictions] + list(misconception_confidences)
    capped = any(c >= calibration.cap_confidence for c in confidences)
    ceiling = calibration.error_cap if capped else 5.0
    return Combined(weighted, base, penalty, capped, round(max(0.0, min(ceiling, base - penalty)), 1))


def soft_misconception_of(evidence: AnswerEvidence) -> float:
    return max((misconception_probability(item) for item in evidence.misconceptions), default=0.0)


@dataclass(frozen=True)
class AnswerScore:
    points: list[PointScore]
    misconceptions: list[Error | None]  # per misconception of the question
    combined: Combined

    @property
    def overall(self) -> float:
        return self.combined.overall


def score_answer(evidence: AnswerEvidence, weights: Sequence[float], calibration: Calibration) -> AnswerScore:
    sentence_count = len(evidence.sentences)
    points = [score_point(item, calibration, sentence_count) for item in evidence.key_points]
    misconceptions = [stated_misconception(item, calibration, evidence) for item in evidence.misconceptions]
    combined = combine(
        [p.coverage for p in points], weights,
        [p.contradiction.confidence if p.contradiction else None for p in points],
        [m.confidence for m in misconceptions if m is not None], calibration, evidence.reference,
        [p.contradiction_probability for p in points], soft_misconception_of(evidence),
        [p.support or 0.0 for p in points],
    )
    return AnswerScore(points, misconceptions, combined)
