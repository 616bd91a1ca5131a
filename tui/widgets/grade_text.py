"""A grade (the dict the interview stores) as Rich Text, for the transcript and the feedback screen.

Every string that came from the candidate, a pack or the model is added as plain text: a Text object never
parses markup, so an answer holding "[/" or "[bold]" shows exactly as typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text

from interviewer.grading.wording import error_explanations, sureness

STATUS_STYLES = {
    "covered": "bold green",
    "partly": "bold yellow",
    "missing": "bold red",
    "contradicted": "bold magenta",
}
STATUS_MARKS = {"covered": "✔ covered", "partly": "◐ partly", "missing": "✘ missing", "contradicted": "⚠ contradicted"}
QUOTE_STYLES = {"covered": "black on green", "partly": "black on yellow", "contradicted": "white on magenta"}


def score_style(overall: float) -> str:
    return "bold green" if overall >= 4 else "bold yellow" if overall >= 2.5 else "bold red"


def headline(grade: dict[str, Any]) -> Text:
    """'3.4/5 (68%)' with what was taken off and how the score was reached."""
    text = Text()
    text.append(f"{grade['overall']:.1f}/5", style=score_style(grade["overall"]))
    text.append(f" ({grade['percent']}%)")
    if grade.get("evidence_only"):
        text.append("  evidence only: the model was not used", style="dim")
    if grade.get("hint_penalty"):
        text.append(f"  −{grade['hint_penalty']:g} for {grade.get('hints_used', 0)} hint(s)", style="yellow")
    if grade.get("late"):
        text.append("  answered after the time limit", style="yellow")
    return text


def guard_and_flags(grade: dict[str, Any]) -> Text | None:
    parts = Text()
    if grade.get("guard"):
        parts.append("Scored 0: ", style="bold red")
        parts.append(str(grade.get("explanation", grade["guard"])))
    for flag in grade.get("flags") or []:
        if parts:
            parts.append("\n")
        parts.append("Flag: ", style="bold magenta")
        parts.append(str(flag))
    return parts or None


def key_point_lines(points: Iterable[dict[str, Any]], with_quotes: bool = True) -> Text:
    text = Text()
    for number, point in enumerate(points):
        if number:
            text.append("\n")
        status = str(point.get("status", ""))
        text.append(f"{STATUS_MARKS.get(status, status):<15}", style=STATUS_STYLES.get(status, ""))
        text.append(str(point.get("statement", "")))
        if with_quotes and point.get("evidence_quote"):
            text.append("\n               “", style="dim")
            text.append(str(point["evidence_quote"]), style="italic")
            text.append("”", style="dim")
        if with_quotes and status == "contradicted" and point.get("contradiction"):
            text.append("\n               ", style="dim")
            text.append(f"reversed: {point['contradiction']} ({sureness(point.get('contradiction_confidence'))})",
                        style="magenta")
    return text


def misconception_lines(grade: dict[str, Any]) -> Text | None:
    """Each wrong claim the answer states, with the sentence that states it and why it is wrong."""
    hits = grade.get("misconceptions") or []
    if not hits:
        return None
    text = Text()
    for number, hit in enumerate(hits):
        if number:
            text.append("\n")
        text.append("✘ misconception  ", style="bold red")
        text.append(f"“{hit.get('quote', '')}”", style="italic")
        text.append("\n   wrong claim: ", style="dim")
        text.append(str(hit.get("claim", "")))
        text.append("\n   why: ", style="dim")
        text.append(str(hit.get("why", "")))
        text.append(f"\n   {sureness(hit.get('confidence'))}", style="dim")
    return text


def compact(grade: dict[str, Any]) -> Text:
    """The transcript's view of a grade: the score line and each key point's status."""
    text = headline(grade)
    problems = guard_and_flags(grade)
    if problems:
        text.append("\n")
        text.append_text(problems)
    if grade.get("key_points") and not grade.get("guard"):
        if grade.get("reference_only"):
            text.append("\nGraded against the reference answer (no authored key points):", style="dim")
        text.append("\n")
        text.append_text(key_point_lines(grade["key_points"], with_quotes=False))
    for line in error_explanations(grade):  # each wrong claim with the sentence, what is true, and how sure
        text.append("\n")
        text.append("✘ ", style="bold red")
        text.append(line)
    return text


def highlighted_answer(answers: Sequence[str], points: Iterable[dict[str, Any]],
                       misconceptions: Sequence[dict[str, Any]] = ()) -> Text:
    """The candidate's own words with each evidence quote highlighted in its key point's colour."""
    text = Text()
    for number, answer in enumerate(answers):
        if number:
            text.append("\n\n— follow-up answer —\n", style="dim")
        text.append(answer or "(no answer)")
    plain = text.plain
    for hit in misconceptions:
        start = plain.find(str(hit.get("quote", "")))
        if hit.get("quote") and start >= 0:
            text.stylize("white on red", start, start + len(hit["quote"]))
    for point in points:
        quote = point.get("evidence_quote")
        style = QUOTE_STYLES.get(str(point.get("status")))
        if not quote or not style:
            continue
        start = plain.find(quote)
        if start >= 0:
            text.stylize(style, start, start + len(quote))
    return text


def plain(value: Any) -> Text:
    """Any text from outside the program, shown literally."""
    return Text(str(value))
