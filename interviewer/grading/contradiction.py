"""Does an answer sentence say the opposite of a key point? A small rule-based detector similarity cannot replace.

MiniLM places "the dot products grow with d_k" and "the dot products do not grow with d_k" next to each other, so
evidence alone scores a reversal like the claim it reverses. Three kinds of reversal are caught, always about the
same content words, never from a cue alone:

- negation: the answer negates a verb or adjective the key point affirms ("do not grow" against "grows"), or
  affirms one the key point negates ("eliminates" against "does not eliminate");
- antonyms and directions: the answer uses one side of a pair (higher/lower, freeze/update, before/after, ...)
  where the key point uses the other, next to a word the two share; pairs are counted per clause, so two
  reversals cancel ("lower temperature sharpens" agrees with "higher temperature flattens");
- swapped roles: the key point names two roles (bi-encoder and cross-encoder, draft and target model, ...) and
  the answer gives one role what the key point says about the other.

Correct answers use "not" too, so a reversal needs more than a cue: the negation must be verbal ("is not",
"doesn't", "never"; not "no labels" or "data, not instructions"), the reversed word must sit next to a content
word it also sits next to in the key point, and a negated antonym agrees ("not updated" against "frozen").
Conditional sentences ("if it's not in the candidates...") and claims hedged in the key point ("unscaled logits
saturate") are left alone, as are quoted words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ContradictionKind = Literal["negation", "antonym", "swapped-roles"]

_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[,;:()]")
_QUOTED = re.compile(r"(?<![a-z0-9])'[^']{1,40}'(?![a-z0-9])|\"[^\"]{1,40}\"")
_CLAUSE_BREAK = frozenset({",", ";", ":", "(", ")", "but", "whereas", "while", "although", "though", "so",
                           "because", "which", "that", "then", "and", "or"})
_AUXILIARIES = frozenset("""do does did is are was were be been can could should would will shall may might must
    has have had need needs""".split())
_NEGATIONS = frozenset({"not", "never", "cannot"})
# Words that make a claim conditional or negative by meaning: a clause holding one affirms and denies nothing.
_HEDGES = frozenset("""without unnecessary unneeded needless lack lacks lacked lacking absent avoid avoids instead
    rather than unlike fails fail failed neither nor rarely seldom hardly barely if unless whether otherwise too
    no none""".split())
_NEGATIVE_PREFIX = re.compile(r"^(?:un(?!der|it|iq|io|iv|til|less)|non-?)[a-z]{4,}")
# A sentence holding one of these is an explanation of what would happen, not a claim to check.
_CONDITIONAL = frozenset({"if", "unless", "whether", "otherwise", "maybe", "perhaps", "possibly", "probably",
                          "might"})
# "not only X but Y" adds; "tell it not to follow" instructs; neither denies.
_NOT_NEGATING_NEXT = frozenset({"only", "just", "merely", "simply", "least", "to", "all", "every"})
# After a negation these say how, not what: the negated content word comes after them.
_LIGHT = frozenset("""a an the to be is are was were been being do does did have has had need needs needed really
    actually always necessarily any anything much many very quite too it its this these those their there get gets
    make makes go goes even also ever we you they i one same more necessary required s of in on for by with as at
    from all every some both either each""".split())
_STOPWORDS = frozenset("""a an and are as at be been being but by can could do does did for from has have had how i if
    in into is it its me my of on or our so such that the their them then there these they this those to was we were
    what when where which while who why will with would you your also just very really much many more most some any
    each every other another both either one same not never no""".split())
# After the negated word, these mark a contrast ("not the base model, only the adapters"): the negation picks a
# different target than the key point's.
_CONTRAST = frozenset({"only", "instead", "rather", "just", "except", "merely"})
_WINDOW = 4  # content words either side, one of which must be shared for a reversal to be about the same thing

# Each row is one opposition; every word on the left opposes every word on the right. Forms are normalised
# first (see _normalise), so "sharpens", "sharpened" and "sharper" all read "sharp".
ANTONYMS: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(left.split()), frozenset(right.split()))
    for left, right in (
        ("more", "fewer less"),
        ("high higher increase increases grow rise raise larger large bigger above", "low lower decrease reduce "
         "shrink drop fall smaller small below"),
        ("fast faster quick quicker", "slow slower"),
        ("freeze frozen fixed", "train update unfreeze"),
        ("exact exactly", "approximate approximately"),
        ("sharp sharpen peaked", "flat flatten smooth uniform"),
        ("before earlier", "after later"),
        ("always", "never"),
        ("deterministic", "random stochastic"),
        ("dense", "sparse"),
        ("cheap cheaper inexpensive", "expensive"),
        ("maximise maximize", "minimise minimize"),
        ("parallel", "sequential serial"),
        ("linear", "quadratic exponential"),
        ("improve", "hurt degrade worsen"),
        ("lossless", "lossy"),
        ("bidirectional", "unidirectional causal"),
        ("stable", "unstable"),
        ("underfit underfitting", "overfit overfitting"),
    )
)

# Pairs of roles: a key point naming both sides of one can be reversed by swapping them.
ROLE_PAIRS: tuple[tuple[str, str], ...] = (
    ("bi-encoder", "cross-encoder"), ("encoder-only", "decoder-only"), ("student", "teacher"), ("draft", "target"),
    ("chosen", "rejected"), ("prefill", "decode"), ("bert", "gpt"), ("pre-norm", "post-norm"),
    ("pre-ln", "post-ln"), ("actor", "critic"), ("generator", "discriminator"), ("retriever", "reranker"),
    ("mha", "gqa"), ("mha", "mqa"), ("mqa", "gqa"), ("dense", "sparse"), ("intrinsic", "extrinsic"),
    ("child", "parent"), ("static", "continuous"), ("fp16", "bf16"), ("full", "peft"), ("ppo", "dpo"),
    ("mrr", "ndcg"), ("top-k", "top-p"), ("encoder", "decoder"), ("k1", "b"),
    ("full", "parameter-efficient"), ("invariance", "directional"),
)
_CONTRAST_SPLIT = re.compile(r"\b(?:while|whereas|but)\b|;")
# In a sentence holding one of these the roles are being contrasted, not confused.
_COMPARING = frozenset({"unlike", "whereas", "while", "than", "compared", "instead", "rather", "versus", "vs"})

_IRREGULAR = {"frozen": "freeze", "froze": "freeze", "larger": "large", "bigger": "big", "smaller": "small",
              "higher": "high", "lower": "low", "faster": "fast", "slower": "slow", "sharper": "sharp",
              "flatter": "flat", "cheaper": "cheap", "quicker": "quick", "grew": "grow", "grown": "grow",
              "fell": "fall", "better": "good", "worse": "bad", "queries": "query", "largest": "large",
              "biggest": "big", "smallest": "small", "highest": "high", "lowest": "low", "fastest": "fast",
              "slowest": "slow", "cheapest": "cheap"}


def _normalise(word: str) -> str:
    """A word's comparable form: plural, tense and comparative endings stripped, then cut to eight letters."""
    word = _IRREGULAR.get(word, word)
    if "-" in word:
        return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
    if len(word) <= 4:
        return word
    for suffix in ("ation", "ening", "ened", "ing", "ed", "es", "s", "er", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word[:8]


_ROLE_FORMS: tuple[tuple[str, str], ...] = tuple((_normalise(x), _normalise(y)) for x, y in ROLE_PAIRS)
_ANTONYM_FORMS: tuple[tuple[frozenset[str], frozenset[str]], ...] = tuple(
    (frozenset(_normalise(w) for w in left), frozenset(_normalise(w) for w in right)) for left, right in ANTONYMS
)


@dataclass(frozen=True)
class _Token:
    word: str  # lower-cased as written
    form: str  # normalised
    negated: bool  # the head of a verbal negation ("grow" in "do not grow")
    clause: int

    @property
    def content(self) -> bool:
        return self.word not in _STOPWORDS and self.word not in _LIGHT and len(self.word) > 1


def _tokens(text: str) -> list[_Token]:
    raw = _TOKEN.findall(_QUOTED.sub(" ", text.lower().replace("’", "'")))
    tokens: list[_Token] = []
    clause = 0
    pending = False  # a negation cue waits for its head word
    for index, word in enumerate(raw):
        if word in _CLAUSE_BREAK:
            clause += 1
            pending = False
            continue
        following = raw[index + 1] if index + 1 < len(raw) else ""
        previous = raw[index - 1] if index else ""
        if word.endswith("n't") or word in ("never", "cannot") or (word == "not" and previous in _AUXILIARIES):
            pending = following not in _NOT_NEGATING_NEXT
            if word.endswith("n't"):
                continue
            continue
        if word in _NEGATIONS:
            continue  # "data, not instructions": an elliptical contrast, not a denial
        negated = pending and word not in _LIGHT and word not in _STOPWORDS
        if negated:
            pending = False
        tokens.append(_Token(word, _normalise(word), negated, clause))
    return tokens


def _neighbours(tokens: Sequence[_Token], index: int, window: int) -> set[str]:
    """Content forms near a token, hyphenated words also by their parts ("dot-product")."""
    near = [t for i, t in enumerate(tokens) if t.content and i != index]
    position = sum(1 for t in tokens[:index] if t.content)
    forms: set[str] = set()
    for token in near[max(0, position - window) : position + window]:
        forms.add(token.form)
        forms.update(_normalise(part) for part in token.word.split("-") if len(part) > 2)
    return forms


def _same_context(answer: Sequence[_Token], a: int, statement: Sequence[_Token], s: int, window: int = _WINDOW) -> bool:
    return bool(_neighbours(answer, a, window) & _neighbours(statement, s, window))


@dataclass(frozen=True)
class Contradiction:
    """Why an answer sentence reverses a key point, in words a candidate can read."""

    kind: ContradictionKind
    answer_words: str  # what the answer says, e.g. "not grow"
    statement_words: str  # what the key point says instead, e.g. "grows"

    def describe(self) -> str:
        if self.kind == "swapped-roles":
            return f"it gives {self.answer_words} what belongs to {self.statement_words}"
        return f'it says "{self.answer_words}" where the key point says "{self.statement_words}"'


def _opposites(form: str) -> frozenset[str]:
    found: set[str] = set()
    for left, right in _ANTONYM_FORMS:
        if form in left:
            found |= right
        elif form in right:
            found |= left
    return frozenset(found)


def _allies(form: str) -> frozenset[str]:
    """The words on the same side of the opposition rows as `form` ("higher" and "above")."""
    found: set[str] = set()
    for left, right in _ANTONYM_FORMS:
        if form in left:
            found |= left
        elif form in right:
            found |= right
    return frozenset(found)


def _hedged_clauses(tokens: Sequence[_Token]) -> set[int]:
    return {t.clause for t in tokens if t.word in _HEDGES or _NEGATIVE_PREFIX.match(t.word)}


def _contrast_follows(tokens: Sequence[_Token], index: int, window: int = 6) -> bool:
    return any(t.word in _CONTRAST for t in tokens[index + 1 : index + 1 + window])


def _negation_reversal(statement: list[_Token], answer: list[_Token]) -> Contradiction | None:
    hedged = _hedged_clauses(statement)
    answer_hedged = _hedged_clauses(answer)
    affirmed = {t.form: i for i, t in enumerate(statement) if t.content and not t.negated and t.clause not in hedged}
    denied = {t.form: i for i, t in enumerate(statement) if t.negated and t.clause not in hedged}
    answer_affirms = {t.form for t in answer if not t.negated}
    answer_denies = {t.form for t in answer if t.negated}
    for index, token in enumerate(answer):
        if not token.content:
            continue
        if (token.negated and token.form in affirmed and token.form not in denied
                and token.form not in answer_affirms and not _contrast_follows(answer, index)
                and _same_context(answer, index, statement, affirmed[token.form])):
            return Contradiction("negation", f"not {token.word}", statement[affirmed[token.form]].word)
        if (not token.negated and token.form in denied and token.form not in affirmed
                and token.form not in answer_denies and token.clause not in answer_hedged
                and _same_context(answer, index, statement, denied[token.form])):
            return Contradiction("negation", token.word, f"not {statement[denied[token.form]].word}")
    return None


def _antonym_reversal(statement: list[_Token], answer: list[_Token]) -> Contradiction | None:
    """Per clause, count the reversals of the statement's direction words; an even count agrees."""
    hedged = _hedged_clauses(statement)
    statement_at = {t.form: i for i, t in enumerate(statement) if t.clause not in hedged and not t.negated}
    answer_forms = {t.form for t in answer}
    for clause in sorted({t.clause for t in answer}):
        flips: list[tuple[int, int]] = []
        for index, token in enumerate(answer):
            if token.clause != clause or token.form in statement_at:
                continue
            opposites = _opposites(token.form)
            opposite = [o for o in opposites if o in statement_at]
            # The key point's words of the other side that the answer leaves out: what this token may reverse.
            # One the answer keeps in the same clause frames the claim instead of contrasting it: in "raising
            # nprobe decreases recall" against "raising nprobe increases recall", "raising" is the cause both state
            # and "decreases" still reverses "increases".
            reversible = [o for o in opposite if o not in answer_forms]
            clauses = {statement[statement_at[o]].clause for o in opposite}
            frame = {o for o in opposites & answer_forms if o in statement_at
                     and statement[statement_at[o]].clause in clauses
                     and any(t.form == o and t.clause == token.clause for t in answer)}
            if not reversible or (opposites & answer_forms) - frame:
                continue  # no opposite in the key point, or the answer names both sides to contrast them
            if token.negated:
                continue  # "not updated" agrees with "frozen"
            # A direction word reverses the point only about the very words it qualifies in both clauses, and
            # not where the key point itself uses this side about them too ("below 1 sharpens, above 1 flattens").
            answer_clause = [t for t in answer if t.clause == token.clause]
            position = answer_clause.index(token)

            def qualifies(said: int, clause: list[_Token] = answer_clause, position: int = position) -> bool:
                statement_clause = [t for t in statement if t.clause == statement[said].clause]
                return _same_context(clause, position, statement_clause, statement_clause.index(statement[said]),
                                     window=2)

            if any(qualifies(statement_at[a]) for a in _allies(token.form) if a in statement_at):
                continue
            said = next((statement_at[o] for o in sorted(reversible) if qualifies(statement_at[o])), None)
            if said is not None:
                flips.append((index, said))
        if len(flips) % 2 == 1:
            index, said = flips[0]
            return Contradiction("antonym", answer[index].word, statement[said].word)
    return None


def _role_predicates(parts: Sequence[Sequence[_Token]], roles: tuple[str, str]) -> dict[str, set[str]]:
    """What a text says about each role: the content words after a role mention, up to the next role or the next
    side of a contrast ("..., while a KL penalty keeps it close" says nothing of the policy)."""
    said: dict[str, set[str]] = {}
    for part in parts:
        current: str | None = None
        for token in part:
            if token.form in roles:
                current = token.form
                said.setdefault(current, set())
            elif current is not None and token.content:
                said[current].add(token.form)
    return said


def _sides(text: str) -> list[list[_Token]]:
    return [_tokens(part) for part in _CONTRAST_SPLIT.split(_QUOTED.sub(" ", text.lower()))]


def other_subject(statement: Sequence[_Token], answer: Sequence[_Token]) -> tuple[str, str] | None:
    """(role the answer names, role the key point names) when the two name opposite roles of a pair and not the
    other's: the sentence is about the other side of the pair."""
    forms = _content_forms(statement) | {t.form for t in statement}
    answer_forms = [t.form for t in answer]
    for x, y in _ROLE_FORMS:
        for said, given in ((x, y), (y, x)):
            if said in forms and given not in forms and given in answer_forms and said not in answer_forms:
                if next(f for f in answer_forms if f in (x, y)) == given:
                    return given, said
    return None


def _role_substituted(statement: list[_Token], answer: list[_Token]) -> Contradiction | None:
    """The key point says something of one role; the answer says the same thing of the other role, as its subject
    ("Encoder-only models like GPT use causal masking" against "Decoder-only models ... use causal masking")."""
    if any(t.word in _COMPARING for t in answer):
        return None
    roles = other_subject(statement, answer)
    if roles is None:
        return None
    given, said = roles
    forms = _content_forms(statement) | {t.form for t in statement}
    said_of_it = _content_forms([t for t in answer if t.form not in roles])
    if len(said_of_it & forms) < 0.6 * max(1, len(said_of_it)):
        return None  # it says something else about the other role
    role_word = next(t.word for t in answer if t.form == given)
    other_word = next(t.word for t in statement if t.form == said)
    return Contradiction("swapped-roles", f'"{role_word}"', f'"{other_word}"')


def _role_swap(statement: str, sentence: str) -> Contradiction | None:
    """The answer says of one role what the key point says of the other (and not what it says of this one)."""
    stated, answered = _sides(statement), _sides(sentence)
    forms = {t.form for part in stated for t in part}
    answer = [t for part in answered for t in part]
    for pair in _ROLE_FORMS:
        if not all(role in forms for role in pair):
            continue
        expected = _role_predicates(stated, pair)
        given = _role_predicates(answered, pair)
        for role, words in given.items():
            other = pair[1] if role == pair[0] else pair[0]
            own = expected.get(role, set()) - expected.get(other, set())
            theirs = expected.get(other, set()) - expected.get(role, set())
            taken = words & theirs
            opposed = any(_opposites(word) & own for word in taken)  # "cross-encoders are fast" against "slow"
            kept = words & own
            if own and taken and len(taken) > len(kept) and (len(taken) >= 2 or opposed):
                role_word = next(t.word for t in answer if t.form == role)
                other_word = next(t.word for part in stated for t in part if t.form == other)
                return Contradiction("swapped-roles", f'"{role_word}"', f'"{other_word}"')
    return None


def _content_forms(tokens: Sequence[_Token]) -> set[str]:
    forms = {t.form for t in tokens if t.content}
    forms.update(_normalise(part) for t in tokens if t.content and "-" in t.word for part in t.word.split("-")
                 if len(part) > 2)
    return forms


def find_contradiction(statement: str, sentence: str) -> Contradiction | None:
    """How `sentence` reverses `statement`, or None when it does not (or not about the same content words)."""
    stated = _tokens(statement)
    answer = _tokens(sentence)
    shared = _content_forms(answer) & _content_forms(stated)
    if len(shared) < 2:
        return None  # a reversal of something else is not a reversal of this point
    conditional = sentence.rstrip().endswith("?") or any(t.word in _CONDITIONAL for t in answer)
    found = None if conditional else _negation_reversal(stated, answer)
    parts = _sides(sentence)
    # A sentence (or side of a contrast, "X does A, while Y does B") about the other role of a pair cannot reverse
    # the key point, unless it says of that role what the key point says of its own.
    for part in parts:
        swapped = _role_substituted(stated, part)
        if swapped is not None:
            return swapped
    if other_subject(stated, answer) is not None:
        return None
    found = found or _antonym_reversal(stated, answer) or _role_swap(statement, sentence)
    for part in parts if found is None else []:
        if other_subject(stated, part) is None:
            found = _antonym_reversal(stated, part)
        if found is not None:
            break
    return found


def about_other_role(statement: str, sentence: str) -> bool:
    """Whether the sentence speaks of the other role of a pair than the statement does (its first-named role)."""
    stated, answer = _tokens(statement), _tokens(sentence)
    forms = [t.form for t in stated]
    answer_forms = [t.form for t in answer]
    for pair in _ROLE_FORMS:
        first_stated = next((f for f in forms if f in pair), None)
        first_given = next((f for f in answer_forms if f in pair), None)
        if first_stated and first_given and first_stated != first_given:
            return True
    return False
