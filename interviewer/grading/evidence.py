"""Evidence an answer gives for each statement it is graded against: the answer span most like a key point and
how strongly it matches (MiniLM cosine and word overlap), reversals found by the rules, the misconceptions a
sentence states, and the vocabularies the guards read."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

import numpy as np

from interviewer.errors import ModelError
from interviewer.grading.contradiction import about_other_role, find_contradiction
from interviewer.grading.reference_match import ReferenceMatch, graded_as_a_whole, match_reference
from interviewer.grading.verifier import CONTRADICT, SUPPORT, Verifier
from interviewer.packs import KeyPoint, Question
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.embeddings import Embedder, bundled_model_path
from interviewer.text import content_words, split_sentences, tokenize

# Without a verifier, a misconception is stated when a sentence is this close to the wrong claim (MiniLM cosine)
# and closer to it than to any key point.
MISCONCEPTION_SIMILARITY = 0.7
# The verifier reads this many spans per statement, the most similar ones: a reversal or a restatement of a
# statement is among the spans closest to it, and each read costs ~2 ms.
VERIFIED_SPANS = 3
# A reading of contradiction (or, for a misconception, of support) from this probability is checked the other way
# round too; below it the reading cannot count anyway.
BACKWARD_CHECK_FROM = 0.3


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
class StatementEvidence:
    """What an answer offers for one statement (a key point, a misconception's claim, a reference sentence).

    Every span (each sentence, and each pair of adjacent sentences: a point is often made across two) has its
    MiniLM cosine to the statement and the share of the statement's content words it holds. The spans most
    like the statement (by cosine; a reversal is as close as the point itself) are read by the verifier, which
    gives each the probability that it supports, contradicts or does not address the statement.
    """

    statement: str
    spans: list[str]
    similarity: np.ndarray  # per span
    overlap: np.ndarray  # per span
    judged: list[int] = field(default_factory=list)  # spans the verifier read, most similar first
    probabilities: np.ndarray | None = None  # per judged span: (support, contradict, neutral); None: no verifier
    # Per judged span, the verifier's reading with the two texts swapped (NaN where not asked): contradiction is
    # symmetric and a sentence stating only part of a statement is not, so a reversal must read as one both ways.
    backward: np.ndarray | None = None
    rule_reversal: tuple[str, str] | None = None  # (sentence, how) found by the rules, when they were asked
    # The verifier's reading of the question's own reference answer against this statement: how strongly it
    # reads known-right text as reversing a key point, or as stating a misconception (see reference_baselines).
    baseline: float = 0.0

    def judged_single_sentences(self, sentence_count: int) -> list[tuple[int, int]]:
        """(row in probabilities, span index) of the judged spans that are one sentence, not a pair."""
        return [(row, span) for row, span in enumerate(self.judged) if span < sentence_count]


@dataclass
class AnswerEvidence:
    """Everything the score is computed from, for one answer to one question."""

    sentences: list[str]
    key_points: list[StatementEvidence]
    misconceptions: list[StatementEvidence]
    closest_point_similarity: np.ndarray  # per sentence: its best cosine to any key point
    reference: ReferenceMatch | None = None  # for a question with no authored key points
    verifier_id: str | None = None
    verifier_ms: float = 0.0


def both_ways(item: StatementEvidence, label: int) -> np.ndarray:
    """The verifier's probability of `label` per judged span, the lower of its two readings where it read the
    pair both ways (collect_evidence asks again, texts swapped, for every reading that could count)."""
    assert item.probabilities is not None
    forward = item.probabilities[:, label]
    if item.backward is None:
        return forward
    backward = item.backward[:, label]
    return np.where(np.isnan(backward), forward, np.minimum(forward, backward))


def beyond_baseline(readings: np.ndarray, baseline: float) -> np.ndarray:
    """How far readings exceed what the verifier reads in known-right text, rescaled to [0, 1]: a statement it
    reads the reference itself as reversing (0.93) needs a reading above that before an answer's counts. A
    baseline under BACKWARD_CHECK_FROM, a reading that could not count as an error anyway, changes nothing."""
    if baseline < BACKWARD_CHECK_FROM:
        return readings
    return np.clip((readings - baseline) / max(1e-6, 1.0 - baseline), 0.0, 1.0)


def answer_spans(sentences: Sequence[str]) -> list[str]:
    return list(sentences) + [f"{a} {b}" for a, b in zip(sentences, sentences[1:], strict=False)]


def texts_to_embed(statements: Sequence[str], sentences: Sequence[str]) -> list[str]:
    """Every text collect_evidence asks the embedder for (so a whole dataset can be encoded in large batches)."""
    return list(statements) + answer_spans(sentences)


def collect_evidence(
    question: Question,
    sentences: Sequence[str],
    embedder: Embedder,
    verifier: Verifier | None,
    *,
    key_points: Sequence[KeyPoint] | None = None,
    rules: bool = True,
    with_misconceptions: bool = True,
    baseline: bool = True,
) -> AnswerEvidence:
    """The one evidence path, for interviews, `grade`, evaluation and calibration alike.

    `rules` adds the hand-written reversal rules (grading/contradiction.py) to each key point's closest spans:
    without a verifier they are the only reversal check. With a verifier, each statement also carries the
    verifier's reading of the question's own reference answer (`baseline`; see reference_baselines). A
    reference-only question's key points are pieces of its reference answer; the rules read claims, not pieces,
    so they are left out there. A question graded as a whole (reference_match.graded_as_a_whole) also carries
    the answer's match with its whole reference.
    """
    points = list(question.key_points if key_points is None else key_points)
    claims = [m.claim for m in question.misconceptions] if with_misconceptions else []
    sentences = list(sentences)
    spans = answer_spans(sentences)
    if not spans:
        empty = np.zeros(0)
        return AnswerEvidence(sentences, [StatementEvidence(p.statement, [], empty, empty) for p in points],
                              [StatementEvidence(c, [], empty, empty) for c in claims], empty)
    statements = [p.statement for p in points] + claims
    vectors = embedder.encode(texts_to_embed(statements, sentences))
    similarities = vectors[: len(statements)] @ vectors[len(statements) :].T
    items = []
    for row, statement in enumerate(statements):
        wanted = set(tokenize(statement))
        overlap = np.array([len(wanted & set(tokenize(span))) / len(wanted) if wanted else 0.0 for span in spans])
        similarity = similarities[row]
        judged = [int(i) for i in np.argsort(-similarity, kind="stable")[:VERIFIED_SPANS]]
        items.append(StatementEvidence(statement, spans, similarity, overlap, judged))
    verifier_ms = 0.0
    if verifier is not None:
        started = time.perf_counter()
        _read_with_verifier(items, len(points), verifier)
        if baseline:
            for item, reading in zip(items, reference_baselines(question, points, claims, embedder, verifier),
                                     strict=True):
                item.baseline = reading
        verifier_ms = (time.perf_counter() - started) * 1000
    point_items, claim_items = items[: len(points)], items[len(points) :]
    if rules and not question.reference_only:
        _apply_rules(point_items, sentences)
    closest = (similarities[: len(points), : len(sentences)].max(axis=0) if points
               else np.zeros(len(sentences)))
    reference = match_reference(question.question, question.reference_answer, sentences, embedder) \
        if graded_as_a_whole(question) else None
    return AnswerEvidence(sentences, point_items, claim_items, closest, reference,
                          getattr(verifier, "model_id", None) if verifier is not None else None, verifier_ms)


def _read_with_verifier(items: Sequence[StatementEvidence], point_count: int, verifier: Verifier) -> None:
    """The verifier's readings of each statement's judged spans, and the backward readings of possible errors."""
    probabilities = verifier.judge([(item.statement, item.spans[i]) for item in items for i in item.judged])
    offset = 0
    for item in items:
        item.probabilities = probabilities[offset : offset + len(item.judged)]
        offset += len(item.judged)
    _read_backwards(items[:point_count], items[point_count:], verifier)


def _apply_rules(point_items: Sequence[StatementEvidence], sentences: Sequence[str]) -> None:
    """The hand-written reversal rules on each key point's closest single sentences; the first reversal found."""
    for item in point_items:
        for span in item.judged:
            if span < len(sentences):
                found = find_contradiction(item.statement, sentences[span])
                if found is not None:
                    item.rule_reversal = (sentences[span], found.describe())
                    break


# Per verifier (the same scripted texts read differently by another verifier), per question: its baselines.
_BASELINES: WeakKeyDictionary[Verifier, dict[tuple[object, ...], list[float]]] = WeakKeyDictionary()
_BASELINES_KEPT = 4096


def reference_baselines(question: Question, points: Sequence[KeyPoint], claims: Sequence[str], embedder: Embedder,
                        verifier: Verifier) -> list[float]:
    """Per statement, what the verifier reads in the question's reference answer, which is right by definition:
    its strongest reading of a reversal of each key point and of a statement of each misconception, both ways,
    sentence by sentence. Measured on the built-in pack, the verifier reads a quarter of the reference answers as
    reversing one of their own key points; a reading an answer shares with the reference is no evidence of an
    error. Kept per verifier and question, so it is read once per question (Grader.prepare reads it while the
    question is on screen), not once per answer."""
    known_for = _BASELINES.setdefault(verifier, {})
    key = (question.id, question.reference_answer, tuple(p.statement for p in points), tuple(claims),
           getattr(embedder, "model_id", ""))
    if key not in known_for:
        if len(known_for) >= _BASELINES_KEPT:
            known_for.clear()
        known_for[key] = _read_reference(question, points, claims, embedder, verifier)
    return known_for[key]


def _read_reference(question: Question, points: Sequence[KeyPoint], claims: Sequence[str], embedder: Embedder,
                    verifier: Verifier) -> list[float]:
    sentences = split_sentences(question.reference_answer)
    if not sentences:
        return [0.0] * (len(points) + len(claims))
    known = collect_evidence(question, sentences, embedder, verifier, key_points=points, rules=False,
                             with_misconceptions=bool(claims), baseline=False)
    readings = []
    for label, group in ((CONTRADICT, known.key_points), (SUPPORT, known.misconceptions)):
        for item in group:
            singles = [row for row, _ in item.judged_single_sentences(len(sentences))]
            values = both_ways(item, label)[singles] if item.probabilities is not None and singles else np.zeros(0)
            readings.append(float(values.max(initial=0.0)))
    return readings


def _read_backwards(points: Sequence[StatementEvidence], claims: Sequence[StatementEvidence],
                    verifier: Verifier) -> None:
    """Ask the verifier again, texts swapped, about each span it read as contradicting a key point or as stating
    a misconception: "accept each token w.p. min(1, p/q)" reads as contradicting the whole acceptance rule one way
    and as implied by it the other; a real reversal reads as a contradiction both ways."""
    asks: list[tuple[StatementEvidence, int]] = []
    for label, group in ((1, points), (0, claims)):  # contradict for key points, support for misconceptions
        for item in group:
            assert item.probabilities is not None
            item.backward = np.full(item.probabilities.shape, np.nan, dtype=np.float32)
            asks += [(item, row) for row in range(len(item.judged))
                     if item.probabilities[row, label] >= BACKWARD_CHECK_FROM]
    if not asks:
        return
    readings = verifier.judge([(item.spans[item.judged[row]], item.statement) for item, row in asks])
    for (item, row), reading in zip(asks, readings, strict=True):
        assert item.backward is not None
        item.backward[row] = reading


def rule_states_misconception(claim: str, item: StatementEvidence, closest_point: np.ndarray,
                              sentence_count: int) -> tuple[str, float] | None:
    """Without a verifier: a sentence close to the wrong claim (cosine), closer to it than to any key point, and
    not reversing it ("LoRA does not update all the weights" states no misconception). Returns (sentence, cosine)."""
    if sentence_count == 0:
        return None
    best = max(range(sentence_count), key=lambda i: item.similarity[i])
    similarity = float(item.similarity[best])
    sentence = item.spans[best]
    if similarity < MISCONCEPTION_SIMILARITY or similarity <= float(closest_point[best]):
        return None
    if find_contradiction(claim, sentence) or about_other_role(claim, sentence):
        return None  # the sentence denies the wrong claim, or says it of the other side ("full", not "PEFT")
    claim_numbers, sentence_numbers = set(_NUMBER.findall(claim)), set(_NUMBER.findall(sentence))
    if claim_numbers and sentence_numbers and not claim_numbers & sentence_numbers:
        return None  # "47B in total" is not the claim "56B"
    return sentence, similarity


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def reference_text(question: Question) -> str:
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
