"""Rubric grading: a score built from evidence the program can check, explained criterion by criterion.

How a score is made (the same inputs always give the same grade):
1. Guards: empty, "I don't know", gibberish, a copy of the question or an off-topic answer scores 0 with the
   reason. Instruction-like sentences are flagged and removed before anything else sees the answer.
2. Evidence per key point: the best-matching answer sentence (or pair of sentences) by MiniLM cosine similarity,
   and the share of the key point's content words that sentence contains. A logistic curve with fitted
   parameters turns the two into a coverage in [0, 1]: covered, partly covered or missing, with the quote.
   A span that reverses the key point (interviewer/contradiction.py: a negation, an antonym, swapped roles) makes
   it contradicted instead: no coverage, points off, correctness capped, and the feedback quotes the sentence
   and says what the key point states. A sentence that states one of the question's misconceptions (close to the
   wrong claim by similarity, and not denying it) likewise costs points and is explained.
3. The model (any GGUF; SmolLM2-135M by default) gives its own verdict per key point with a quote. A verdict
   counts only if its quote really is in the answer, it moves a coverage by the model's measured weight
   (interviewer/model_weight.py; a model whose verdicts were measured to add nothing is not asked at all), and
   it is ignored for an answer that tried to instruct the grader. The model also writes a tip, shown labelled as
   the model's only when it passes the checks of interviewer/model_text.py.
4. Overall = the calibrated linear map of weighted coverage, minus the penalties of step 2, clipped to 0..5
   (parameters in
   grading_calibration.json, fitted on knowledge/eval/grading-dev.csv; refit with
   `interviewer eval grading --dataset FILE.csv --fit-calibration interviewer/grading_calibration.json`).
   A question with no authored key points (tagged REFERENCE_ONLY_TAG: a dataset gave only a reference answer, and
   its key points were cut from it) is scored instead by the file's `reference_only` map of the answer's match
   with the whole reference (interviewer/reference_match.py), fitted on the public Mohler short-answer set; its
   grade's calibration_version names that map. Every pack question has authored key points and the first map.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, Field, StringConstraints, create_model

from interviewer.contradiction import about_other_role, find_contradiction
from interviewer.embeddings import Embedder, bundled_model_path
from interviewer.errors import ModelError
from interviewer.guards import (
    GuardResult,
    check_non_answer,
    content_words,
    sanitise,
    topical_words,
    unrecognised,
)
from interviewer.llm import StructuredLLM
from interviewer.model_text import review_model_prose
from interviewer.model_weight import COVERED_CHECK_WEIGHT, lookup_weight, model_key, weights_files
from interviewer.packs import KeyPoint, Misconception, Question
from interviewer.reference_match import ReferenceCalibration, match_reference
from interviewer.resources import builtin_docs_dir, prompts_dir
from interviewer.retrieval import RetrievedChunk, Retriever, tokenize

GRADE_SCHEMA_VERSION = 1
# A reversed key point or a stated misconception is an error, not a gap: points off (a contradiction's scaled by
# the point's weight against the heaviest), and the overall and correctness are capped.
CONTRADICTION_PENALTY, CONTRADICTION_CAP = 1.5, 1.5
MISCONCEPTION_PENALTY, MISCONCEPTION_CAP = 1.5, 1.5
ERROR_CORRECTNESS_CAP = 2
# A misconception is stated when a sentence is this close to the wrong claim (MiniLM cosine) and closer to it
# than to any key point.
MISCONCEPTION_SIMILARITY = 0.7
# The model is asked only about key points whose evidence is inconclusive, at most this many per answer.
UNSURE_ABOVE, UNSURE_BELOW, MAX_MODEL_VERDICTS = 0.15, 0.85, 3
# A model whose weight reaches COVERED_CHECK_WEIGHT also checks this many covered key points for a reversal.
MAX_COVERED_CHECKS = 2
# Past this an answer is graded on its beginning (~1,500 tokens: with the prompt, inside a 4,096-token window), and
# the grade says so; the bound also keeps evidence-gathering time flat.
MAX_ANSWER_CHARS = 6000
CALIBRATION_FILE = Path(__file__).with_name("grading_calibration.json")
# A question whose key points were cut from its reference answer (a dataset with no key points) carries this tag;
# it is scored by the calibration's `reference_only` map when there is one.
REFERENCE_ONLY_TAG = "reference-only"
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


class MisconceptionHit(BaseModel):
    claim: str = Field(description="The wrong claim the answer states (from the pack).")
    why: str = Field(description="Why it is wrong.")
    quote: str = Field(description="The answer sentence that states it.")
    similarity: float = Field(description="Cosine similarity of that sentence to the claim (MiniLM).")


class RejectedModelText(BaseModel):
    text: str = Field(description="What the model wrote.")
    reason: str = Field(description="The check it failed (interviewer/model_text.py).")


class Citation(BaseModel):
    source: str
    heading: str
    section_id: str


class GradeTimings(BaseModel):
    retrieval_ms: float = 0.0
    evidence_ms: float = 0.0
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
    model_weight: float | None = Field(
        default=None, description="How far the model's verdicts moved a coverage (its measured weight), if used."
    )

    @property
    def missing_key_points(self) -> list[KeyPointVerdict]:
        order = {"contradicted": 0, "missing": 1, "partly": 2, "covered": 3}
        gaps = [kp for kp in self.key_points if kp.status != "covered"]
        return sorted(gaps, key=lambda kp: (order[kp.status], -kp.weight))


# --- calibration -----------------------------------------------------------------------------------------


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
    fitted_on: str = ""
    fit_figures: dict[str, float] = Field(default_factory=dict)
    reference_only: ReferenceCalibration | None = Field(
        default=None, description="The map for questions with a reference answer only (no authored key points)."
    )

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


# --- the prompt ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str
    extra: dict[str, str] = field(default_factory=dict)  # further `## name` parts, e.g. follow_up's after_tools


@lru_cache(maxsize=4)
def load_prompt(name: str = "grading") -> PromptTemplate:
    """A prompts/<name>.md file: a `version:` line, then `## system` and `## user` parts."""
    text = (prompts_dir() / f"{name}.md").read_text(encoding="utf-8")
    version = re.search(r"^version:\s*(\S+)", text, re.MULTILINE)
    parts = re.split(r"^## ([a-z_]+)\s*$", text, flags=re.MULTILINE)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if not version or "system" not in sections or "user" not in sections:
        raise ModelError(f"prompt file {name}.md needs a version line and ## system / ## user parts")
    extra = {key: value for key, value in sections.items() if key not in ("system", "user")}
    return PromptTemplate(f"{name}@{version.group(1)}", sections["system"], sections["user"], extra)


def escape_untrusted(text: str) -> str:
    """The answer goes into the prompt as data: it cannot close or open the tags around it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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


# --- evidence --------------------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def quote_in_answer(quote: str, answer_sentences: Sequence[str]) -> bool:
    """A model quote counts only if it appears in the (sanitised) answer, ignoring case and spacing."""
    needle = _normalise(quote)
    return len(needle) >= 8 and needle in _normalise(" ".join(answer_sentences))


def _word_overlap(statement: str, sentence: str) -> float:
    wanted = set(tokenize(statement))
    if not wanted:
        return 0.0
    return len(wanted & set(tokenize(sentence))) / len(wanted)


@dataclass
class Evidence:
    best_sentence: str | None
    similarity: float
    overlap: float
    coverage: float
    contradiction: str | None = None  # how the best span reverses the key point
    contradicting_sentence: str | None = None


def gather_evidence(
    key_points: Sequence[KeyPoint], sentences: Sequence[str], embedder: Embedder, calibration: Calibration,
    vectors: np.ndarray | None = None, *, check_reversals: bool = True,
) -> list[Evidence]:
    """Per key point: the answer span most like it, and how strongly it matches.

    Spans are single sentences and adjacent pairs (a point is often made across two sentences). Each key point
    takes its best span by the same combined strength the coverage curve uses, so adding unrelated or repeated
    text can never raise a coverage. `check_reversals=False` leaves out the contradiction check (for key points
    cut from a reference answer, which are pieces of a sentence rather than claims).
    """
    if not sentences:
        return [Evidence(None, 0.0, 0.0, 0.0) for _ in key_points]
    spans = list(sentences) + [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]
    if vectors is None:
        vectors = embedder.encode([point.statement for point in key_points] + spans)
    point_vectors, span_vectors = vectors[: len(key_points)], vectors[len(key_points) :]
    similarities = point_vectors @ span_vectors.T
    results = []
    for row, point in enumerate(key_points):
        best: Evidence | None = None
        for column, span in enumerate(spans):
            similarity = float(similarities[row, column])
            overlap = _word_overlap(point.statement, span)
            coverage = calibration.coverage(similarity, overlap)
            if best is None or coverage > best.coverage:
                best = Evidence(span, similarity, overlap, coverage)
        assert best is not None
        if check_reversals:
            _check_reversal(point, best, sentences)
        results.append(best)
    return results


def _check_reversal(point: KeyPoint, evidence: Evidence, sentences: Sequence[str]) -> None:
    """Mark the evidence when a sentence of the best span says the opposite of the key point."""
    if evidence.best_sentence is None:
        return
    for sentence in sentences:
        if sentence not in evidence.best_sentence:
            continue
        found = find_contradiction(point.statement, sentence)
        if found is not None:
            evidence.contradiction = found.describe()
            evidence.contradicting_sentence = sentence
            return


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def find_misconceptions(
    misconceptions: Sequence[Misconception], key_points: Sequence[KeyPoint], sentences: Sequence[str],
    embedder: Embedder,
) -> list[MisconceptionHit]:
    """The wrong claims an answer states: a sentence close to the claim, closer to it than to any key point, and
    not reversing it ("LoRA does not update all the weights" states no misconception)."""
    if not misconceptions or not sentences:
        return []
    claims = [m.claim for m in misconceptions]
    vectors = embedder.encode(claims + [p.statement for p in key_points] + list(sentences))
    claim_vectors = vectors[: len(claims)]
    point_vectors = vectors[len(claims) : len(claims) + len(key_points)]
    sentence_vectors = vectors[len(claims) + len(key_points) :]
    to_claims = claim_vectors @ sentence_vectors.T
    to_points = (point_vectors @ sentence_vectors.T).max(axis=0) if len(key_points) else np.zeros(len(sentences))
    hits = []
    for row, misconception in enumerate(misconceptions):
        column = int(np.argmax(to_claims[row]))
        similarity = float(to_claims[row, column])
        sentence = sentences[column]
        if similarity < MISCONCEPTION_SIMILARITY or similarity <= float(to_points[column]):
            continue
        if find_contradiction(misconception.claim, sentence) or about_other_role(misconception.claim, sentence):
            continue  # the sentence denies the wrong claim, or says it of the other side ("full", not "PEFT")
        claim_numbers, sentence_numbers = set(_NUMBER.findall(misconception.claim)), set(_NUMBER.findall(sentence))
        if claim_numbers and sentence_numbers and not claim_numbers & sentence_numbers:
            continue  # "47B in total" is not the claim "56B"
        hits.append(MisconceptionHit(claim=misconception.claim, why=misconception.why, quote=sentence,
                                     similarity=round(similarity, 4)))
    return hits


def _reference_text(question: Question) -> str:
    return " ".join([question.reference_answer, *(point.statement for point in question.key_points)])


@lru_cache(maxsize=1)
def corpus_vocabulary() -> frozenset[str]:
    """Words a real answer is made of: everything in the knowledge documents (for the gibberish guard)."""
    words: set[str] = set()
    docs = builtin_docs_dir()
    if docs.is_dir():
        for path in docs.glob("*.md"):
            words.update(content_words(path.read_text(encoding="utf-8")))
    words.update("i im i'm you we they it its it's think guess basically like so yeah well um uh ok okay".split())
    return frozenset(words)


@lru_cache(maxsize=1)
def english_vocabulary() -> frozenset[str]:
    """General English words (the embedding model's word-piece vocabulary): a word in it is not gibberish.

    It is no guide to the subject ("pizza" is in it), so the off-topic check uses corpus_vocabulary alone.
    """
    try:
        path = Path(bundled_model_path()) / "vocab.txt"
        pieces = path.read_text(encoding="utf-8").split()
    except (ModelError, OSError):
        return frozenset()
    return frozenset(piece for piece in pieces if piece.isalpha() and piece.islower() and len(piece) > 2)


# --- grading ---------------------------------------------------------------------------------------------


@dataclass
class Grader:
    """Grades answers to pack questions. `llm=None` grades from evidence only (and says so in the grade)."""

    embedder: Embedder
    retriever: Retriever | None = None
    llm: StructuredLLM | None = None
    calibration: Calibration | None = None
    seed: int = 0
    off_topic_threshold: float = 0.2
    unsure_band: tuple[float, float] = (UNSURE_ABOVE, UNSURE_BELOW)
    max_model_verdicts: int = MAX_MODEL_VERDICTS
    model_weight: float | None = None  # None: the measured weight of the model in use (model_weight.py)
    data_dir: Path | None = None  # whose model_weights.json is read after the shipped one

    def __post_init__(self) -> None:
        if self.calibration is None:
            self.calibration = load_calibration()
        self.template = load_prompt("grading")
        self._references: dict[str, list[RetrievedChunk]] = {}

    def grade(self, question: Question, answer: str, *, use_model: bool = True) -> Grade:
        if len(answer) > MAX_ANSWER_CHARS:
            grade = self.grade(question, answer[:MAX_ANSWER_CHARS], use_model=use_model)
            notice = f"Only the first {MAX_ANSWER_CHARS:,} of {len(answer):,} characters were graded. "
            return grade.model_copy(update={"flags": [*grade.flags, "answer-truncated"],
                                            "explanation": notice + grade.explanation})
        started = time.perf_counter()
        timings = GradeTimings()
        calibration = self.calibration
        assert calibration is not None

        t0 = time.perf_counter()
        references = self.references_for(question)
        timings.retrieval_ms = (time.perf_counter() - t0) * 1000
        citations = self._citations(references)

        t0 = time.perf_counter()
        cleaned = sanitise(answer)
        flags = [f"prompt-injection:{flag}" for flag in cleaned.flags]
        vocabulary = corpus_vocabulary() | set(content_words(question.question + " " + _reference_text(question)))
        guard = check_non_answer(cleaned.text, question.question, vocabulary, _reference_text(question),
                                 english_vocabulary())
        if guard is not None and guard.name == "empty" and cleaned.removed:
            guard = GuardResult("instructions-only", "The answer only holds instructions to the grader.")
        evidence: list[Evidence] = []
        if guard is None:
            # The reversal rules read claims: a key point cut from a reference sentence at a comma or an "and" is a
            # fragment whose polarity lives in the rest of the sentence. On the Mohler data all 5 reversals the
            # rules found in such fragments were in answers people scored 4.5 or 5.
            evidence = gather_evidence(question.key_points, cleaned.sentences, self.embedder, calibration,
                                       check_reversals=REFERENCE_ONLY_TAG not in question.tags)
            guard = self._off_topic(question, cleaned.sentences, evidence, vocabulary)
        timings.evidence_ms = (time.perf_counter() - t0) * 1000

        if guard is not None:
            timings.total_ms = (time.perf_counter() - started) * 1000
            return self._zero_grade(question, guard, flags, citations, timings)

        verdicts = [self._verdict(point, ev) for point, ev in zip(question.key_points, evidence, strict=True)]
        misconceptions = find_misconceptions(question.misconceptions, question.key_points, cleaned.sentences,
                                             self.embedder)
        reference_score = None
        if REFERENCE_ONLY_TAG in question.tags and calibration.reference_only is not None:
            match = match_reference(question.question, question.reference_answer, cleaned.sentences, self.embedder)
            reference_score = calibration.reference_only.overall(match)
        model_note: str | None = None
        model_advice = ""
        evidence_only = True
        if use_model and self.llm is not None and self.verdict_weight() <= 0:
            model_note = (f"The model's verdicts were measured to change no grade ({model_key(self.llm)}: weight 0), "
                          "so it was not asked.")
        elif use_model and self.llm is not None:
            t0 = time.perf_counter()
            try:
                asked = self._asked_points(verdicts)
                notes, _stats = self.llm.complete_structured(
                    build_messages(self.template, question, cleaned.text, references, asked),
                    model_output_type(question, asked),
                    max_tokens=90 + 45 * len(asked),  # room for the longest quotes and advice
                )
                evidence_only = False
                model_advice = str(getattr(notes, "advice", "")).strip()
                self._apply_model_verdicts(verdicts, notes, cleaned.sentences, injected=bool(cleaned.flags),
                                           asked=asked)
            except ModelError as exc:
                model_note = f"{exc.title}: {exc.message}"
            timings.model_ms = (time.perf_counter() - t0) * 1000
        elif use_model:
            model_note = "No model configured."

        rejected: list[RejectedModelText] = []
        if model_advice:
            review = review_model_prose(model_advice, question, [r.text for r in references])
            if review.problem is not None:
                rejected.append(RejectedModelText(text=model_advice, reason=review.problem))
                model_advice = ""
        grade = self._assemble(question, verdicts, cleaned.sentences, flags, citations, timings, evidence_only,
                               model_note, model_advice, misconceptions, reference_score)
        grade.model_text_rejected = rejected
        grade.model_weight = None if evidence_only else self.verdict_weight()
        grade.timings.total_ms = (time.perf_counter() - started) * 1000
        return grade

    def references_for(self, question: Question) -> list[RetrievedChunk]:
        """The reference material for a question: it depends on the question alone, so it is looked up once."""
        if self.retriever is None:
            return []
        if question.id not in self._references:
            found = self.retriever.search(f"{question.question} {question.reference_answer}", k=3,
                                          topics=[question.topic])
            self._references[question.id] = found or self.retriever.search(question.question, k=3)
        return self._references[question.id]

    @staticmethod
    def _citations(references: Sequence[RetrievedChunk]) -> list[Citation]:
        return [Citation(source=r.source, heading=r.heading, section_id=r.chunk_id) for r in references]

    def prepare(self, question: Question) -> None:
        """Do the answer-independent work ahead of time, e.g. while the candidate is still typing.

        Looks up the reference material and lets the model read the prompt up to the answer, so grading after
        the answer arrives only pays for the answer's own tokens (llama.cpp reuses the common prompt prefix).
        """
        references = self.references_for(question)
        if self.llm is None or self.verdict_weight() <= 0:
            return  # a model that is not asked while grading has nothing to read ahead
        warm = getattr(self.llm, "warm", None)
        if warm is not None:
            try:
                warm(build_messages(self.template, question, "", references))
            except ModelError:
                pass  # a model that cannot warm up will report its failure when it grades

    def zero_grade(self, question: Question, name: str, reason: str) -> Grade:
        """A 0 grade with its reason, for an answer that was not given (e.g. the question was skipped)."""
        return self._zero_grade(question, GuardResult(name, reason), [], self._citations(self.references_for(question)),
                                GradeTimings())

    def grade_follow_up(
        self, question: Question, previous: Grade, key_point_id: str, answer: str, all_answers: Sequence[str]
    ) -> Grade:
        """Grade a follow-up answer against the one key point it asked about and update the question's grade.

        The key point keeps the stronger of its two pieces of evidence (the main answer's or the follow-up's);
        the other key points are untouched, so a follow-up can only add what it was asked for. `all_answers`
        (main answer and every follow-up answer so far) feeds the clarity and depth criteria.
        """
        started = time.perf_counter()
        calibration = self.calibration
        assert calibration is not None
        point = question.key_point(key_point_id)
        cleaned = sanitise(answer[:MAX_ANSWER_CHARS])
        flags = list(dict.fromkeys(previous.flags + [f"prompt-injection:{flag}" for flag in cleaned.flags]))
        verdicts = [verdict.model_copy() for verdict in previous.key_points]
        vocabulary = corpus_vocabulary() | set(content_words(question.question + " " + _reference_text(question)))
        guard = check_non_answer(cleaned.text, point.probe, vocabulary, point.statement, english_vocabulary())
        note = ""
        if guard is None:
            evidence = gather_evidence([point], cleaned.sentences, self.embedder, calibration)[0]
            index = next(i for i, verdict in enumerate(verdicts) if verdict.key_point_id == key_point_id)
            if evidence.contradiction is None and evidence.coverage > verdicts[index].coverage:
                verdicts[index] = verdicts[index].model_copy(update={
                    "coverage": round(evidence.coverage, 4),
                    "status": calibration.status(evidence.coverage),
                    "evidence_quote": evidence.best_sentence if calibration.status(evidence.coverage) != "missing"
                    else None,
                    "similarity": round(evidence.similarity, 4),
                    "word_overlap": round(evidence.overlap, 4),
                    "from_follow_up": True,
                })
        else:
            note = f" The follow-up answer added nothing: {guard.reason}"
        combined = sanitise("\n".join(all_answers))
        timings = GradeTimings(retrieval_ms=previous.timings.retrieval_ms)
        grade = self._assemble(question, verdicts, combined.sentences, flags, previous.citations, timings,
                               previous.evidence_only, previous.model_note, "", previous.misconceptions)
        grade.follow_ups = previous.follow_ups + [key_point_id]
        grade.explanation += f" Updated after a follow-up on '{point.statement}'.{note}"
        grade.model_id = previous.model_id
        grade.timings.total_ms = (time.perf_counter() - started) * 1000
        return grade

    # --- pieces ---

    def _off_topic(
        self, question: Question, sentences: Sequence[str], evidence: list[Evidence], vocabulary: frozenset[str]
    ) -> GuardResult | None:
        """An answer about something else: far from every key point, sharing few words, in another field's words.

        Similarity alone cannot tell: a terse right answer in its own words ("You can point both forwards and
        backwards" to a question on doubly-linked lists) is as far from the key points as a pizza recipe. What
        tells them apart is vocabulary: the pizza recipe's words are not the subject's.
        """
        best_similarity = max((ev.similarity for ev in evidence), default=0.0)
        # Words compared by their first letters, so "globally" meets "global" and "iterativly" meets "iteration".
        reference_words = {word[:5] for word in tokenize(_reference_text(question) + " " + question.question)}
        answer_words = {word[:5] for word in tokenize(" ".join(sentences))}
        shared = len(answer_words & reference_words) / max(1, len(answer_words))
        topical = topical_words(content_words(" ".join(sentences)))
        foreign = [word for word in unrecognised(topical, vocabulary) if len(word) > 3]  # "ana" is a typo, not a topic
        if best_similarity < self.off_topic_threshold and shared < 0.15 and len(foreign) >= max(2, 0.2 * len(topical)):
            return GuardResult("off-topic", "The answer does not address the question.")
        return None

    def verdict_weight(self) -> float:
        """How far the model's verdicts move a coverage: set, or measured for the model in use (0: not asked)."""
        if self.model_weight is None:
            self.model_weight = lookup_weight(self.llm, weights_files(self.data_dir))[0] if self.llm else 0.0
        return self.model_weight

    def _asked_points(self, verdicts: Sequence[KeyPointVerdict]) -> list[int]:
        """The key points the model is asked about: the unsettled ones and, once its weight has earned it, the
        heaviest covered ones, to catch a reversal the evidence scores as a match."""
        asked = self._uncertain_points(verdicts)
        if self.verdict_weight() >= COVERED_CHECK_WEIGHT:
            covered = [i for i, v in enumerate(verdicts) if v.coverage >= self.unsure_band[1] and v.status == "covered"]
            covered.sort(key=lambda i: -verdicts[i].weight)
            asked = sorted(set(asked) | set(covered[:MAX_COVERED_CHECKS]))
        return asked

    def _uncertain_points(self, verdicts: Sequence[KeyPointVerdict]) -> list[int]:
        """The key points the evidence cannot settle, heaviest first: the only ones worth a verdict on coverage.

        Clear cases gain little from a model whose verdicts move a coverage by a fraction, and every verdict the
        model writes costs about half a second on the default model.
        """
        low, high = self.unsure_band
        unsure = [i for i, v in enumerate(verdicts) if low < v.coverage < high]
        unsure.sort(key=lambda i: (-verdicts[i].weight, abs(verdicts[i].coverage - 0.5)))
        return sorted(unsure[: self.max_model_verdicts])

    def _verdict(self, point: KeyPoint, evidence: Evidence) -> KeyPointVerdict:
        calibration = self.calibration
        assert calibration is not None
        status = calibration.status(evidence.coverage)
        if evidence.contradiction is not None:
            # A reversal matches its key point as well as the point itself does: it is an error, not coverage.
            return KeyPointVerdict(
                key_point_id=point.id, statement=point.statement, weight=point.weight, status="contradicted",
                coverage=0.0, evidence_quote=evidence.contradicting_sentence,
                similarity=round(evidence.similarity, 4), word_overlap=round(evidence.overlap, 4), probe=point.probe,
                contradiction=evidence.contradiction,
            )
        return KeyPointVerdict(
            key_point_id=point.id,
            statement=point.statement,
            weight=point.weight,
            status=status,
            coverage=round(evidence.coverage, 4),
            evidence_quote=evidence.best_sentence if status != "missing" else None,
            similarity=round(evidence.similarity, 4),
            word_overlap=round(evidence.overlap, 4),
            probe=point.probe,
        )

    def _apply_model_verdicts(
        self, verdicts: list[KeyPointVerdict], notes: BaseModel, sentences: Sequence[str], injected: bool,
        asked: Sequence[int] | None = None,
    ) -> None:
        calibration = self.calibration
        assert calibration is not None
        weight = self.verdict_weight()
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

    def _assemble(
        self,
        question: Question,
        verdicts: list[KeyPointVerdict],
        sentences: Sequence[str],
        flags: list[str],
        citations: list[Citation],
        timings: GradeTimings,
        evidence_only: bool,
        model_note: str | None,
        model_advice: str,
        misconceptions: Sequence[MisconceptionHit] = (),
        reference_score: float | None = None,
    ) -> Grade:
        calibration = self.calibration
        assert calibration is not None
        total_weight = sum(v.weight for v in verdicts)
        heaviest = max(v.weight for v in verdicts)
        weighted = sum(v.weight * v.coverage for v in verdicts) / total_weight
        covered = [v for v in verdicts if v.status == "covered"]
        partly = [v for v in verdicts if v.status == "partly"]
        missing = [v for v in verdicts if v.status == "missing"]
        contradicted = [v for v in verdicts if v.status == "contradicted"]
        # A reference-only question is scored by the answer's match with the whole reference (reference_match.py).
        overall = calibration.overall(weighted) if reference_score is None else reference_score
        # Errors cost more than gaps: a wrong claim taught as right is worse than a claim left out.
        penalty = (CONTRADICTION_PENALTY * sum(v.weight / heaviest for v in contradicted)
                   + MISCONCEPTION_PENALTY * len(misconceptions))
        caps = [5.0] + ([CONTRADICTION_CAP] if contradicted else []) + ([MISCONCEPTION_CAP] if misconceptions else [])
        cap = min(caps)
        overall = round(max(0.0, min(cap, overall - penalty)), 1)
        heavy = [v for v in verdicts if v.weight >= heaviest]
        heavy_coverage = sum(v.coverage for v in heavy) / len(heavy)
        words = sum(len(content_words(s)) for s in sentences)
        mean_sentence = words / max(1, len(sentences))

        def level(value: float) -> int:
            return int(min(5, max(0, round(value))))

        correctness = level(0.5 * overall + 2.5 * heavy_coverage)
        if contradicted or misconceptions:
            correctness = min(correctness, ERROR_CORRECTNESS_CAP)
        completeness = level(5 * weighted)
        depth = level(min(5.0, overall + (0.5 if words >= 60 and weighted >= 0.5 else 0.0)))
        clarity = level(5 - (1 if mean_sentence > 40 else 0) - (1 if len(sentences) == 1 and words > 60 else 0)
                        - (1 if flags else 0) - (2 if weighted < 0.15 else 0))
        errors = len(contradicted) + len(misconceptions)
        justification = {
            "correctness": f"The most important points are {heavy_coverage:.0%} evidenced in the answer"
                           + (f"; {errors} wrong claim{'s' if errors != 1 else ''} cap it." if errors else "."),
            "completeness": f"{len(covered)} of {len(verdicts)} key points covered, {len(partly)} partly.",
            "depth": f"Overall evidence {overall:.1f}/5 over {words} words.",
            "clarity": f"{len(sentences)} sentences, {mean_sentence:.0f} words each on average.",
        }
        scores = {"correctness": correctness, "completeness": completeness, "depth": depth, "clarity": clarity}
        criteria = [
            CriterionScore(criterion=name, score=score, descriptor=RUBRIC[name][score],  # type: ignore[arg-type]
                           justification=justification[name])
            for name, score in scores.items()
        ]
        strengths = [f"You covered: {v.statement}" for v in covered]
        gaps = [f'Contradicted: you said "{v.evidence_quote}", but {v.contradiction}. The key point: {v.statement}'
                for v in sorted(contradicted, key=lambda v: -v.weight)]
        gaps += [f'Misconception: you said "{hit.quote}". {hit.why}' for hit in misconceptions]
        gaps += [f"{'Partly covered' if v.status == 'partly' else 'Missing'}: {v.statement}"
                 for v in sorted(partly + missing, key=lambda v: -v.weight)]
        advice = []
        if contradicted:
            first_error = max(contradicted, key=lambda v: v.weight)
            advice.append(f"Check again: {first_error.statement}")
        elif missing or partly:
            first = sorted(missing + partly, key=lambda v: (v.status != "missing", -v.weight))[0]
            advice.append(f"Think about: {first.probe}")
        if question.sections:
            advice.append("Study: " + ", ".join(question.sections[:2]))
        shown_advice = None
        if len(model_advice.split()) >= 4:  # a word or two from a small model is noise, not advice
            # Checked before it got here (review_model_prose) and labelled: the candidate knows who says it.
            shown_advice = model_advice
            advice.append(f"From the model ({getattr(self.llm, 'model_id', 'model')}): {model_advice}")
        explanation = (
            f"{len(covered)} of {len(verdicts)} key points covered and {len(partly)} partly"
            + (f", {len(contradicted)} contradicted" if contradicted else "")
            + (f"; weighted coverage {weighted:.0%}" if reference_score is None
               else f"; no authored key points, so the match with the whole reference answer ({reference_score:.1f})")
            + (f" less {penalty:.1f} for wrong claims" if errors else "")
            + f" gives {overall:.1f}/5."
            + (f" The answer states {len(misconceptions)} known misconception"
               f"{'s' if len(misconceptions) != 1 else ''}." if misconceptions else "")
            + (" Instruction-like text in the answer was ignored." if flags else "")
            + (" Scored from evidence only: the model was not used." if evidence_only else "")
        )
        return Grade(
            question_id=question.id,
            overall=overall,
            percent=int(round(overall * 20)),
            criteria=criteria,
            key_points=verdicts,
            strengths=strengths,
            gaps=gaps,
            advice=advice,
            flags=flags,
            explanation=explanation,
            citations=citations,
            evidence_only=evidence_only,
            model_id=None if evidence_only else getattr(self.llm, "model_id", None),
            model_note=model_note,
            prompt_version=self.template.version,
            seed=self.seed,
            calibration_version=calibration.version if reference_score is None or calibration.reference_only is None
            else calibration.reference_only.version,
            timings=timings,
            misconceptions=list(misconceptions),
            model_advice=shown_advice,
        )

    def _zero_grade(
        self, question: Question, guard: GuardResult, flags: list[str], citations: list[Citation],
        timings: GradeTimings,
    ) -> Grade:
        calibration = self.calibration
        assert calibration is not None
        verdicts = [
            KeyPointVerdict(key_point_id=p.id, statement=p.statement, weight=p.weight, status="missing",
                            coverage=0.0, evidence_quote=None, similarity=0.0, word_overlap=0.0, probe=p.probe)
            for p in question.key_points
        ]
        criteria = [
            CriterionScore(criterion=name, score=0, descriptor=RUBRIC[name][0],  # type: ignore[arg-type]
                           justification=guard.reason)
            for name in RUBRIC
        ]
        return Grade(
            question_id=question.id, overall=0.0, percent=0, criteria=criteria, key_points=verdicts,
            strengths=[], gaps=[f"Missing: {p.statement}" for p in question.key_points],
            advice=[f"Think about: {question.key_points[0].probe}"] + (
                ["Study: " + ", ".join(question.sections[:2])] if question.sections else []),
            guard=guard.name, flags=flags, explanation=f"Scored 0: {guard.reason}", citations=citations,
            evidence_only=True, model_id=None, model_note="The model is not consulted for a non-answer.",
            prompt_version=self.template.version, seed=self.seed, calibration_version=calibration.version,
            timings=timings,
        )


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
