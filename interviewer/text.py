"""The text helpers every part uses: words, stems and search tokens, sentences.

One definition of each, so retrieval, grading and the follow-up check split and compare text the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A word for the grader: letters with an optional contraction ("don't"); digits and symbols are not words here.
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
# A sentence ends at . ! or ? and a space, or a line break; not after an abbreviation ("e.g. a", "vs. b") or an
# initial ("Min et al. (2022)"), which would cut a claim in two.
_SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bvs\.)(?<!\bal\.)(?<!\betc\.)(?<!\bcf\.)(?<=[.!?])\s+|\n+")

# Words a search query or a key point shares with everything ("explain", "the"): they rank nothing.
_STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does did for from has have how i if in into is it its
    me my of on or our so such than that the their them then there these they this those to was we were what
    when where which while who why will with would you your about explain describe tell between difference
    vs versus use used using work works""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The words of a text as written (case kept)."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def split_sentences(text: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if _WORD.search(part)]


def finished_text(draft: str) -> str:
    """The part of a draft being typed whose sentences are finished: up to the last sentence end, or all of it when
    it ends with . ! or ? (the candidate paused after a full stop). The sentence still being typed is left out."""
    if draft.rstrip().endswith((".", "!", "?")):
        return draft
    ends = list(_SENTENCE_END.finditer(draft))
    return draft[: ends[-1].start()] if ends else ""


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'embeddings' with 'embedding' and 'indexes' with 'index'."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Search tokens: lower-cased, stemmed, without stopwords (BM25 and every lexical overlap use these)."""
    return [stem(token) for token in _TOKEN.findall(text.lower()) if token not in _STOPWORDS]


def reference_sentences(reference_answer: str) -> list[str]:
    """A reference answer's sentences of three words or more: what a reference-only question is graded on."""
    return [s for s in split_sentences(reference_answer) if len(s.split()) >= 3]


# A reference of this many sentences or more is a rubric, and so is one of two sentences that run to RUBRIC_WORDS
# words or more: two sentences of claims (the independent sets' two-sentence references have 57-103 words; graded
# as a whole, answers reversing them scored 4.1-4.9 of 5). A one-sentence reference, however long, would be cut
# into clauses, and the short-answer datasets' two-sentence ones are terse (26-30 words on Mohler, "Based on the
# function signature. When an overloaded function is called, ..."): both are matched as a whole.
RUBRIC_SENTENCES = 3
RUBRIC_WORDS = 40


def reference_is_a_rubric(reference_answer: str) -> bool:
    """Whether a reference answer says enough, in sentences of claims, for its sentences to be graded as key points
    (otherwise a reference-only question is graded on its match with the reference as a whole)."""
    sentences = len(reference_sentences(reference_answer))
    return sentences >= RUBRIC_SENTENCES or (sentences == 2 and len(reference_answer.split()) >= RUBRIC_WORDS)


def reference_statements(reference_answer: str, most: int = 6) -> list[str]:
    """Statements to grade against when a question has only a reference answer: its sentences (the longest ones
    when there are more than `most`), or its clauses when it is one sentence; always at least two."""
    sentences = reference_sentences(reference_answer)
    if len(sentences) < 2:
        parts = re.split(r",\s+|;\s+|\s+and\s+", reference_answer)
        sentences = [p.strip() for p in parts if len(p.split()) >= 2] or [reference_answer, reference_answer]
    if len(sentences) > most:
        keep = sorted(sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))[:most])
        sentences = [sentences[i] for i in keep]
    return sentences[:most] if len(sentences) >= 2 else sentences * 2


# A question that repeats this share of a key point's own words (those the question does not already use) has
# given the point away: answering it takes reading, not knowing.
GIVEAWAY_SHARE = 0.35


def giveaway_share(statement: str, asked: str, already_said: Sequence[str] = ()) -> float | None:
    """How much of `statement`'s own words `asked` repeats: those words minus the ones in `already_said` (the
    question, the probe) that `asked` contains. None when the statement has fewer than two words of its own."""
    own = set(tokenize(statement)).difference(*(tokenize(text) for text in already_said))
    if len(own) < 2:
        return None
    return len(own & set(tokenize(asked))) / len(own)
