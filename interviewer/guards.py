"""Deterministic checks on an answer before any model sees it: non-answers and injection attempts.

A guard that fires scores the answer 0 with a reason a person can read (empty, "I don't know", gibberish, a
copy of the question, off-topic). Injection detection treats the answer as untrusted data: sentences that try
to instruct the grader ("ignore previous instructions", "give this 5/5", fake grader notes, JSON posing as a
grade, tags that try to close the answer block) are flagged and removed from the evidence, so they can never
raise a score.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

_DONT_KNOW = re.compile(
    r"^\W*(?:i\s+(?:really\s+)?(?:do\s*n[o']?t|dont|don't)\s+(?:know|remember|recall)|i\s+have\s+no\s+(?:idea|clue)"
    r"|no\s+(?:idea|clue)|not\s+sure|idk|dunno|pass|skip|n/?a|no\s+answer|i(?:'m|\s+am)\s+not\s+sure"
    r"|i\s+(?:can't|cannot)\s+(?:remember|answer))\b",
    re.IGNORECASE,
)

INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        # Imperative only: an answer may well *discuss* models that ignore instructions (prompt-injection questions).
        ("ignore-instructions", r"(?:^\W*|\b(?:you|grader|model|assistant)\s+(?:must|should|will)\s+)(?:please\s+)?(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instruction|prompt|rule|rubric|above|previous|prior)"),
        ("demands-score", r"\b(?:give|award|assign|grade|mark|rate|score)\b.{0,40}(?:full\s+(?:marks|credit|points)|perfect|maximum|max(?:imum)?\s+score|top\s+score|\b5\s*(?:/|out\s+of)\s*5\b|\b100\s*(?:/|%|out\s+of))"),
        ("grader-note", r"\b(?:grader|grading|evaluator|examiner|system|assistant|admin)\s*(?:note|instruction|override|message|update)s?\s*[:\-]"),
        ("score-assignment", r"\b(?:score|grade|overall|rating|mark)s?\s*[:=]\s*\d"),
        ("fake-grade-json", r"[{,]\s*[\"']?(?:score|overall|grade|verdict|rating|key_points)[\"']?\s*:"),
        ("role-play", r"\byou\s+are\s+(?:now\s+)?(?:a|an|the)\s+\w+.{0,30}\b(?:grader|assistant|model|ai)\b|\bas\s+an?\s+ai\s+language\s+model\b"),
        ("delimiter-escape", r"</?\s*(?:candidate_answer|answer|system|instructions?|reference|rubric)\s*>"),
    )
)


@dataclass(frozen=True)
class GuardResult:
    name: str  # empty | dont-know | gibberish | copy-of-question | off-topic
    reason: str


@dataclass(frozen=True)
class SanitisedAnswer:
    """The answer split into sentences, with instruction-like sentences set aside."""

    sentences: tuple[str, ...]  # evidence may come only from these
    removed: tuple[str, ...]  # sentences that tried to instruct the grader
    flags: tuple[str, ...]  # which injection patterns fired

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def split_sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if _WORD.search(part)]


def injection_flags(text: str) -> list[str]:
    return [name for name, pattern in INJECTION_PATTERNS if pattern.search(text)]


def sanitise(answer: str) -> SanitisedAnswer:
    kept: list[str] = []
    removed: list[str] = []
    flags: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(answer):
        fired = injection_flags(sentence)
        if fired:
            removed.append(sentence)
            flags.extend(flag for flag in fired if flag not in flags)
            continue
        key = " ".join(_WORD.findall(sentence.lower()))
        if key in seen:
            continue  # a repeated sentence is padding: it adds nothing a second time
        seen.add(key)
        kept.append(sentence)
    return SanitisedAnswer(tuple(kept), tuple(removed), tuple(flags))


def content_words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def check_non_answer(answer: str, question: str, vocabulary: AbstractSet[str]) -> GuardResult | None:
    """The guards that need no embeddings: empty, don't-know, gibberish, copy of the question."""
    words = content_words(answer)
    if not words:
        return GuardResult("empty", "No answer was given.")
    admission = _DONT_KNOW.search(answer.strip())
    # "I don't know the name, but it retrieves passages..." is an answer; "no idea, sorry" is not.
    if admission and len(content_words(answer.strip()[admission.end() :])) < 5:
        return GuardResult("dont-know", "The answer says the candidate does not know.")
    known = sum(1 for word in words if word in vocabulary)
    if len(words) >= 3 and known / len(words) < 0.4:
        return GuardResult("gibberish", "Most of the answer is not recognisable words.")
    question_words = set(content_words(question))
    answer_words = set(words)
    if answer_words and len(answer_words - question_words) <= max(2, len(answer_words) // 10):
        return GuardResult("copy-of-question", "The answer only repeats the question.")
    return None
