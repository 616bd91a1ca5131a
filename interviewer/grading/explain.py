"""From numbers to the grade a candidate reads: key-point verdicts with their quotes, the rubric's criteria,
strengths, gaps, advice and a one-paragraph explanation. Every wrong claim is explained the same way everywhere
(`grade` text, the TUI, reports): the candidate's sentence, what the key point states (or the misconception and
why it is wrong), and how sure the evidence is.
"""

from __future__ import annotations

from collections.abc import Sequence

from interviewer.grading.calibration import Calibration
from interviewer.grading.grade import (
    RUBRIC,
    Citation,
    CriterionScore,
    Grade,
    GradeTimings,
    KeyPointVerdict,
    MisconceptionHit,
)
from interviewer.grading.reference_match import ReferenceMatch
from interviewer.grading.score import Combined, PointScore, combine
from interviewer.grading.wording import contradiction_text, misconception_text
from interviewer.packs import KeyPoint, Question
from interviewer.text import content_words

ERROR_CORRECTNESS_CAP = 2  # the correctness criterion of an answer with a wrong claim


def verdict_for(point: KeyPoint, result: PointScore, calibration: Calibration) -> KeyPointVerdict:
    support = None if result.support is None else round(result.support, 3)
    soft = None if result.support is None else round(result.contradiction_probability, 3)
    if result.contradiction is not None:
        # A reversal matches its key point as well as the point itself does: it is an error, not coverage.
        return KeyPointVerdict(
            key_point_id=point.id, statement=point.statement, weight=point.weight, status="contradicted",
            coverage=round(result.coverage, 4), evidence_quote=result.contradiction.sentence,
            similarity=round(result.similarity, 4), word_overlap=round(result.overlap, 4), probe=point.probe,
            contradiction=result.contradiction.how,
            contradiction_confidence=round(result.contradiction.confidence, 3), verifier_support=support,
            verifier_contradiction=soft,
        )
    status = calibration.status(result.coverage)
    return KeyPointVerdict(
        key_point_id=point.id, statement=point.statement, weight=point.weight, status=status,
        coverage=round(result.coverage, 4), evidence_quote=result.evidence_span if status != "missing" else None,
        similarity=round(result.similarity, 4), word_overlap=round(result.overlap, 4), probe=point.probe,
        verifier_support=support, verifier_contradiction=soft,
    )


def describe_contradiction(verdict: KeyPointVerdict) -> str:
    return contradiction_text(verdict.evidence_quote, verdict.statement, verdict.contradiction,
                              verdict.contradiction_confidence)


def describe_misconception(hit: MisconceptionHit) -> str:
    return misconception_text(hit.quote, hit.claim, hit.why, hit.confidence)


def assemble_grade(
    question: Question,
    verdicts: list[KeyPointVerdict],
    sentences: Sequence[str],
    flags: list[str],
    citations: list[Citation],
    timings: GradeTimings,
    calibration: Calibration,
    *,
    misconceptions: Sequence[MisconceptionHit] = (),
    reference: ReferenceMatch | None = None,
    model_id: str | None,
    model_note: str | None,
    model_advice: str,
    prompt_version: str,
    seed: int,
    verifier_id: str | None,
    misconception_probability: float | None = None,
) -> Grade:
    contradicted = [v for v in verdicts if v.status == "contradicted"]
    combined = combine(
        [v.coverage for v in verdicts], [v.weight for v in verdicts],
        [(v.contradiction_confidence if v.contradiction_confidence is not None else 1.0)
         if v.status == "contradicted" else None for v in verdicts],
        [hit.confidence if hit.confidence is not None else 1.0 for hit in misconceptions], calibration, reference,
        [v.verifier_contradiction or 0.0 for v in verdicts], misconception_probability or 0.0,
        [v.verifier_support or 0.0 for v in verdicts],
    )
    whole_reference = reference is not None and calibration.reference_only is not None
    errors = len(contradicted) + len(misconceptions)
    strengths, gaps, advice, shown_advice = _feedback(question, verdicts, misconceptions, model_advice, model_id)
    return Grade(
        question_id=question.id,
        overall=combined.overall,
        percent=int(round(combined.overall * 20)),
        criteria=_rubric_scores(verdicts, sentences, flags, combined, errors),
        key_points=verdicts,
        strengths=strengths,
        gaps=gaps,
        advice=advice,
        flags=flags,
        explanation=_explanation(verdicts, misconceptions, flags, combined, calibration,
                                 question.reference_only, whole_reference, evidence_only=model_id is None),
        citations=citations,
        evidence_only=model_id is None,
        model_id=model_id,
        model_note=model_note,
        prompt_version=prompt_version,
        seed=seed,
        calibration_version=calibration.reference_only.version if whole_reference and calibration.reference_only
        else calibration.version,
        timings=timings,
        misconceptions=list(misconceptions),
        model_advice=shown_advice,
        verifier_id=verifier_id,
        misconception_probability=misconception_probability,
        reference_only=question.reference_only,
    )


def _rubric_scores(verdicts: list[KeyPointVerdict], sentences: Sequence[str], flags: list[str],
                   combined: Combined, errors: int) -> list[CriterionScore]:
    """The four rubric criteria, each read off the same evidence the overall score comes from."""
    overall, weighted = combined.overall, combined.weighted_coverage
    heaviest = max(v.weight for v in verdicts)
    heavy = [v for v in verdicts if v.weight >= heaviest]
    heavy_coverage = sum(v.coverage for v in heavy) / len(heavy)
    words = sum(len(content_words(s)) for s in sentences)
    mean_sentence = words / max(1, len(sentences))

    def level(value: float) -> int:
        return int(min(5, max(0, round(value))))

    correctness = level(0.5 * overall + 2.5 * heavy_coverage)
    if errors:
        correctness = min(correctness, ERROR_CORRECTNESS_CAP)
    completeness = level(5 * weighted)
    depth = level(min(5.0, overall + (0.5 if words >= 60 and weighted >= 0.5 else 0.0)))
    clarity = level(5 - (1 if mean_sentence > 40 else 0) - (1 if len(sentences) == 1 and words > 60 else 0)
                    - (1 if flags else 0) - (2 if weighted < 0.15 else 0))
    covered = sum(1 for v in verdicts if v.status == "covered")
    partly = sum(1 for v in verdicts if v.status == "partly")
    justification = {
        "correctness": f"The most important points are {heavy_coverage:.0%} evidenced in the answer"
                       + (f"; {errors} wrong claim{'s' if errors != 1 else ''} cap it." if errors else "."),
        "completeness": f"{covered} of {len(verdicts)} key points covered, {partly} partly.",
        "depth": f"Overall evidence {overall:.1f}/5 over {words} words.",
        "clarity": f"{len(sentences)} sentences, {mean_sentence:.0f} words each on average.",
    }
    scores = {"correctness": correctness, "completeness": completeness, "depth": depth, "clarity": clarity}
    return [
        CriterionScore(criterion=name, score=score, descriptor=RUBRIC[name][score],  # type: ignore[arg-type]
                       justification=justification[name])
        for name, score in scores.items()
    ]


def _feedback(question: Question, verdicts: list[KeyPointVerdict], misconceptions: Sequence[MisconceptionHit],
              model_advice: str, model_id: str | None) -> tuple[list[str], list[str], list[str], str | None]:
    """Strengths, gaps (wrong claims first, each with its reason), advice, and the model's advice if shown."""
    covered = [v for v in verdicts if v.status == "covered"]
    contradicted = [v for v in verdicts if v.status == "contradicted"]
    # partly before missing: the order of equal weights in the gaps, as before
    unfinished = [v for v in verdicts if v.status == "partly"] + [v for v in verdicts if v.status == "missing"]
    strengths = [f"You covered: {v.statement}" for v in covered]
    gaps = [describe_contradiction(v) for v in sorted(contradicted, key=lambda v: -v.weight)]
    gaps += [describe_misconception(hit) for hit in misconceptions]
    gaps += [f"{'Partly covered' if v.status == 'partly' else 'Missing'}: {v.statement}"
             for v in sorted(unfinished, key=lambda v: -v.weight)]
    advice = []
    if contradicted:
        first_error = max(contradicted, key=lambda v: v.weight)
        advice.append(f"Check again: {first_error.statement}")
    elif unfinished:
        first = sorted(unfinished, key=lambda v: (v.status != "missing", -v.weight))[0]
        advice.append(f"Think about: {first.probe}")
    if question.sections:
        advice.append("Study: " + ", ".join(question.sections[:2]))
    shown_advice = None
    if len(model_advice.split()) >= 4:  # a word or two from a small model is noise, not advice
        # Checked before it got here (review_model_prose) and labelled: the candidate knows who says it.
        shown_advice = model_advice
        advice.append(f"From the model ({model_id or 'model'}): {model_advice}")
    return strengths, gaps, advice, shown_advice


def _explanation(verdicts: list[KeyPointVerdict], misconceptions: Sequence[MisconceptionHit], flags: list[str],
                 combined: Combined, calibration: Calibration, reference_only: bool, whole_reference: bool, *,
                 evidence_only: bool) -> str:
    """One paragraph saying how the overall score was reached: from the key points (or, with none authored, the
    reference's sentences) or, for a short reference, from the match with the whole of it."""
    covered = sum(1 for v in verdicts if v.status == "covered")
    partly = sum(1 for v in verdicts if v.status == "partly")
    contradicted = sum(1 for v in verdicts if v.status == "contradicted")
    errors = contradicted + len(misconceptions)
    overall = combined.overall
    return (
        f"{covered} of {len(verdicts)} {'reference sentences' if reference_only else 'key points'} covered and "
        f"{partly} partly"
        + (f", {contradicted} contradicted" if contradicted else "")
        + (f"; weighted coverage {combined.weighted_coverage:.0%}" if not whole_reference
           else f"; no authored key points, so the match with the whole reference answer ({combined.base:.1f})")
        # A wrong claim always costs its key point's coverage; a fitted penalty of 0 takes nothing more, and
        # "less 0.0" would read as though the error cost nothing.
        + (f" less {combined.penalty:.1f} for wrong claims" if errors and round(combined.penalty, 1) > 0 else "")
        + (f", capped at {calibration.error_cap:g}" if combined.capped and overall >= calibration.error_cap else "")
        + f" gives {overall:.1f}/5."
        + (f" The answer states {len(misconceptions)} known misconception"
           f"{'s' if len(misconceptions) != 1 else ''}." if misconceptions else "")
        + (" Instruction-like text in the answer was ignored." if flags else "")
        + (" Scored from evidence only: the model was not used." if evidence_only else "")
    )
