"""What the grading model is asked and may answer: the prompt built from a question and an answer, and the JSON
it must produce (labels and verdicts as enums, since llama.cpp's grammar ignores numeric bounds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, create_model

from interviewer.grading.calibration import Calibration
from interviewer.grading.evidence import quote_in_answer
from interviewer.grading.grade import KeyPointVerdict
from interviewer.grading.model_weight import COVERED_CHECK_WEIGHT
from interviewer.packs import Question
from interviewer.prompts import PromptTemplate, escape_untrusted
from interviewer.retrieval.search import RetrievedChunk


def model_label(index: int) -> str:
    return f"k{index + 1}"


def model_output_type(question: Question, asked: Sequence[int] | None = None) -> type[BaseModel]:
    """The JSON the model must produce, with enums for labels and verdicts (the grammar ignores min/max).

    `asked` limits the verdicts to some key points (by index); the default asks about all of them.
    """
    # Short labels (k1, k2, ...) instead of the pack's ids: every generated token costs ~12 ms on the default model.
    indices = list(range(len(question.key_points))) if asked is None else list(asked)
    if not indices:
        return create_model(
            "ModelAdviceOnly",
            advice=(Annotated[str, StringConstraints(max_length=120)], Field(description="One tip.")),
        )
    ids = tuple(model_label(index) for index in indices)
    quote = Annotated[str, StringConstraints(max_length=60)]  # short quotes keep the call near a second
    verdict_fields: dict[str, Any] = {
        "point": (Literal[ids], Field(description="Key point label.")),
        "quote": (quote, Field(description="Exact words from the answer, or empty.")),
        "verdict": (Literal["covered", "partly", "missing", "contradicted"], Field(description="Verdict.")),
    }
    verdict_model = create_model("ModelKeyPointVerdict", **verdict_fields)
    notes_fields: dict[str, Any] = {
        "key_points": (Annotated[list[verdict_model], Field(max_length=len(ids))], ...),  # type: ignore[valid-type]
        "advice": (Annotated[str, StringConstraints(max_length=120)], Field(description="One tip.")),
    }
    return create_model("ModelGradeNotes", **notes_fields)


def build_messages(
    template: PromptTemplate,
    question: Question,
    answer: str,
    references: Sequence[RetrievedChunk],
    asked: Sequence[int] | None = None,
) -> list[dict[str, str]]:
    key_points = "\n".join(
        f"- {model_label(i)} (weight {p.weight:g}): {p.statement}" for i, p in enumerate(question.key_points)
    )
    # One short excerpt: prompt tokens cost ~2.3 ms each on the default model, and the key points carry the rubric.
    reference_text = "\n".join(f"[{r.citation}] {r.text[:300]}" for r in references[:1])
    user = template.user.format(
        question=question.question,
        reference_answer=question.reference_answer,
        key_points=key_points,
        references=reference_text or "(none)",
        answer=escape_untrusted(answer),
        asked=", ".join(model_label(i) for i in (range(len(question.key_points)) if asked is None else asked))
        or "none (only give the advice)",
    )
    return [{"role": "system", "content": template.system}, {"role": "user", "content": user}]


def apply_model_verdicts(
    verdicts: list[KeyPointVerdict], notes: BaseModel, sentences: Sequence[str], calibration: Calibration,
    weight: float, *, injected: bool, asked: Sequence[int] | None = None,
) -> None:
    """Move coverages towards the model's verdicts by its measured weight; only verdicts on points it was asked
    about, whose quote is really in the answer, count."""
    value = {"covered": 1.0, "partly": 0.5, "missing": 0.0, "contradicted": 0.0}
    by_label = {model_label(index): v for index, v in enumerate(verdicts)
                if asked is None or index in asked}  # verdicts on points not asked about are not counted
    for item in getattr(notes, "key_points", []):
        verdict = by_label.get(item.point)
        if verdict is None or verdict.model_verdict is not None or verdict.status == "contradicted":
            continue
        verified = quote_in_answer(item.quote, sentences)
        verdict.model_verdict = item.verdict
        verdict.model_quote_verified = verified
        if not verified:
            continue  # an unverifiable claim about the answer is discarded
        target = value[item.verdict]
        if injected and target > verdict.coverage:
            continue  # an answer that tried to instruct the grader gets no benefit of the doubt
        verdict.coverage = round(verdict.coverage + weight * (target - verdict.coverage), 4)
        verdict.status = calibration.status(verdict.coverage)
        if item.verdict == "contradicted" and weight >= COVERED_CHECK_WEIGHT:
            # A model measured to earn it may overrule the evidence: a reversal scores no coverage at all.
            verdict.coverage = 0.0
            verdict.status = "contradicted"
            verdict.evidence_quote = item.quote
            verdict.contradiction = "the model reads it as reversing the key point"
        elif item.verdict == "contradicted" and verdict.status == "missing":
            # The model's word counts only where the evidence has little for the point anyway.
            verdict.status = "contradicted"
            verdict.evidence_quote = item.quote
            verdict.contradiction = "the model reads it as reversing the key point"
        elif verdict.status != "missing" and verdict.evidence_quote is None:
            verdict.evidence_quote = item.quote
