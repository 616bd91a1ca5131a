"""Grading: a score built from evidence the program can check, explained claim by claim.

evidence (answer spans per statement) -> verifier (a trained cross-encoder: supports, contradicts, neither) ->
score (calibrated map, penalties for wrong claims) -> explanation. `grader.Grader` runs them; the rest of the
product imports from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from interviewer.grading.grader import Grader
    from interviewer.grading.model_verdicts import build_messages, model_output_type

# Where each public name lives: loaded on first use, so that importing one light module of the package (the
# wording of explanations, for the UI and reports) does not load the grader, the store and the model clients.
_HOMES = {
    "CALIBRATION_FILE": "calibration",
    "Calibration": "calibration",
    "load_calibration": "calibration",
    "corpus_vocabulary": "evidence",
    "english_vocabulary": "evidence",
    "HINT_PENALTY": "grade",
    "Citation": "grade",
    "CriterionScore": "grade",
    "Grade": "grade",
    "GradeTimings": "grade",
    "KeyPointVerdict": "grade",
    "MisconceptionHit": "grade",
    "grade_to_json": "grade",
    "with_interview_adjustments": "grade",
    "Grader": "grader",
    "build_messages": "model_verdicts",
    "model_output_type": "model_verdicts",
}
__all__ = [
    "CALIBRATION_FILE",
    "Calibration",
    "Citation",
    "CriterionScore",
    "Grade",
    "GradeTimings",
    "Grader",
    "HINT_PENALTY",
    "KeyPointVerdict",
    "MisconceptionHit",
    "build_messages",
    "corpus_vocabulary",
    "english_vocabulary",
    "grade_to_json",
    "load_calibration",
    "model_output_type",
    "with_interview_adjustments",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
