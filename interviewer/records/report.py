"""The session report: what happened in one interview, in a form a candidate keeps (Markdown, HTML or JSON).

`build_report` turns one session from the history (`History.sessions()`) into a `SessionReport`: every question
with the answer, the follow-ups, the final grade (the last graded attempt for the question, since a follow-up's
grade is the question's updated grade), the reference answer when the pack is known, per-topic and per-criterion
means, and the weakest key points with what to study. The renderers only format that model, so the three formats
always say the same thing. Nothing here invents a score: an attempt without a grade is reported as not graded.
A grade the candidate disputed is shown with the fair score they gave and their note, next to the grade.
Answers and notes are untrusted text, so the HTML renderer escapes everything it did not write itself, and both
text renderers drop terminal control sequences (a report is often read with `cat` or printed to a terminal).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from statistics import fmean
from typing import Any

from pydantic import BaseModel, Field

from interviewer.grading.wording import error_explanations
from interviewer.packs import Pack, Question

# Terminal control sequences and control characters other than newline and tab, as the plain mode strips them.
_CONTROL = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
REPORT_SCHEMA_VERSION = 2  # 2: disputed grades
WEAKEST_LIMIT = 10
# Statuses that mean "study this"; anything else a grade holds (covered, or an unknown value) is not a gap.
WEAK_STATUSES = ("contradicted", "missing", "partly")


# --- the report ------------------------------------------------------------------------------------------


class CriterionResult(BaseModel):
    criterion: str = Field(description="Rubric criterion, e.g. correctness.")
    score: int | None = Field(description="0 to 5 in the final grade.")
    descriptor: str = Field(default="", description="The rubric's words for that level.")


class KeyPointResult(BaseModel):
    key_point_id: str = Field(description="The key point's id in the pack.")
    statement: str = Field(description="What a complete answer says.")
    weight: float = Field(description="How much the key point counts.")
    status: str = Field(description="covered, partly or missing in the final grade.")
    evidence_quote: str | None = Field(default=None, description="The answer text that showed it, if any.")
    probe: str = Field(default="", description="A question that asks for this point.")
    from_follow_up: bool = Field(default=False, description="True when a follow-up answer gave the evidence.")


class CitationRef(BaseModel):
    source: str = Field(description="Knowledge document.")
    heading: str = Field(default="", description="Section heading in that document.")
    section_id: str = Field(default="", description="The knowledge store's id for the section.")

    @property
    def label(self) -> str:
        return f"{self.source}#{self.heading}" if self.heading else self.source


class DisputeEntry(BaseModel):
    disputed_score: float | None = Field(default=None, description="The grade the candidate disputed.")
    fair_score: float = Field(description="The 0-5 score the candidate thinks is fair.")
    note: str = Field(default="", description="Why, in the candidate's words.")
    disputed_at: str | None = Field(default=None, description="When it was disputed (ISO 8601).")


class FollowUpEntry(BaseModel):
    prompt: str = Field(description="What the interviewer asked.")
    answer: str = Field(description="What the candidate answered.")
    key_point_id: str | None = Field(default=None, description="The key point the follow-up asked about.")
    answered_at: str | None = Field(default=None, description="When it was answered (ISO 8601).")
    hints: int = Field(default=0, description="Hints taken before answering.")
    late: bool = Field(default=False, description="Answered after the time limit.")
    score: float | None = Field(default=None, description="The question's score after this answer; None if ungraded.")
    dispute: DisputeEntry | None = Field(default=None, description="The candidate's dispute of that score, if any.")


class QuestionEntry(BaseModel):
    question_id: str = Field(description="The question's id in the pack.")
    topic: str = Field(description="Topic id.")
    topic_title: str = Field(description="Topic title from the pack, else the id.")
    prompt: str = Field(description="The question as asked.")
    answer: str = Field(description="The candidate's main answer.")
    answered_at: str | None = Field(default=None, description="When the main answer was given (ISO 8601).")
    follow_ups: list[FollowUpEntry] = Field(default_factory=list, description="Follow-ups asked, in order.")
    graded: bool = Field(description="False when no attempt at this question was graded.")
    score: float | None = Field(default=None, description="Final 0-5 score; None when not graded.")
    dispute: DisputeEntry | None = Field(
        default=None, description="The candidate's dispute of the main answer's grade, if any."
    )
    percent: int | None = Field(default=None, description="Final score as a percentage, when the grade has it.")
    guard: str | None = Field(default=None, description="Why the answer scored 0 (e.g. skipped, off-topic).")
    explanation: str = Field(default="", description="How the final score was reached.")
    evidence_only: bool | None = Field(default=None, description="True when no model was used for the grade.")
    criteria: list[CriterionResult] = Field(default_factory=list, description="Per-criterion scores.")
    key_points: list[KeyPointResult] = Field(default_factory=list, description="Key points with their status.")
    advice: list[str] = Field(default_factory=list, description="What to do next, from the grade.")
    errors: list[str] = Field(default_factory=list, description="Each wrong claim: the answer's sentence, what is "
                              "true, and how sure the grader is.")
    flags: list[str] = Field(default_factory=list, description="Warnings such as prompt-injection.")
    hints: int = Field(default=0, description="Hints taken over the question and its follow-ups.")
    hint_penalty: float = Field(default=0.0, description="Points taken off the score for hints.")
    late: bool = Field(default=False, description="Any answer to this question came after the time limit.")
    citations: list[CitationRef] = Field(default_factory=list, description="Reference material behind the grade.")
    reference_answer: str | None = Field(default=None, description="The pack's reference answer, when known.")
    sections: list[str] = Field(default_factory=list, description="Knowledge sections the pack names for it.")


class TopicScore(BaseModel):
    topic: str = Field(description="Topic id.")
    title: str = Field(description="Topic title from the pack, else the id.")
    mean: float | None = Field(description="Mean final score of the graded questions; None if none graded.")
    graded: int = Field(description="Graded questions in this topic.")
    asked: int = Field(description="Questions asked in this topic.")


class CriterionMean(BaseModel):
    criterion: str = Field(description="Rubric criterion.")
    mean: float = Field(description="Mean score over the graded questions.")
    count: int = Field(description="Graded questions that scored this criterion.")


class WeakKeyPoint(BaseModel):
    question_id: str = Field(description="The question it belongs to.")
    topic: str = Field(description="Topic id.")
    key_point_id: str = Field(description="The key point's id in the pack.")
    statement: str = Field(description="What was missed.")
    weight: float = Field(description="How much it counts.")
    status: str = Field(description="missing or partly.")
    probe: str = Field(default="", description="A question to test yourself with.")
    study: list[str] = Field(default_factory=list, description="Sections to read: the pack's, else the citations.")


class SessionReport(BaseModel):
    schema_version: int = Field(default=REPORT_SCHEMA_VERSION, description="Version of this report's format.")
    session_id: str = Field(description="The session's id in the history.")
    pack: str = Field(description="Pack name.")
    pack_title: str | None = Field(default=None, description="Pack title, when the pack is known.")
    mode: str = Field(description="practice or exam.")
    started_at: str = Field(description="ISO 8601.")
    finished_at: str | None = Field(default=None, description="ISO 8601; None for an unfinished session.")
    complete: bool = Field(description="True when the session was finished.")
    plan: dict[str, Any] = Field(default_factory=dict, description="The session's plan as recorded.")
    questions: list[QuestionEntry] = Field(default_factory=list, description="In the order they were asked.")
    topic_scores: list[TopicScore] = Field(default_factory=list, description="Per-topic means.")
    criterion_means: list[CriterionMean] = Field(default_factory=list, description="Per-criterion means.")
    overall_mean: float | None = Field(default=None, description="Mean final score; None when nothing was graded.")
    graded_questions: int = Field(default=0, description="Questions with a final score.")
    weakest_key_points: list[WeakKeyPoint] = Field(
        default_factory=list, description="Missing and partly covered key points, heaviest first."
    )


# --- reading the history ---------------------------------------------------------------------------------


def is_graded(attempt: dict[str, Any]) -> bool:
    return attempt.get("overall") is not None or attempt.get("grade") is not None


def attempts_by_question(attempts: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Attempts grouped by question id, questions in the order first asked, attempts in the order given."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for attempt in attempts:
        grouped.setdefault(str(attempt["question_id"]), []).append(attempt)
    return grouped


def last_graded_attempt(attempts: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The attempt holding the question's final grade: a follow-up's grade supersedes the one before it."""
    return next((attempt for attempt in reversed(attempts) if is_graded(attempt)), None)


def attempt_score(attempt: dict[str, Any]) -> float | None:
    if attempt.get("overall") is not None:
        return float(attempt["overall"])
    grade = attempt.get("grade") or {}
    return float(grade["overall"]) if grade.get("overall") is not None else None


def attempt_dispute(attempt: dict[str, Any]) -> DisputeEntry | None:
    if attempt.get("dispute_score") is None:
        return None
    return DisputeEntry(
        disputed_score=attempt_score(attempt),
        fair_score=float(attempt["dispute_score"]),
        note=str(attempt.get("dispute_note") or ""),
        disputed_at=attempt.get("disputed_at"),
    )


def _pack_question(pack: Pack | None, question_id: str) -> Question | None:
    if pack is None:
        return None
    return next((question for question in pack.questions if question.id == question_id), None)


def _citations(grade: dict[str, Any]) -> list[CitationRef]:
    seen: dict[tuple[str, str], CitationRef] = {}
    for item in grade.get("citations") or []:
        citation = CitationRef(
            source=str(item.get("source", "")),
            heading=str(item.get("heading") or ""),
            section_id=str(item.get("section_id") or ""),
        )
        # Several chunks of one section are one thing to read.
        seen.setdefault((citation.source, citation.heading), citation)
    return list(seen.values())


def study_sections(question: Question | None, grade: dict[str, Any] | None) -> list[str]:
    """What to read for a question: the pack's sections, else the sections the grade cited."""
    if question is not None and question.sections:
        return list(question.sections)
    return [citation.label for citation in _citations(grade or {})]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def first_sentences(text: str, count: int = 2) -> str:
    """The opening sentences of a text, e.g. to quote a reference answer without all of it."""
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    return " ".join(sentences[:count])


def _question_entry(attempts: list[dict[str, Any]], pack: Pack | None) -> QuestionEntry:
    main = next((attempt for attempt in attempts if attempt.get("kind") == "question"), attempts[0])
    question_id = str(main["question_id"])
    pack_question = _pack_question(pack, question_id)
    topic = str(main.get("topic") or (pack_question.topic if pack_question else ""))
    follow_ups = [
        FollowUpEntry(
            prompt=str(attempt.get("prompt") or ""),
            answer=str(attempt.get("answer") or ""),
            key_point_id=attempt.get("key_point_id"),
            answered_at=attempt.get("answered_at"),
            hints=int(attempt.get("hints") or 0),
            late=bool(attempt.get("late")),
            score=attempt_score(attempt),
            dispute=attempt_dispute(attempt),
        )
        for attempt in attempts
        if attempt is not main
    ]
    final = last_graded_attempt(attempts)
    grade: dict[str, Any] = (final.get("grade") or {}) if final else {}
    criteria = [
        CriterionResult(
            criterion=str(item.get("criterion", "")),
            score=item.get("score"),
            descriptor=str(item.get("descriptor") or ""),
        )
        for item in grade.get("criteria") or []
    ]
    key_points = [
        KeyPointResult(
            key_point_id=str(item.get("key_point_id", "")),
            statement=str(item.get("statement", "")),
            weight=float(item.get("weight") or 1.0),
            status=str(item.get("status", "missing")),
            evidence_quote=item.get("evidence_quote"),
            probe=str(item.get("probe") or ""),
            from_follow_up=bool(item.get("from_follow_up", False)),
        )
        for item in grade.get("key_points") or []
    ]
    return QuestionEntry(
        question_id=question_id,
        topic=topic,
        topic_title=pack.topic_title(topic) if pack else topic,
        prompt=str(main.get("prompt") or (pack_question.question if pack_question else "")),
        answer=str(main.get("answer") or ""),
        answered_at=main.get("answered_at"),
        follow_ups=follow_ups,
        graded=final is not None,
        score=attempt_score(final) if final else None,
        dispute=attempt_dispute(main),
        percent=grade.get("percent"),
        guard=grade.get("guard"),
        explanation=str(grade.get("explanation") or ""),
        evidence_only=grade.get("evidence_only"),
        criteria=criteria,
        key_points=key_points,
        advice=[str(item) for item in grade.get("advice") or []],
        errors=error_explanations(grade),
        flags=[str(item) for item in grade.get("flags") or []],
        hints=sum(int(attempt.get("hints") or 0) for attempt in attempts),
        hint_penalty=float(grade.get("hint_penalty") or 0.0),
        late=any(bool(attempt.get("late")) for attempt in attempts) or bool(grade.get("late", False)),
        citations=_citations(grade),
        reference_answer=pack_question.reference_answer if pack_question else None,
        sections=list(pack_question.sections) if pack_question else [],
    )


def _study(entry: QuestionEntry) -> list[str]:
    return entry.sections or [citation.label for citation in entry.citations]


def _topic_scores(entries: Sequence[QuestionEntry]) -> list[TopicScore]:
    by_topic: dict[str, list[QuestionEntry]] = {}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    result = []
    for topic, group in by_topic.items():
        scores = [entry.score for entry in group if entry.score is not None]
        result.append(
            TopicScore(
                topic=topic,
                title=group[0].topic_title,
                mean=round(fmean(scores), 2) if scores else None,
                graded=len(scores),
                asked=len(group),
            )
        )
    return result


def _criterion_means(entries: Sequence[QuestionEntry]) -> list[CriterionMean]:
    scores: dict[str, list[int]] = {}  # insertion order keeps the rubric's order
    for entry in entries:
        for criterion in entry.criteria:
            if criterion.score is not None:
                scores.setdefault(criterion.criterion, []).append(criterion.score)
    return [
        CriterionMean(criterion=name, mean=round(fmean(values), 2), count=len(values))
        for name, values in scores.items()
    ]


def _weakest_key_points(entries: Sequence[QuestionEntry], limit: int) -> list[WeakKeyPoint]:
    weak: list[tuple[int, WeakKeyPoint]] = []
    for order, entry in enumerate(entries):
        study = _study(entry)
        for point in entry.key_points:
            if point.status in WEAK_STATUSES:
                weak.append(
                    (
                        order,
                        WeakKeyPoint(
                            question_id=entry.question_id,
                            topic=entry.topic,
                            key_point_id=point.key_point_id,
                            statement=point.statement,
                            weight=point.weight,
                            status=point.status,
                            probe=point.probe,
                            study=study,
                        ),
                    )
                )
    # Heaviest first; at equal weight a missing point before a partly covered one, then the order asked.
    weak.sort(key=lambda item: (-item[1].weight, item[1].status != "missing", item[0]))
    return [point for _, point in weak[:limit]]


def build_report(session: dict[str, Any], pack: Pack | None = None, *, weakest: int = WEAKEST_LIMIT) -> SessionReport:
    """The report for one session as `History.sessions()` returns it; `pack` adds titles and reference answers.

    `weakest` caps the study list: past about ten items a list stops being a plan.
    """
    if pack is not None and pack.name != session.get("pack"):
        pack = None  # another pack's questions would attach the wrong reference answers
    entries = [_question_entry(group, pack) for group in attempts_by_question(session.get("attempts") or []).values()]
    scores = [entry.score for entry in entries if entry.score is not None]
    return SessionReport(
        session_id=str(session["id"]),
        pack=str(session.get("pack", "")),
        pack_title=pack.title if pack else None,
        mode=str(session.get("mode", "")),
        started_at=str(session.get("started_at", "")),
        finished_at=session.get("finished_at"),
        complete=session.get("finished_at") is not None,
        plan=dict(session.get("plan") or {}),
        questions=entries,
        topic_scores=_topic_scores(entries),
        criterion_means=_criterion_means(entries),
        overall_mean=round(fmean(scores), 2) if scores else None,
        graded_questions=len(scores),
        weakest_key_points=_weakest_key_points(entries, weakest),
    )


# --- formatting helpers ----------------------------------------------------------------------------------


def _when(value: str | None) -> str:
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    suffix = f" {moment.tzname()}" if moment.tzinfo is not None else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def _duration(report: SessionReport) -> str | None:
    if not report.finished_at:
        return None
    try:
        elapsed = datetime.fromisoformat(report.finished_at) - datetime.fromisoformat(report.started_at)
    except (ValueError, TypeError):
        return None  # unparseable or mixed naive/aware timestamps: leave the duration out rather than guess
    minutes, seconds = divmod(max(0, int(elapsed.total_seconds())), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def _score(score: float | None) -> str:
    return "not graded" if score is None else f"{score:.1f}/5"


def _title(report: SessionReport) -> str:
    return f"Interview report: {report.pack_title or report.pack} ({report.mode})"


def _plan_summary(plan: dict[str, Any]) -> str:
    parts = []
    if plan.get("questions") is not None:
        parts.append(f"{plan['questions']} questions")
    if plan.get("topics"):
        parts.append("topics " + ", ".join(str(topic) for topic in plan["topics"]))
    if plan.get("difficulty") is not None:
        parts.append(f"difficulty {plan['difficulty']}")
    if plan.get("max_follow_ups") is not None:
        count = plan["max_follow_ups"]
        parts.append(f"up to {count} follow-up{'' if count == 1 else 's'}")
    if plan.get("time_limit_s"):
        parts.append(f"{plan['time_limit_s']} s per answer")
    return "; ".join(parts)


def _dispute_text(dispute: DisputeEntry, shown_score: float | None) -> str:
    """The dispute as a sentence; says which grade it was about when the grade shown beside it is another one."""
    about = "this grade"
    if dispute.disputed_score is not None and dispute.disputed_score != shown_score:
        about = f"the grade of your first answer ({_score(dispute.disputed_score)})"
    # On one line: a note's line breaks would otherwise start new Markdown blocks (a heading, a list).
    note = f" — {' '.join(dispute.note.split())}" if dispute.note else ""
    return f"You disputed {about}: fair score {dispute.fair_score:.1f}/5{note}"


def _question_notes(entry: QuestionEntry) -> list[str]:
    notes = []
    if entry.hints:
        penalty = f" ({entry.hint_penalty:.1f} taken off)" if entry.hint_penalty else ""
        notes.append(f"{entry.hints} hint{'s' if entry.hints != 1 else ''}{penalty}")
    if entry.late:
        notes.append("answered after the time limit")
    if entry.guard:
        notes.append(f"scored 0: {entry.guard}")
    if entry.evidence_only:
        notes.append("evidence only")
    notes.extend(entry.flags)
    return notes


# --- Markdown --------------------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Untrusted text for Markdown: `<` as an entity so a previewer cannot turn an answer into live HTML."""
    return text.replace("<", "&lt;")


def _md_quote(text: str) -> str:
    lines = _md(text.strip()).splitlines() or [""]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: SessionReport) -> str:
    out: list[str] = [f"# {_md(_title(report))}", ""]
    status = "complete" if report.complete else "**incomplete** (the session was not finished)"
    out.append(f"- Session: `{report.session_id}` ({status})")
    out.append(f"- Started: {_when(report.started_at)}")
    if report.finished_at:
        duration = _duration(report)
        out.append(f"- Finished: {_when(report.finished_at)}" + (f" ({duration})" if duration else ""))
    plan = _plan_summary(report.plan)
    if plan:
        out.append(f"- Plan: {_md(plan)}")
    graded = f"{report.graded_questions} of {len(report.questions)} questions graded"
    out.append(f"- Overall: **{_score(report.overall_mean)}** ({graded})")
    out.append("")

    if report.topic_scores:
        out += ["## Scores by topic", "", "| topic | mean | graded |", "|---|---|---|"]
        for topic in report.topic_scores:
            out.append(f"| {_md_cell(topic.title)} | {_score(topic.mean)} | {topic.graded} of {topic.asked} |")
        out.append("")
    if report.criterion_means:
        out += ["## Scores by criterion", "", "| criterion | mean |", "|---|---|"]
        for mean in report.criterion_means:
            out.append(f"| {_md_cell(mean.criterion)} | {mean.mean:.1f}/5 |")
        out.append("")
    if report.weakest_key_points:
        out += ["## What to study next", ""]
        for weak in report.weakest_key_points:
            where = f" Study: {_md(', '.join(weak.study))}." if weak.study else ""
            about = f"({_md(weak.question_id)}, weight {weak.weight:g})"
            out.append(f"- **{weak.status}** {about}: {_md(weak.statement)}{where}")
        out.append("")

    for number, entry in enumerate(report.questions, start=1):
        out += [f"## {number}. {_md(entry.question_id)} — {_md(entry.topic_title)}", ""]
        out += [f"**Question:** {_md(entry.prompt)}", "", "**Your answer:**", "", _md_quote(entry.answer), ""]
        for follow_number, follow in enumerate(entry.follow_ups, start=1):
            about = f" (on {follow.key_point_id})" if follow.key_point_id else ""
            notes = [note for note, on in (("late", follow.late), (f"{follow.hints} hints", follow.hints)) if on]
            extra = f" — {', '.join(notes)}" if notes else ""
            out += [f"**Follow-up {follow_number}{about}:** {_md(follow.prompt)}", "", _md_quote(follow.answer)]
            out += ["", f"Score after this answer: {_score(follow.score)}{extra}", ""]
            if follow.dispute:
                out += [_md(_dispute_text(follow.dispute, follow.score)), ""]
        notes = _question_notes(entry)
        out.append(f"**Score: {_score(entry.score)}**" + (f" ({_md('; '.join(notes))})" if notes else ""))
        out.append("")
        if entry.dispute:
            out += [_md(_dispute_text(entry.dispute, entry.score)), ""]
        if entry.explanation:
            out += [_md(entry.explanation), ""]
        if entry.criteria:
            out += ["| criterion | score | level |", "|---|---|---|"]
            for criterion in entry.criteria:
                level = "-" if criterion.score is None else f"{criterion.score}/5"
                out.append(f"| {_md_cell(criterion.criterion)} | {level} | {_md_cell(criterion.descriptor)} |")
            out.append("")
        if entry.key_points:
            out += ["Key points:", ""]
            for point in entry.key_points:
                quote = f' — "{_md(point.evidence_quote)}"' if point.evidence_quote else ""
                source = " (from a follow-up)" if point.from_follow_up else ""
                out.append(f"- **{point.status}**: {_md(point.statement)}{quote}{source}")
            out.append("")
        if entry.errors:
            out += ["Wrong claims:", ""] + [f"- {_md(item)}" for item in entry.errors] + [""]
        if entry.advice:
            out += ["Advice:", ""] + [f"- {_md(item)}" for item in entry.advice] + [""]
        if entry.reference_answer:
            out += ["Reference answer:", "", _md_quote(entry.reference_answer), ""]
        study = _study(entry)
        if study:
            out += [f"Read: {_md(', '.join(study))}", ""]
    return _CONTROL.sub("", "\n".join(out).rstrip() + "\n")


# --- HTML ------------------------------------------------------------------------------------------------

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d1d1f; background: #fff; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #ddd; padding: .25rem .6rem;
text-align: left; vertical-align: top; }
blockquote { margin: .5rem 0; padding: .4rem .8rem; background: #f6f8fa; border-left: 4px solid #c8ccd0;
             white-space: pre-wrap; }
.score { font-weight: 600; } .muted { color: #666; }
.status-covered { color: #1a7f37; } .status-partly { color: #9a6700; } .status-missing { color: #cf222e; }
.status-contradicted { color: #cf222e; font-weight: 600; }
.warning { color: #cf222e; font-weight: 600; } .dispute { color: #8250df; font-style: italic; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _status_class(status: str) -> str:
    # The status comes from stored data; only known values become part of a class name.
    return f"status-{status}" if status in ("covered", "partly", "missing", "contradicted") else "status-unknown"


def render_html(report: SessionReport) -> str:
    """One self-contained HTML file (inline CSS, no scripts, no external links); every stored text is escaped."""
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(_title(report))}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{_e(_title(report))}</h1>",
        "<ul>",
        f"<li>Session <code>{_e(report.session_id)}</code> "
        + ("(complete)" if report.complete else '<span class="warning">(incomplete: not finished)</span>')
        + "</li>",
        f"<li>Started: {_e(_when(report.started_at))}</li>",
    ]
    if report.finished_at:
        duration = _duration(report)
        took = f" ({_e(duration)})" if duration else ""
        out.append(f"<li>Finished: {_e(_when(report.finished_at))}{took}</li>")
    plan = _plan_summary(report.plan)
    if plan:
        out.append(f"<li>Plan: {_e(plan)}</li>")
    out.append(
        f'<li>Overall: <span class="score">{_e(_score(report.overall_mean))}</span> '
        f"({report.graded_questions} of {len(report.questions)} questions graded)</li></ul>"
    )

    if report.topic_scores:
        out.append("<h2>Scores by topic</h2><table><tr><th>topic</th><th>mean</th><th>graded</th></tr>")
        for topic in report.topic_scores:
            out.append(
                f"<tr><td>{_e(topic.title)}</td><td>{_e(_score(topic.mean))}</td>"
                f"<td>{topic.graded} of {topic.asked}</td></tr>"
            )
        out.append("</table>")
    if report.criterion_means:
        out.append("<h2>Scores by criterion</h2><table><tr><th>criterion</th><th>mean</th></tr>")
        for mean in report.criterion_means:
            out.append(f"<tr><td>{_e(mean.criterion)}</td><td>{mean.mean:.1f}/5</td></tr>")
        out.append("</table>")
    if report.weakest_key_points:
        out.append("<h2>What to study next</h2><ul>")
        for weak in report.weakest_key_points:
            where = f' <span class="muted">Study: {_e(", ".join(weak.study))}</span>' if weak.study else ""
            out.append(
                f'<li><span class="{_status_class(weak.status)}">{_e(weak.status)}</span> '
                f"({_e(weak.question_id)}, weight {weak.weight:g}): {_e(weak.statement)}{where}</li>"
            )
        out.append("</ul>")

    for number, entry in enumerate(report.questions, start=1):
        out.append(f"<h2>{number}. {_e(entry.question_id)} &mdash; {_e(entry.topic_title)}</h2>")
        out.append(f"<p><strong>Question:</strong> {_e(entry.prompt)}</p>")
        out.append(f"<p><strong>Your answer:</strong></p><blockquote>{_e(entry.answer)}</blockquote>")
        for follow_number, follow in enumerate(entry.follow_ups, start=1):
            about = f" (on {_e(follow.key_point_id)})" if follow.key_point_id else ""
            late = ' <span class="warning">late</span>' if follow.late else ""
            out.append(
                f"<p><strong>Follow-up {follow_number}{about}:</strong> {_e(follow.prompt)}</p>"
                f"<blockquote>{_e(follow.answer)}</blockquote>"
                f'<p class="muted">Score after this answer: {_e(_score(follow.score))}{late}</p>'
            )
            if follow.dispute:
                out.append(f'<p class="dispute">{_e(_dispute_text(follow.dispute, follow.score))}</p>')
        notes = _question_notes(entry)
        out.append(
            f'<p class="score">Score: {_e(_score(entry.score))}</p>'
            + (f'<p class="muted">{_e("; ".join(notes))}</p>' if notes else "")
        )
        if entry.dispute:
            out.append(f'<p class="dispute">{_e(_dispute_text(entry.dispute, entry.score))}</p>')
        if entry.explanation:
            out.append(f"<p>{_e(entry.explanation)}</p>")
        if entry.criteria:
            out.append("<table><tr><th>criterion</th><th>score</th><th>level</th></tr>")
            for criterion in entry.criteria:
                level = "-" if criterion.score is None else f"{criterion.score}/5"
                out.append(
                    f"<tr><td>{_e(criterion.criterion)}</td><td>{_e(level)}</td><td>{_e(criterion.descriptor)}</td></tr>"
                )
            out.append("</table>")
        if entry.key_points:
            out.append("<ul>")
            for point in entry.key_points:
                quote = f" &mdash; <q>{_e(point.evidence_quote)}</q>" if point.evidence_quote else ""
                source = " (from a follow-up)" if point.from_follow_up else ""
                out.append(
                    f'<li><span class="{_status_class(point.status)}">{_e(point.status)}</span>: '
                    f"{_e(point.statement)}{quote}{source}</li>"
                )
            out.append("</ul>")
        if entry.errors:
            out.append('<p>Wrong claims:</p><ul class="errors">'
                       + "".join(f"<li>{_e(item)}</li>" for item in entry.errors) + "</ul>")
        if entry.advice:
            out.append("<ul>" + "".join(f"<li>{_e(item)}</li>" for item in entry.advice) + "</ul>")
        if entry.reference_answer:
            # Shown open, not in <details>: a report is often printed, and print drops collapsed content.
            reference = _e(entry.reference_answer)
            out.append(f"<p><strong>Reference answer:</strong></p><blockquote>{reference}</blockquote>")
        study = _study(entry)
        if study:
            out.append(f'<p class="muted">Read: {_e(", ".join(study))}</p>')
    out.append("</body></html>")
    return _CONTROL.sub("", "\n".join(out) + "\n")


# --- JSON ------------------------------------------------------------------------------------------------


def render_json(report: SessionReport) -> str:
    """The report as JSON; `SessionReport.model_validate_json` reads it back."""
    return report.model_dump_json(indent=2)

