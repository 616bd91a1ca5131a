"""How well an answer matches a reference answer as a whole: the evidence for questions with no authored key points.

A dataset that gives only a reference answer (no key points) gets key points cut from the reference's sentences. A
reference of three sentences or more, or of two long ones (text.reference_is_a_rubric), is a rubric of
sentences, each a claim the verifier can find supported or reversed, and is scored as authored key points are. A
terser one, such as a one-line reference ("To simulate the behaviour of portions of the desired software product.")
cut into clauses, is a poor rubric: a right answer in other words matches no piece well. Such questions
(`graded_as_a_whole`) are scored from the answer's match with the reference as a whole instead, by a separately
fitted linear map (the `reference_only` part of grading/calibration.json). One map cannot serve both: fitted over
terse answers to short references and longer answers to references of several sentences together, it rated neither
well (on the development halves answers reversing a several-sentence reference averaged 2.4-2.6 of 5, and on the
public short-answer set the map's Pearson was 0.50, against 0.64 held out by question when fitted on it alone),
because the verifier's reading of a reference's sentences tells right from reversed on long references and little on
terse ones. The measures, each after leaving out the words of the question itself (a student repeating the question
shows nothing; "question demoting" in the short-answer grading literature):

- `similarity`: MiniLM cosine between the answer's remaining content words and the reference's;
- `soft_recall`: for each remaining reference word, its best cosine to an answer word, averaged (a synonym or a
  misspelling still counts, unlike exact word matching);
- `whole_similarity`: MiniLM cosine between the whole answer and the whole reference.

Exact word matching (the share of the reference's word stems found in the answer) adds nothing to these on the
Mohler data once the weights are held non-negative: soft recall already counts every exact match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from interviewer.packs import Question
from interviewer.retrieval.embeddings import Embedder
from interviewer.text import reference_is_a_rubric, tokenize

FEATURES = ("similarity", "soft_recall", "whole_similarity")


def graded_as_a_whole(question: Question) -> bool:
    """A reference-only question whose reference is too short to be a rubric: scored by its match with the whole
    reference."""
    return question.reference_only and not reference_is_a_rubric(question.reference_answer)


@dataclass(frozen=True)
class ReferenceMatch:
    similarity: float
    soft_recall: float
    whole_similarity: float

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


@dataclass(frozen=True)
class _Texts:
    answer: str
    reference_words: list[str]
    answer_words: list[str]
    reference_rest: str
    answer_rest: str


def _texts(question: str, reference: str, sentences: Sequence[str]) -> _Texts:
    asked = {word[:5] for word in tokenize(question)}
    reference_words = list(dict.fromkeys(tokenize(reference)))
    answer_words = list(dict.fromkeys(tokenize(" ".join(sentences))))
    # Everything the reference says may be in the question ("Where do C++ programs begin to execute?" - "main"
    # is not): then the question's words are the answer's subject and stay.
    reference_rest = [word for word in reference_words if word[:5] not in asked] or reference_words
    answer_rest = [word for word in answer_words if word[:5] not in asked] or answer_words
    return _Texts(" ".join(sentences), reference_rest, answer_rest, " ".join(reference_rest), " ".join(answer_rest))


def texts_to_embed(question: str, reference: str, sentences: Sequence[str]) -> list[str]:
    """Every text match_reference will ask the embedder for (to encode a whole dataset in large batches)."""
    if not sentences:
        return []
    texts = _texts(question, reference, sentences)
    return [reference, texts.answer, texts.reference_rest, texts.answer_rest, *texts.reference_words,
            *texts.answer_words]


def match_reference(question: str, reference: str, sentences: Sequence[str], embedder: Embedder) -> ReferenceMatch:
    if not sentences:
        return ReferenceMatch(0.0, 0.0, 0.0)
    texts = _texts(question, reference, sentences)
    if not texts.answer_words or not texts.reference_words:
        whole = embedder.encode([reference, texts.answer])
        return ReferenceMatch(0.0, 0.0, float(whole[0] @ whole[1]))
    vectors = embedder.encode([reference, texts.answer, texts.reference_rest, texts.answer_rest,
                               *texts.reference_words, *texts.answer_words])
    reference_vectors = vectors[4 : 4 + len(texts.reference_words)]
    answer_vectors = vectors[4 + len(texts.reference_words) :]
    return ReferenceMatch(
        similarity=float(vectors[2] @ vectors[3]),
        soft_recall=float((reference_vectors @ answer_vectors.T).max(axis=1).mean()),
        whole_similarity=float(vectors[0] @ vectors[1]),
    )


class ReferenceCalibration(BaseModel):
    """The linear map from a ReferenceMatch to a 0-5 score, for questions with a short reference only."""

    version: str = "reference-uncalibrated"
    intercept: float = Field(default=0.0, description="Score with every measure at zero.")
    weights: dict[str, float] = Field(default_factory=dict, description="Points per unit of each measure.")
    soft_contradiction_weight: float = Field(
        default=0.0, description="Points off per unit of the verifier's weighted contradiction reading (fitted).")
    support_weight: float = Field(
        default=0.0, description="Points per unit of the verifier's weighted support reading over the reference's "
        "pieces (fitted): cosine cannot tell an answer that says what the reference says from one that says the "
        "opposite in its words.")
    error_costs: dict[str, float] = Field(
        default_factory=dict, description="The Calibration's error parameters (contradict_at, contradiction_penalty, "
        "cap_confidence, ...) as fitted on reference-only rows; the authored ones apply where absent.")
    fitted_on: str = ""
    fit_figures: dict[str, float] = Field(default_factory=dict)

    def overall(self, match: ReferenceMatch) -> float:
        value = self.intercept + sum(self.weights.get(name, 0.0) * getattr(match, name) for name in FEATURES)
        return float(min(5.0, max(0.0, value)))
