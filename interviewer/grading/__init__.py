"""Grading: a score built from evidence the program can check, explained claim by claim.

evidence (answer spans per statement) -> verifier (a trained cross-encoder: supports, contradicts, neither) ->
score (calibrated map, penalties for wrong claims) -> explanation. `grader.Grader` runs them; the rest of the
product imports from here.
"""

from interviewer.grading.calibration import CALIBRATION_FILE, Calibration, load_calibration
from interviewer.grading.evidence import corpus_vocabulary, english_vocabulary
from interviewer.grading.grade import (
    HINT_PENALTY,
    Citation,
    CriterionScore,
    Grade,
    GradeTimings,
    KeyPointVerdict,
    MisconceptionHit,
    grade_to_json,
    with_interview_adjustments,
)
from interviewer.grading.grader import MAX_ANSWER_CHARS, REFERENCE_ONLY_TAG, Grader
from interviewer.grading.model_verdicts import build_messages, model_output_type

__all__ = [
    "CALIBRATION_FILE", "HINT_PENALTY", "MAX_ANSWER_CHARS", "REFERENCE_ONLY_TAG", "Calibration", "Citation",
    "CriterionScore", "Grade", "GradeTimings", "Grader", "KeyPointVerdict", "MisconceptionHit", "build_messages",
    "corpus_vocabulary", "english_vocabulary", "grade_to_json", "load_calibration", "model_output_type",
    "with_interview_adjustments",
]
