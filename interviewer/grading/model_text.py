"""Checks on prose a model wrote before a candidate reads it: advice in a grade, a follow-up question.

A small model writes fluent text that is often cut off or false ("Encode-only models like BERT, RoBERTa, and
LLaMA are not the best choice for generating text-to-text. They are designed,"). Its prose is shown, labelled as
the model's, only when it passes three checks; otherwise it is kept for the record and the candidate sees the
feedback built from evidence:

- complete: every sentence ends with . ! or ?, the last word is not one a sentence cannot end on ("the", "and",
  "like"), brackets and quotes are closed, and no sentence is a fragment of one or two words;
- grounded: at least GROUNDED_SHARE of its content words occur in the question, its reference answer, its key
  points or the reference material retrieved for it (words compared by their first five letters, so "encode"
  meets "encoder"; the words any advice uses, such as "explain" or "example", are not counted);
- consistent: no sentence reverses a key point (interviewer/grading/contradiction.py), and no sentence puts a named
  example under the other role of a pair than the key points do ("LLaMA" among encoder-only models when a key
  point names it decoder-only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from interviewer.grading.contradiction import ROLE_PAIRS, find_contradiction
from interviewer.packs import KeyPoint, Question
from interviewer.text import split_sentences

# Measured on nothing larger than the examples in tests/unit/test_model_text.py: advice that restates the rubric
# in other words keeps about 0.8 of its words in the question's own material; invented claims fall well below.
GROUNDED_SHARE = 0.6
_PREFIX = 5
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
# Words no sentence ends on: a sentence that stops at one was cut off.
_DANGLING = frozenset("""a an the and or but nor of to in on at by for from with without into onto like such as than
    that which who whose whom is are was were be been being has have had do does did can could will would should
    may might must its their our your his her my this these those very more most less also because while whereas
    when where if so then""".split())
_FUNCTION = frozenset("""a an the and or but nor of to in on at by for from with without into onto like such as than
    that which who whose whom is are was were be been being has have had do does did can could will would should
    may might must it its their our your his her my this these those they them we you i he she there here what
    how why not no very more most less also just only other each every both either some any all one two""".split())
# What any advice is made of, whatever its subject: not evidence of grounding, nor of its absence.
_ADVICE_WORDS = frozenset("""answer answers explain explains explaining explanation mention mentioning describe
    describing discuss discussing example examples consider considering include including focus detail details
    clarify review study studying read reading understand understanding learn learning practise practice practicing
    think thinking try make sure point points key important importantly next time better best good well clear
    clearly concrete specific specifically briefly short shorter long longer add adding cover covering topic
    question questions elaborate expand difference differences compare comparing between use using used say state
    name give show note remember recall revise revisit""".split())


@dataclass(frozen=True)
class ProseReview:
    """Why model prose cannot be shown (None when it can), and the share of its words that are grounded."""

    problem: str | None
    grounded: float


def grounding_text(question: Question, references: Iterable[str] = ()) -> str:
    """Everything model prose about `question` may draw its words from."""
    parts = [question.question, question.reference_answer]
    for point in question.key_points:
        parts += [point.statement, point.probe]
    parts += [f"{m.claim} {m.why}" for m in question.misconceptions]
    parts += list(references)
    return " ".join(parts)


def _stems(text: str) -> set[str]:
    return {word.lower()[:_PREFIX] for word in _WORD.findall(text)}


def incomplete(text: str) -> str | None:
    """Why the text is not made of complete sentences, or None."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if not _SENTENCE_END.search(stripped):
        return f"cut off: it ends {stripped[-20:]!r} without a full stop"
    words = _WORD.findall(stripped)
    if words and words[-1].lower() in _DANGLING:
        return f"cut off: it ends on {words[-1]!r}"
    if stripped.count("(") != stripped.count(")") or stripped.count('"') % 2:
        return "an unclosed bracket or quote"
    for sentence in split_sentences(stripped):
        if len(_WORD.findall(sentence)) < 3:
            return f"a fragment: {sentence!r}"
    return None


def grounded_share(text: str, grounding: str) -> float:
    """The share of the text's content words found (by their first letters) in `grounding`."""
    known = _stems(grounding)
    words = [w.lower() for w in _WORD.findall(text)]
    content = [w for w in words if w not in _FUNCTION and w not in _ADVICE_WORDS and len(w) > 2]
    if not content:
        return 1.0
    return sum(1 for w in content if w[:_PREFIX] in known) / len(content)


_ROLES = tuple(dict.fromkeys(role for pair in ROLE_PAIRS for role in pair))
_ROLE_PARTS = frozenset(part for role in _ROLES for part in role.split("-") if len(part) > 3)


def _role_of(word: str) -> str | None:
    """The role-pair word a (possibly misspelt) word names: "Encode-only" -> "encoder-only"; "" for a word that
    names another family built of role words ("encoder-decoder"); None for any other word."""
    lowered = word.lower()
    lowered = lowered[:-1] if lowered.endswith("s") and not lowered.endswith("ss") else lowered
    if lowered in _ROLES:
        return lowered
    if "-" not in lowered:
        return None
    ratio, best = max((SequenceMatcher(None, lowered, role).ratio(), role) for role in _ROLES if "-" in role)
    if len(lowered) >= 8 and ratio >= 0.9:
        return best
    return "" if any(part in _ROLE_PARTS for part in lowered.split("-")) else None


def _is_name(word: str, first: bool) -> bool:
    """A named example (BERT, LLaMA, RoBERTa, T5, Mistral): capitals past the first letter, or a capitalised word
    that does not open the sentence."""
    if any(ch.isupper() for ch in word[1:]) or (word[:1].isupper() and any(ch.isdigit() for ch in word)):
        return True
    return word[:1].isupper() and not first and "-" not in word


def _named_under_roles(text: str) -> dict[str, set[str]]:
    """Per named example, the roles it is listed under in the text ("Decoder-only models like GPT and LLaMA")."""
    found: dict[str, set[str]] = {}
    for sentence in split_sentences(text):
        role: str | None = None
        for position, word in enumerate(_WORD.findall(sentence)):
            if _is_name(word, position == 0):
                if role is not None:
                    found.setdefault(word.lower(), set()).add(role)
                continue
            named = _role_of(word)
            if named is not None:
                role = named or None
    return found


def _other_role(role: str) -> set[str]:
    return {b if a == role else a for a, b in ROLE_PAIRS if role in (a, b)}


def misplaced_example(text: str, question: Question) -> str | None:
    """A named example the text lists under one role where the question's material lists it only under the other."""
    expected = _named_under_roles(" ".join([question.reference_answer, *(p.statement for p in question.key_points)]))
    for name, roles in _named_under_roles(text).items():
        known = expected.get(name)
        if not known:
            continue
        for role in roles - known:
            if known & _other_role(role):
                shown = next(w for w in _WORD.findall(text) if w.lower() == name)
                return f"it lists {shown} as {role}, where the key points make it {' / '.join(sorted(known))}"
    return None


def contradicts_key_point(text: str, question: Question, against: Sequence[KeyPoint] | None = None) -> str | None:
    """How a sentence of the text reverses one of the question's key points (or of `against`), or None."""
    misplaced = misplaced_example(text, question)
    if misplaced is not None:
        return misplaced
    for sentence in split_sentences(text):
        for point in question.key_points if against is None else against:
            found = find_contradiction(point.statement, sentence)
            if found is not None:
                return f"{found.describe()} (key point: {point.statement})"
    return None


def review_model_prose(text: str, question: Question, references: Sequence[str] = (),
                       check_complete: bool = True, against: Sequence[KeyPoint] | None = None) -> ProseReview:
    """Whether model prose about `question` may be shown: complete, grounded, and contradicting no key point.

    `against` limits the reversal check to some key points: a follow-up question is checked against the point it
    asks about, since a question about one role of a pair is not a claim about the other.
    """
    grounded = grounded_share(text, grounding_text(question, references))
    if check_complete:
        problem = incomplete(text)
        if problem is not None:
            return ProseReview(problem, grounded)
    if grounded < GROUNDED_SHARE:
        return ProseReview(f"ungrounded: {grounded:.0%} of its words are in the question's material "
                           f"(at least {GROUNDED_SHARE:.0%} needed)", grounded)
    problem = contradicts_key_point(text, question, against)
    if problem is not None:
        return ProseReview(f"contradicts a key point: {problem}", grounded)
    return ProseReview(None, grounded)
