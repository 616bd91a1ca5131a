"""Markdown Q&A lists: `## Question` headings with the answer below, or `Q:` / `A:` line pairs.

Owns telling the two styles apart (any `Q:` line with an `A:` line makes it the pair style), which heading level holds
the questions (the level whose headings end in "?", else the shallowest level whose headings have text under them),
and what the other headings mean: the first level-1 heading titles the pack, headings above the question level name
topics. Fenced code is copied as it is and never read as a heading or a label.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from interviewer.pack_import.cards import Card, ReadResult, Skip, excerpt

# The same heading rule as the document loader (interviewer/retrieval/documents.py), so a heading here is a
# heading there.
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
# "Q: ...", "Q1: ...", "**Q:** ...", "**Question**: ...", "- A: ...", "Answer: ..."; a colon is required, so a
# sentence starting "A. Vaswani" is text.
_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<label>q|question|a|ans|answer)(?:\s*\d{1,4})?\s*(?:\*\*|__)?"
                    r"\s*:\s*(?:\*\*|__)?\s*(?P<rest>.*)$", re.IGNORECASE)
# "## Q3: What is..." or "## 3. What is...": the numbering is not part of the question.
_QUESTION_PREFIX = re.compile(r"^(?:(?:q|question)\s*\d{0,4}\s*[:.)-]\s*|\d{1,4}[.)]\s+)", re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


@dataclass
class _Line:
    number: int
    text: str
    in_code: bool  # inside (or opening/closing) a fenced block: never a heading, label or rule


@dataclass
class _Pair:
    line: int
    topic: str | None
    question: list[str] = field(default_factory=list)
    answer: list[str] | None = None
    orphan: bool = False  # an A: with no Q: before it, already reported; its lines are swallowed


def read_markdown(text: str) -> ReadResult:
    """Cards from a Markdown text in either style; the first level-1 heading (or front matter title) titles it."""
    title, lines = _lines(text)
    result = ReadResult(format="markdown", title=title)
    labels = Counter(_label(line)[0] for line in lines if not line.in_code)
    if labels["q"] and labels["a"]:
        _read_pairs(lines, result)
    else:
        _read_headings(lines, result)
    return result


def _lines(text: str) -> tuple[str | None, list[_Line]]:
    title = None
    offset = 0
    front = _FRONT_MATTER.match(text)
    if front:
        found = re.search(r"^title:\s*(.+)$", front.group(1), re.MULTILINE)
        title = found.group(1).strip().strip("'\"") if found else None
        offset = front.group(0).count("\n")
        text = text[front.end():]
    lines: list[_Line] = []
    in_code = False
    for number, line in enumerate(text.split("\n"), start=offset + 1):
        fence = bool(_FENCE.match(line))
        lines.append(_Line(number, line, in_code or fence))
        in_code ^= fence
    return title, lines


def _label(line: _Line) -> tuple[str | None, str]:
    """('q' or 'a', the text after the label) for a labelled line, else (None, the line)."""
    match = _LABEL.match(line.text)
    if match is None:
        return None, line.text
    rest = match.group("rest")
    if rest.count("**") % 2:  # "**Q: What is X?**": the bold closes after the question
        rest = rest.replace("**", "", 1) if rest.startswith("**") else rest.rsplit("**", 1)[0]
    return ("q" if match.group("label").lower().startswith("q") else "a"), rest.strip()


def _heading(line: _Line) -> tuple[int, str] | None:
    match = None if line.in_code else _HEADING.match(line.text)
    return (len(match.group(1)), _strip_emphasis(match.group(2))) if match else None


def _strip_emphasis(text: str) -> str:
    for mark in ("**", "__"):
        if text.startswith(mark) and text.endswith(mark) and len(text) > 2 * len(mark):
            return text[len(mark):-len(mark)].strip()
    return text.strip()


def _text(lines: list[str]) -> str:
    return "\n".join(lines).strip()


# --- Q: / A: pairs --------------------------------------------------------------------------------------------


def _read_pairs(lines: list[_Line], result: ReadResult) -> None:
    """Q:/A: pairs; a heading or a horizontal rule ends an answer, level-2+ headings name the topic."""
    topic: str | None = None
    pair: _Pair | None = None
    for line in lines:
        heading = _heading(line)
        rule = heading is None and not line.in_code and bool(_RULE.match(line.text))
        label, rest = (None, line.text) if line.in_code or heading else _label(line)
        # A second A: in a row is an answer without a question, not more of the first answer.
        if heading or rule or label == "q" or (label == "a" and (pair is None or pair.answer is not None)):
            _finish_pair(pair, result)
            pair = None
        if heading:
            level, text = heading
            if level == 1 and result.title is None:
                result.title = text
            elif level >= 2:
                topic = text
        elif label == "q":
            pair = _Pair(line.number, topic, [rest])
        elif label == "a" and pair is None:
            result.skipped.append(Skip(f"line {line.number}", "answer without a question (no Q: line before it)",
                                       excerpt(rest)))
            pair = _Pair(line.number, topic, answer=[], orphan=True)
        elif label == "a" and pair is not None:
            pair.answer = [rest]
        elif pair is not None and not rule:
            (pair.question if pair.answer is None else pair.answer).append(line.text)
    _finish_pair(pair, result)


def _finish_pair(pair: _Pair | None, result: ReadResult) -> None:
    if pair is None or pair.orphan:
        return
    where = f"line {pair.line}"
    if pair.answer is None:
        result.skipped.append(Skip(where, "question without an answer (no A: line after it)",
                                   excerpt(_text(pair.question))))
        return
    result.cards.append(Card(question=_text(pair.question), answer=_text(pair.answer), where=where, topic=pair.topic))


# --- ## Question headings --------------------------------------------------------------------------------------


def _question_level(lines: list[_Line]) -> int | None:
    """The heading level that holds the questions, or None when there are no question headings."""
    headings: list[tuple[int, str, bool]] = []  # (level, text, has text right under it)
    for line in lines:
        heading = _heading(line)
        if heading:
            headings.append((*heading, False))
        elif headings and line.text.strip() and not headings[-1][2]:
            headings[-1] = (headings[-1][0], headings[-1][1], True)
    deep = [heading for heading in headings if heading[0] >= 2]
    if not deep:
        # Only level-1 headings: several of them are questions; one is the document's title.
        return 1 if sum(level == 1 for level, _, _ in headings) >= 2 else None
    asked = Counter(level for level, text, _ in deep if text.rstrip("*_ ").endswith("?"))
    if asked:
        return max(sorted(asked), key=lambda level: asked[level])  # most "?" headings; the shallower on a tie
    total = Counter(level for level, _, _ in deep)
    with_text = Counter(level for level, _, has_text in deep if has_text)
    return next((level for level in sorted(total) if with_text[level] * 2 > total[level]), max(total))


def _read_headings(lines: list[_Line], result: ReadResult) -> None:
    """Each heading of the question level is a question; its answer runs to the next heading at that level or
    above. Deeper headings stay inside the answer; shallower ones (level 2+) name the topic."""
    level = _question_level(lines)
    if level is None:
        return  # the caller reports a file with no usable questions
    topics: dict[int, str] = {}
    pair: _Pair | None = None
    for line in lines:
        heading = _heading(line)
        if heading is None or heading[0] > level:
            if pair is not None and pair.answer is not None:
                pair.answer.append(line.text)
            continue
        _finish_heading(pair, result)
        pair = None
        depth, text = heading
        if depth == level:
            topic = topics[max(topics)] if topics else None
            pair = _Pair(line.number, topic, [_QUESTION_PREFIX.sub("", text, count=1).strip()], answer=[])
        elif depth == 1:
            result.title = result.title or text
        else:
            topics = {d: t for d, t in topics.items() if d < depth} | {depth: text}
    _finish_heading(pair, result)


def _finish_heading(pair: _Pair | None, result: ReadResult) -> None:
    if pair is None:
        return
    answer = list(pair.answer or [])
    first = next((index for index, text in enumerate(answer) if text.strip()), None)
    if first is not None:
        label, rest = _label(_Line(0, answer[first], False))
        if label == "a":  # "## What is X?\nA: ..." labels the answer it already is
            answer[first] = rest
    if not _text(answer):
        result.skipped.append(Skip(f"line {pair.line}", "no answer under the question heading",
                                   excerpt(_text(pair.question))))
        return
    result.cards.append(Card(question=_text(pair.question), answer=_text(answer), where=f"line {pair.line}",
                             topic=pair.topic))
