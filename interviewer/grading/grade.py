"""The grade a candidate sees: its pydantic contract (criteria, key-point verdicts, misconceptions, citations and
how it was made), the rubric's words, and the interview's adjustments (hints, lateness)."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, Field

GRADE_SCHEMA_VERSION = 1
Coverage = Literal["covered", "partly", "missing", "contradicted"]
Criterion = Literal["correctness", "completeness", "depth", "clarity"]

RUBRIC: dict[str, list[str]] = {
    "correctness": [
        "Nothing correct, or no answer.",
        "Mostly wrong; a correct fragment at best.",
        "Some correct statements, with notable errors or confusion.",
        "Mostly correct; the central idea is right but thin or partly imprecise.",
        "Correct, with at most a minor imprecision.",
        "Fully correct and precise.",
    ],
    "completeness": [
        "No key point covered.",
        "One minor key point touched.",
        "Under half of the weighted key points covered.",
        "About half to two thirds of the weighted key points covered.",
        "Most key points covered; one is missing or thin.",
        "Every key point covered.",
    ],
    "depth": [
        "No reasoning at all.",
        "Names terms without explaining them.",
        "Explains one idea superficially.",
        "Explains the main mechanism.",
        "Explains mechanisms and at least one trade-off or consequence.",
        "Explains mechanisms, trade-offs and when each applies, as in the reference answer.",
    ],
    "clarity": [
        "Unreadable or no answer.",
        "Hard to follow; fragments or heavy repetition.",
        "Understandable with effort; disorganised.",
        "Clear enough; some rambling or repetition.",
        "Clear and organised.",
        "Clear, concise and well organised.",
    ],
}


# --- the grade -------------------------------------------------------------------------------------------


class CriterionScore(BaseModel):
    criterion: Criterion = Field(description="Which general criterion.")
    score: int = Field(ge=0, le=5, description="0 to 5, see the rubric descriptor for the level.")
    descriptor: str = Field(description="The rubric's words for this level.")
    justification: str = Field(description="One line: why this level.")


class KeyPointVerdict(BaseModel):
    key_point_id: str = Field(description="The key point's id in the pack.")
    statement: str = Field(description="What a complete answer says.")
    weight: float = Field(description="The key point's weight.")
    status: Coverage = Field(description="covered, partly, missing, or contradicted (the answer reverses it).")
    coverage: float = Field(ge=0, le=1, description="Evidence strength in [0, 1].")
    evidence_quote: str | None = Field(description="The answer sentence the evidence comes from.")
    similarity: float = Field(description="Cosine similarity of that sentence to the statement (MiniLM).")
    word_overlap: float = Field(description="Share of the statement's content words found in that sentence.")
    model_verdict: Coverage | None = Field(default=None, description="The model's verdict, if it was used.")
    model_quote_verified: bool | None = Field(default=None, description="Whether the model's quote is in the answer.")
    probe: str = Field(description="A question that asks for this point.")
    from_follow_up: bool = Field(default=False, description="True when a follow-up answer gave the evidence.")
    contradiction: str | None = Field(
        default=None, description="How the quoted sentence reverses the key point, when it is contradicted."
    )
    contradiction_confidence: float | None = Field(
        default=None, description="How sure the evidence is of the reversal (verifier probability; 1 for a rule).")
    verifier_support: float | None = Field(
        default=None, description="The verifier's probability that the answer's best sentence makes this point.")
    verifier_contradiction: float | None = Field(
        default=None, description="The verifier's highest probability, read both ways, that a sentence reverses it.")


class MisconceptionHit(BaseModel):
    claim: str = Field(description="The wrong claim the answer states (from the pack).")
    why: str = Field(description="Why it is wrong.")
    quote: str = Field(description="The answer sentence that states it.")
    similarity: float = Field(description="Cosine similarity of that sentence to the claim (MiniLM).")
    confidence: float | None = Field(
        default=None, description="How sure the evidence is that the sentence states it (verifier; 1 for a rule).")


class RejectedModelText(BaseModel):
    text: str = Field(description="What the model wrote.")
    reason: str = Field(description="The check it failed (interviewer/grading/model_text.py).")


class Citation(BaseModel):
    source: str
    heading: str
    section_id: str


class GradeTimings(BaseModel):
    retrieval_ms: float = 0.0
    evidence_ms: float = 0.0
    verifier_ms: float = 0.0  # the verifier's part of evidence_ms
    model_ms: float = 0.0
    total_ms: float = 0.0


class Grade(BaseModel):
    schema_version: int = GRADE_SCHEMA_VERSION
    question_id: str
    overall: float = Field(ge=0, le=5, description="0 to 5, one decimal.")
    percent: int = Field(ge=0, le=100)
    criteria: list[CriterionScore]
    key_points: list[KeyPointVerdict]
    strengths: list[str]
    gaps: list[str]
    advice: list[str]
    guard: str | None = Field(default=None, description="The guard that scored the answer 0, if any.")
    flags: list[str] = Field(default_factory=list, description="Warnings such as prompt-injection.")
    explanation: str
    citations: list[Citation]
    evidence_only: bool = Field(description="True when the model was not used (unavailable or disabled).")
    model_id: str | None
    model_note: str | None = None
    prompt_version: str
    seed: int
    calibration_version: str
    timings: GradeTimings
    follow_ups: list[str] = Field(default_factory=list, description="Key points asked about in follow-ups.")
    hints_used: int = Field(default=0, description="Hints taken before answering (practice mode).")
    hint_penalty: float = Field(default=0.0, description="Points taken off the overall score for those hints.")
    late: bool = Field(default=False, description="Answered after the exam's time limit.")
    misconceptions: list[MisconceptionHit] = Field(
        default_factory=list, description="Wrong claims of the pack's misconception list the answer states."
    )
    model_advice: str | None = Field(
        default=None, description="The model's own advice, shown labelled as the model's: it passed the checks."
    )
    model_text_rejected: list[RejectedModelText] = Field(
        default_factory=list, description="Model prose that failed the checks: kept for the record, never shown."
    )
    verifier_id: str | None = Field(
        default=None, description="The verifier whose readings are part of the evidence, if one was used.")
    misconception_probability: float | None = Field(
        default=None, description="The verifier's highest reading that a sentence states one of the misconceptions.")
    model_weight: float | None = Field(
        default=None, description="How far the model's verdicts moved a coverage (its measured weight), if used."
    )
    reference_only: bool = Field(
        default=False, description="The question has no authored key points: its reference answer's sentences "
                                   "stood in for them.")

    @property
    def missing_key_points(self) -> list[KeyPointVerdict]:
        order = {"contradicted": 0, "missing": 1, "partly": 2, "covered": 3}
        gaps = [kp for kp in self.key_points if kp.status != "covered"]
        return sorted(gaps, key=lambda kp: (order[kp.status], -kp.weight))


HINT_PENALTY = 0.5  # points off the 0-5 score per hint taken


def with_interview_adjustments(grade: Grade, hints_used: int, late: bool) -> Grade:
    """The grade as the interview reports it: hints cost points, a late answer is marked (never hidden)."""
    penalty = round(min(grade.overall, HINT_PENALTY * hints_used), 1)
    overall = round(grade.overall - penalty, 1)
    notes = []
    if penalty:
        notes.append(f"{penalty:.1f} taken off for {hints_used} hint{'s' if hints_used != 1 else ''}.")
    if late:
        notes.append("Answered after the time limit.")
    explanation = grade.explanation + (" " + " ".join(notes) if notes else "")
    return grade.model_copy(update={
        "overall": overall, "percent": int(round(overall * 20)), "hints_used": hints_used, "hint_penalty": penalty,
        "late": late, "explanation": explanation,
    })


def grade_to_json(grade: Grade) -> str:
    return json.dumps(grade.model_dump(mode="json"), indent=2, ensure_ascii=False)
