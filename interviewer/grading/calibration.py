"""The fitted parameters that turn evidence into a score: the coverage curve and the overall map for questions with
authored key points, and the `reference_only` map for questions with only a reference answer. Shipped in
calibration.json beside this file; refit with `interviewer eval grading --fit-calibration`."""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, Field

from interviewer.grading.grade import Coverage
from interviewer.grading.reference_match import ReferenceCalibration

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


class Calibration(BaseModel):
    """Parameters of the score formula; fitted, shipped, and refittable (see the module docstring)."""

    version: str = "uncalibrated"
    slope: float = Field(default=12.0, description="Steepness of the coverage curve.")
    threshold: float = Field(default=0.55, description="Evidence strength at which coverage is one half.")
    overlap_weight: float = Field(default=0.5, description="Weight of word overlap next to similarity.")
    intercept: float = Field(default=0.0, description="Overall score at zero coverage.")
    scale: float = Field(default=5.0, description="Overall score gained from zero to full coverage.")
    covered_at: float = 0.6
    partly_at: float = 0.3
    # The verifier's share (interviewer/grading/verifier.py). Its defaults leave the score as the evidence of
    # cosine and rules alone makes it.
    support_weight: float = Field(
        default=0.0, description="Share of a key point's coverage that is the verifier's support probability.")
    contradict_at: float = Field(
        default=0.5, description="Verifier confidence from which a sentence counts as contradicting a statement.")
    misconception_at: float = Field(
        default=0.5, description="Verifier confidence from which a sentence counts as stating a misconception.")
    contradiction_penalty: float = Field(
        default=1.5, description="Points off for a contradicted heaviest key point, times the verifier's confidence.")
    misconception_penalty: float = Field(
        default=1.5, description="Points off per stated misconception, times the verifier's confidence.")
    soft_contradiction_weight: float = Field(
        default=0.0, description="Points off per unit of weighted mean contradiction probability (fitted).")
    soft_misconception_weight: float = Field(
        default=0.0, description="Points off per unit of the highest misconception probability (fitted).")
    error_cap: float = Field(default=1.5, description="Highest overall score for an answer with a sure error.")
    cap_confidence: float = Field(
        default=0.0, description="Confidence from which an error caps the overall score at error_cap.")
    verifier_version: str | None = Field(
        default=None, description="The verifier the parameters were fitted with (its card's version).")
    without_verifier: Calibration | None = Field(
        default=None, description="The parameters fitted for the reversal rules alone: used when no verifier runs.")
    fitted_on: str = ""
    fit_figures: dict[str, float] = Field(default_factory=dict)
    reference_only: ReferenceCalibration | None = Field(
        default=None, description="The map for questions with a short reference answer only (no key points)."
    )

    def for_evidence(self, verifier_used: bool) -> Calibration:
        """Parameters fitted with the verifier's readings do not fit evidence without them, and the other way round."""
        if verifier_used or self.without_verifier is None:
            return self
        return self.without_verifier

    def for_question(self, whole_reference: bool) -> Calibration:
        """The parameters that apply to a question: one graded by its match with a short reference takes the error
        costs fitted on such questions (clauses of a reference are not key points)."""
        if not whole_reference or self.reference_only is None or not self.reference_only.error_costs:
            return self
        return self.model_copy(update=dict(self.reference_only.error_costs))

    def coverage(self, similarity: float, overlap: float) -> float:
        strength = similarity + self.overlap_weight * overlap
        return 1.0 / (1.0 + math.exp(-self.slope * (strength - self.threshold)))

    def overall(self, weighted_coverage: float) -> float:
        return float(min(5.0, max(0.0, self.intercept + self.scale * weighted_coverage)))

    def status(self, coverage: float) -> Coverage:
        if coverage >= self.covered_at:
            return "covered"
        return "partly" if coverage >= self.partly_at else "missing"


def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    if not path.is_file():
        return Calibration()
    return Calibration.model_validate_json(path.read_text(encoding="utf-8"))
