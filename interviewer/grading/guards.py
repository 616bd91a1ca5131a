"""Deterministic checks on an answer before any model sees it: non-answers and injection attempts.

A guard that fires scores the answer 0 with a reason a person can read (empty, "I don't know", gibberish, a
copy of the question, off-topic). Terse, misspelt, code and formula answers are real interview answers and pass
("main", "throught the programm", "int main() {...}"). Injection detection treats the answer as untrusted data:
sentences that try to instruct the grader ("ignore previous instructions", "give this 5/5", fake grader notes,
JSON posing as a grade, tags that try to close the answer block) are flagged and removed from the evidence, so
they can never raise a score.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import StrEnum

from interviewer.text import content_words, split_sentences

_DONT_KNOW = re.compile(
    r"^\W*(?:i\s+(?:really\s+)?(?:do\s*n[o']?t|dont|don't)\s+(?:really\s+)?(?:know|remember|recall)"
    r"|i\s+have\s+no\s+(?:idea|clue)|i'?d\s+have\s+to\s+look\s+(?:it|that|this)\s+up"
    r"|no\s+(?:idea|clue)|not\s+sure|idk|dunno|pass|skip|n/?a|no\s+answer|i(?:'m|\s+am)\s+not\s+sure"
    r"|i\s+(?:can't|cannot)\s+(?:remember|answer))\b(?!-)",  # "Pass-by-reference" is an answer
    re.IGNORECASE,
)


class Guard(StrEnum):
    """Why an answer scored 0 (a grade's `guard`). A StrEnum: stored and printed as the plain text value."""

    EMPTY = "empty"
    DONT_KNOW = "dont-know"
    GIBBERISH = "gibberish"
    COPY_OF_QUESTION = "copy-of-question"
    OFF_TOPIC = "off-topic"  # found by the grader from the evidence (Grader._off_topic)
    INSTRUCTIONS_ONLY = "instructions-only"  # nothing left once the instructions to the grader are removed
    SKIPPED = "skipped"  # the candidate skipped the question


class InjectionFlag(StrEnum):
    """Which injection pattern fired on a sentence (a grade flags it as `prompt-injection:<value>`)."""

    IGNORE_INSTRUCTIONS = "ignore-instructions"
    DEMANDS_SCORE = "demands-score"
    GRADER_NOTE = "grader-note"
    SCORE_ASSIGNMENT = "score-assignment"
    FAKE_GRADE_JSON = "fake-grade-json"
    ROLE_PLAY = "role-play"
    DELIMITER_ESCAPE = "delimiter-escape"
    TOOL_CALL = "tool-call"


INJECTION_PATTERNS: tuple[tuple[InjectionFlag, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        # Imperative only: an answer may well *discuss* models that ignore instructions (prompt-injection questions).
        (InjectionFlag.IGNORE_INSTRUCTIONS, r"(?:^\W*|\b(?:you|grader|model|assistant)\s+(?:must|should|will)\s+)(?:please\s+)?(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instruction|prompt|rule|rubric|above|previous|prior)"),
        (InjectionFlag.DEMANDS_SCORE, r"\b(?:give|award|assign|grade|mark|rate|score)\b.{0,40}(?:full\s+(?:marks|credit|points)|perfect|maximum|max(?:imum)?\s+score|top\s+score|\b5\s*(?:/|out\s+of)\s*5\b|\b100\s*(?:/|%|out\s+of))"),
        (InjectionFlag.GRADER_NOTE, r"\b(?:grader|grading|evaluator|examiner|system|assistant|admin)\s*(?:note|instruction|override|message|update)s?\s*[:\-]"),
        (InjectionFlag.SCORE_ASSIGNMENT, r"\b(?:score|grade|overall|rating|mark)s?\s*[:=]\s*\d"),
        (InjectionFlag.FAKE_GRADE_JSON, r"[{,]\s*[\"']?(?:score|overall|grade|verdict|rating|key_points)[\"']?\s*:"),
        (InjectionFlag.ROLE_PLAY, r"\byou\s+are\s+(?:now\s+)?(?:a|an|the)\s+\w+.{0,30}\b(?:grader|assistant|model|ai)\b|\bas\s+an?\s+ai\s+language\s+model\b"),
        (InjectionFlag.DELIMITER_ESCAPE, r"</?\s*(?:candidate_answer|answer|system|instructions?|reference|rubric)\s*>"),
        (InjectionFlag.TOOL_CALL, r"\b(?:search_knowledge|candidate_history)\b|</?\s*tool_calls?\s*>|[\"']arguments[\"']\s*:"),
    )
)


@dataclass(frozen=True)
class GuardResult:
    name: Guard
    reason: str


@dataclass(frozen=True)
class SanitisedAnswer:
    """The answer split into sentences, with instruction-like sentences set aside."""

    sentences: tuple[str, ...]  # evidence may come only from these
    removed: tuple[str, ...]  # sentences that tried to instruct the grader
    flags: tuple[InjectionFlag, ...]  # which injection patterns fired

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def injection_flags(text: str) -> list[InjectionFlag]:
    return [name for name, pattern in INJECTION_PATTERNS if pattern.search(text)]


def sanitise(answer: str) -> SanitisedAnswer:
    kept: list[str] = []
    removed: list[str] = []
    flags: list[InjectionFlag] = []
    seen: set[str] = set()
    for sentence in split_sentences(answer):
        fired = injection_flags(sentence)
        if fired:
            removed.append(sentence)
            flags.extend(flag for flag in fired if flag not in flags)
            continue
        key = " ".join(content_words(sentence.lower()))
        if key in seen:
            continue  # a repeated sentence is padding: it adds nothing a second time
        seen.add(key)
        kept.append(sentence)
    return SanitisedAnswer(tuple(kept), tuple(removed), tuple(flags))


# Small words carry no topic ("the", "is") and are left out when an answer's own contribution is counted.
_FUNCTION_WORDS = frozenset(
    """a an and are as at be been by can do does did for from has have how i if in into is it its of on or so
    that the their them then there these they this those to was we were what when where which who why will with
    would you your""".split()
)
_CODE_OR_FORMULA = re.compile(r"[{}();=<>\[\]^*/\\+|&%]")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, swap, substitution or insertion away (a typo's neighbourhood)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return deletes | swaps | replaces | inserts


def recognisable(word: str, vocabulary: AbstractSet[str], common_words: AbstractSet[str] = frozenset()) -> bool:
    """A real word, a short identifier, or a misspelling of a subject word ("programm", "throught", "enque").

    `common_words` (general English) count only as spelt: it holds names, and "lorem" is one letter from "loren".
    """
    word = word.split("'")[0]  # "computer's", "haven't"
    if len(word) <= 2 or word in vocabulary or word in common_words:
        return True
    if len(word) >= 4 and not _one_edit(word).isdisjoint(vocabulary):
        return True
    return len(word) >= 5 and any(known.startswith(word) for known in vocabulary)


def looks_like_code_or_formula(text: str) -> bool:
    """Braces, brackets, operators: "int main() { return 0; }" or "softmax(QK^T / sqrt(d_k))" are answers."""
    return len(_CODE_OR_FORMULA.findall(text)) >= 2


def _word_salad(words: list[str]) -> bool:
    """Keywords thrown together ("chunk chunk chunk banana"): a few words, one twice in a row, no grammar."""
    repeated = any(a == b and a not in _FUNCTION_WORDS for a, b in zip(words, words[1:], strict=False))
    return len(words) <= 12 and repeated and sum(1 for word in words if word in _FUNCTION_WORDS) <= 1


def topical_words(words: list[str]) -> list[str]:
    return [word for word in words if word not in _FUNCTION_WORDS]


def unrecognised(words: list[str], vocabulary: AbstractSet[str]) -> list[str]:
    """The topical words no word of `vocabulary` explains (another subject's words, or keyboard noise)."""
    return [word for word in topical_words(words) if not recognisable(word, vocabulary)]


def check_non_answer(
    answer: str,
    question: str,
    vocabulary: AbstractSet[str],
    reference: str = "",
    common_words: AbstractSet[str] = frozenset(),
) -> GuardResult | None:
    """The guards that need no embeddings: empty, don't-know, gibberish, copy of the question.

    Terse, misspelt, code and formula answers are real answers: "main", "At main", "throught the programm" and
    "int main() {...}" pass. `vocabulary` holds the subject's words (misspellings of them are recognised),
    `common_words` general English. `reference` (the reference answer and key points) tells an answer that adds
    what the question lacks from one that only repeats the question.
    """
    words = content_words(answer)
    if not words:
        return GuardResult(Guard.EMPTY, "No answer was given.")
    question_words = set(content_words(question))
    reference_words = set(content_words(reference)) - _FUNCTION_WORDS
    admission = _DONT_KNOW.search(answer.strip())
    if admission:
        # "I don't know the name, but it retrieves passages..." is an answer; "no idea, sorry" is not, nor is an
        # admission followed by words that have nothing to do with the question ("idk, whichever is cheaper").
        rest = [w for w in content_words(answer.strip()[admission.end() :]) if w not in _FUNCTION_WORDS]
        subject = {w[:5] for w in question_words | reference_words if len(w) > 4}
        on_topic = {w[:5] for w in rest if len(w) > 4} & subject
        if len(rest) < 4 or not on_topic:
            return GuardResult(Guard.DONT_KNOW, "The answer says the candidate does not know.")
    if not looks_like_code_or_formula(answer):
        unknown = sum(1 for word in words if not recognisable(word, vocabulary, common_words))
        if len(words) >= 3 and (unknown / len(words) >= 0.5 or _word_salad(words)):
            return GuardResult(Guard.GIBBERISH, "Most of the answer is not recognisable words.")
    # A copy adds nothing of its own and is long enough to be a copy: "main" or "File scope." add the answer.
    added = {w for w in words if w not in _FUNCTION_WORDS} - question_words
    topical_question = question_words - _FUNCTION_WORDS
    long_enough = len(set(words) - _FUNCTION_WORDS) >= max(3, 0.4 * len(topical_question))
    if long_enough and len(added) <= len(words) // 15 and not added & reference_words:
        return GuardResult(Guard.COPY_OF_QUESTION, "The answer only repeats the question.")
    return None
