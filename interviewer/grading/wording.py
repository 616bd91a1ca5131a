"""How a wrong claim is put to the learner, the same words everywhere (`grade`'s text, the TUI, reports): the
candidate's sentence, what is true, and how sure the evidence is. Plain functions over stored grades, so the UI
and reports use them without loading the grader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def sureness(confidence: float | None) -> str:
    """How sure the evidence is of an error, in words a learner reads."""
    if confidence is None or confidence >= 0.999:
        return "found by a rule" if confidence is not None else "sureness not recorded"
    return f"verifier {confidence:.0%} sure"


def contradiction_text(quote: str | None, statement: str, how: str | None, confidence: float | None) -> str:
    return (f'Contradicted: you said "{quote}", but the key point states: {statement} '
            f"({how or 'reversed'}; {sureness(confidence)})")


def misconception_text(quote: str, claim: str, why: str, confidence: float | None) -> str:
    return f'Misconception: you said "{quote}", which states the wrong claim "{claim}". {why} ({sureness(confidence)})'


def error_explanations(grade: Mapping[str, Any]) -> list[str]:
    """Every wrong claim of a stored grade (a Grade's JSON, as history and transcripts keep it), explained.

    Read leniently: a grade stored before confidences were recorded still explains itself."""
    lines = [
        contradiction_text(point.get("evidence_quote"), str(point.get("statement", "")), point.get("contradiction"),
                           point.get("contradiction_confidence"))
        for point in grade.get("key_points") or [] if point.get("status") == "contradicted"
    ]
    lines += [
        misconception_text(str(hit.get("quote", "")), str(hit.get("claim", "")), str(hit.get("why", "")),
                           hit.get("confidence"))
        for hit in grade.get("misconceptions") or []
    ]
    return lines


def key_points_heading(reference_only: bool) -> str:
    """What the list of key points is called: a question without authored key points is graded against its
    reference answer's sentences, and the learner is told so."""
    if reference_only:
        return "The reference answer, sentence by sentence (this question has no authored key points)"
    return "Key points"
