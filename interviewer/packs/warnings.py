"""Warnings about a valid pack: what will load but grade or cite badly, each with what to do instead.

Topics no question uses; key points that repeat each other (the answer gets credit twice, or the two compete for
the same sentence); key points phrased as negations (a right answer that says it positively reads as unrelated to
"X does not Y", and one that says "not" while agreeing can read as contradicting it); probes that give their key
point away (the candidate reads the answer in the question); a question without key points whose reference is too
terse to grade its sentences as key points (an answer reversing it cannot be told from a right one).
"""

from __future__ import annotations

import re

from interviewer.packs.schema import Pack, Question
from interviewer.text import GIVEAWAY_SHARE, RUBRIC_WORDS, content_words, giveaway_share, reference_is_a_rubric

Location = tuple[str | int, ...]

# Two key points sharing this share of their words say nearly the same thing.
NEAR_DUPLICATE_OVERLAP = 0.8
# A negated main claim ("X does not Y", "never Z"): a negation before the first clause break. One later in the
# sentence ("..., so decoding does not recompute") or a determiner ("no added latency") states a fact positively
# enough to grade.
_NEGATION = re.compile(
    r"\b(not(?! only| just)|never|cannot|can't|don't|doesn't|isn't|aren't|won't|shouldn't|mustn't)\b", re.IGNORECASE
)
_CLAUSE_BREAK = re.compile(r"[,;:(]|\b(?:so|because|since|whereas|but|while|yet|which|that|unless|until|when|if)\b",
                           re.IGNORECASE)
_FILLER = frozenset("a an the of to in on and or is are be it its for with by as that this".split())


def pack_warnings(pack: Pack) -> list[tuple[Location, str]]:
    warnings: list[tuple[Location, str]] = []
    used = {question.topic for question in pack.questions}
    for index, topic in enumerate(pack.topics):
        if topic.id not in used:
            warnings.append((("topics", index, "id"),
                             f"topic '{topic.id}' has no questions (a session on it would have nothing to ask)"))
    for q_index, question in enumerate(pack.questions):
        if not question.reference_only:
            warnings.extend((("questions", q_index, *loc), message) for loc, message in _key_point_warnings(question))
        elif not reference_is_a_rubric(question.reference_answer):
            warnings.append((("questions", q_index, "reference_answer"),
                             f"question '{question.id}' has no key points and its reference answer is too terse to "
                             "grade on its sentences, so it is matched as a whole and an answer that reverses it "
                             "can score like a right one; add key points, or write the reference as two or more "
                             f"sentences of claims ({RUBRIC_WORDS} words or more)"))
    return warnings


def _words(text: str) -> set[str]:
    return {word for word in content_words(text) if word not in _FILLER}


def _key_point_warnings(question: Question) -> list[tuple[Location, str]]:
    warnings: list[tuple[Location, str]] = []
    seen: list[tuple[str, set[str]]] = []
    for k_index, point in enumerate(question.key_points):
        here: Location = ("key_points", k_index, "statement")
        words = _words(point.statement)
        for other_id, other_words in seen:
            overlap = len(words & other_words) / max(1, len(words | other_words))
            if words == other_words:
                warnings.append((here, f"key point '{point.id}' repeats key point '{other_id}'; merge them"))
                break
            if overlap >= NEAR_DUPLICATE_OVERLAP:
                warnings.append((here, f"key point '{point.id}' says nearly what '{other_id}' says "
                                       f"({overlap:.0%} of their words shared); merge them or make each distinct"))
                break
        seen.append((point.id, words))
        first_clause = _CLAUSE_BREAK.split(point.statement, maxsplit=1)[0]
        negation = _NEGATION.search(first_clause)
        if negation:
            warnings.append((here, f"key point '{point.id}' is phrased as a negation ('{negation.group(0)}'), which "
                                   "is hard to grade; state what is true instead (e.g. 'X keeps Y' rather than "
                                   "'X does not change Y')"))
        share = giveaway_share(point.statement, point.probe, (question.question,))
        if share is not None and share >= GIVEAWAY_SHARE:
            warnings.append((("key_points", k_index, "probe"),
                             f"the probe of key point '{point.id}' gives the point away ({share:.0%} of its own "
                             "words); ask for the idea without naming it"))
    return warnings
