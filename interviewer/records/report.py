"""The session report: what happened in one interview, in a form a candidate keeps (Markdown, HTML or JSON).

`build_report` turns one session from the history (a `SessionRecord`) into a `SessionReport`: every question
with the answer, the follow-ups, the final grade (the last graded attempt for the question, since a follow-up's
grade is the question's updated grade), the reference answer when the pack is known, per-topic and per-criterion
means, and the weakest key points with what to study. The stored grade is read back into the grader's own `Grade`
once (`stored_grade`), so the report's criteria and key points are the grade's. Nothing here invents a score: an
attempt without a grade is reported as not graded. A grade the candidate disputed is shown with the fair score
they gave and their note, next to the grade.

Markdown and HTML render one section model (report_view.py) through Jinja templates (templates/); JSON is the
`SessionReport` itself. Answers and notes are untrusted text: the HTML environment autoescapes every value, the
Markdown one writes `<` as an entity, and both drop terminal control sequences (a report is often read with `cat`
or printed to a terminal). `export_report` finds a session in the history and writes its report: the one way
`interviewer report --out` and the TUI export it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from statistics import fmean
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from interviewer.errors import InterviewerError, PackError
from interviewer.grading.grade import Citation, CriterionScore, Grade, KeyPointVerdict
from interviewer.grading.wording import error_explanations
from interviewer.packs import Pack, PackCatalog, Question
from interviewer.records.history import History
from interviewer.records.report_view import report_view
from interviewer.records.sessions import AttemptRecord, QuestionAttempts, SessionRecord

if TYPE_CHECKING:
    from jinja2 import Environment

# Terminal control sequences and control characters other than newline and tab, as the plain mode strips them.
_CONTROL = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
# 2: disputed grades. 3: a question's criteria, key points and citations are the stored grade's own (every field).
REPORT_SCHEMA_VERSION = 3
REPORT_FORMATS = ("md", "html", "json")
WEAKEST_LIMIT = 10
# Statuses that mean "study this"; anything else a grade holds (covered, or an unknown value) is not a gap.
WEAK_STATUSES = ("contradicted", "missing", "partly")


class ReportError(InterviewerError):
    title = "Report problem"


class SessionNotFound(ReportError):
    """No session to report: the history is empty, or has no session with that id."""


class ReportNotWritten(ReportError):
    """The report file could not be written; `strerror` says why."""

    def __init__(self, path: Path, strerror: str | None) -> None:
        super().__init__(f"cannot write {path}: {strerror}", "Report not written")
        self.path, self.strerror = path, strerror


# --- the report ------------------------------------------------------------------------------------------


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
    criteria: list[CriterionScore] = Field(default_factory=list, description="Per-criterion scores.")
    key_points: list[KeyPointVerdict] = Field(default_factory=list, description="Key points with their status.")
    reference_only: bool = Field(default=False, description="No authored key points: the reference answer's "
                                 "sentences stood in for them.")
    advice: list[str] = Field(default_factory=list, description="What to do next, from the grade.")
    errors: list[str] = Field(default_factory=list, description="Each wrong claim: the answer's sentence, what is "
                              "true, and how sure the grader is.")
    flags: list[str] = Field(default_factory=list, description="Warnings such as prompt-injection.")
    hints: int = Field(default=0, description="Hints taken over the question and its follow-ups.")
    hint_penalty: float = Field(default=0.0, description="Points taken off the score for hints.")
    late: bool = Field(default=False, description="Any answer to this question came after the time limit.")
    citations: list[Citation] = Field(default_factory=list, description="Reference material behind the grade.")
    reference_answer: str | None = Field(default=None, description="The pack's reference answer, when known.")
    sections: list[str] = Field(default_factory=list, description="Knowledge sections the pack names for it.")

    @property
    def study(self) -> list[str]:
        """What to read: the sections the pack names for the question, else the sections its grade cited."""
        return self.sections or [citation_label(citation) for citation in self.citations]


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


def stored_grade(attempt: AttemptRecord | None) -> Grade | None:
    """The attempt's grade as the grader made it; None when it has none or the stored JSON is not a Grade."""
    if attempt is None or attempt.grade is None:
        return None
    try:
        return Grade.model_validate(attempt.grade)
    except ValidationError:
        return None  # a damaged row: its score column still counts, the grade's details are left out


def attempt_dispute(attempt: AttemptRecord) -> DisputeEntry | None:
    if attempt.dispute_score is None:
        return None
    return DisputeEntry(
        disputed_score=attempt.score,
        fair_score=float(attempt.dispute_score),
        note=attempt.dispute_note or "",
        disputed_at=attempt.disputed_at,
    )


def citation_label(citation: Citation) -> str:
    return f"{citation.source}#{citation.heading}" if citation.heading else citation.source


def unique_citations(citations: Iterable[Citation]) -> list[Citation]:
    """The citations, one per section: several chunks of one section are one thing to read."""
    seen: dict[tuple[str, str], Citation] = {}
    for citation in citations:
        seen.setdefault((citation.source, citation.heading), citation)
    return list(seen.values())


def study_sections(question: Question | None, citations: Iterable[Citation]) -> list[str]:
    """What to read for a question: the pack's sections, else the sections the grade cited."""
    if question is not None and question.sections:
        return list(question.sections)
    return [citation_label(citation) for citation in unique_citations(citations)]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def first_sentences(text: str, count: int = 2) -> str:
    """The opening sentences of a text, e.g. to quote a reference answer without all of it."""
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    return " ".join(sentences[:count])


def _pack_question(pack: Pack | None, question_id: str) -> Question | None:
    if pack is None:
        return None
    return next((question for question in pack.questions if question.id == question_id), None)


def _follow_up(attempt: AttemptRecord) -> FollowUpEntry:
    return FollowUpEntry(
        prompt=attempt.prompt,
        answer=attempt.answer,
        key_point_id=attempt.key_point_id,
        answered_at=attempt.answered_at,
        hints=attempt.hints,
        late=attempt.late,
        score=attempt.score,
        dispute=attempt_dispute(attempt),
    )


def _grade_details(grade: Grade | None) -> dict[str, Any]:
    """The fields of a question's entry that come from its final grade; none when it has no readable grade."""
    if grade is None:
        return {}
    return {
        "percent": grade.percent,
        "guard": grade.guard,
        "explanation": grade.explanation,
        "evidence_only": grade.evidence_only,
        "criteria": grade.criteria,
        "key_points": grade.key_points,
        "reference_only": grade.reference_only,
        "advice": grade.advice,
        "errors": error_explanations(grade.model_dump(mode="json")),
        "flags": grade.flags,
        "hint_penalty": grade.hint_penalty,
        "citations": unique_citations(grade.citations),
    }


def _question_entry(question: QuestionAttempts, pack: Pack | None) -> QuestionEntry:
    main, final = question.main, question.graded
    pack_question = _pack_question(pack, question.question_id)
    grade = stored_grade(final)
    topic = main.topic or (pack_question.topic if pack_question else "")
    return QuestionEntry(
        question_id=question.question_id,
        topic=topic,
        topic_title=pack.topic_title(topic) if pack else topic,
        prompt=main.prompt or (pack_question.question if pack_question else ""),
        answer=main.answer,
        answered_at=main.answered_at,
        follow_ups=[_follow_up(attempt) for attempt in question.attempts if attempt is not main],
        graded=final is not None,
        score=final.score if final else None,
        dispute=attempt_dispute(main),
        hints=sum(attempt.hints for attempt in question.attempts),
        late=any(attempt.late for attempt in question.attempts) or (grade is not None and grade.late),
        reference_answer=pack_question.reference_answer if pack_question else None,
        sections=list(pack_question.sections) if pack_question else [],
        **_grade_details(grade),
    )


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
            scores.setdefault(criterion.criterion, []).append(criterion.score)
    return [
        CriterionMean(criterion=name, mean=round(fmean(values), 2), count=len(values))
        for name, values in scores.items()
    ]


def _weakest_key_points(entries: Sequence[QuestionEntry], limit: int) -> list[WeakKeyPoint]:
    weak: list[tuple[int, WeakKeyPoint]] = []
    for order, entry in enumerate(entries):
        for point in entry.key_points:
            if point.status in WEAK_STATUSES:
                found = WeakKeyPoint(
                    question_id=entry.question_id,
                    topic=entry.topic,
                    key_point_id=point.key_point_id,
                    statement=point.statement,
                    weight=point.weight,
                    status=point.status,
                    probe=point.probe,
                    study=entry.study,
                )
                weak.append((order, found))
    # Heaviest first; at equal weight a missing point before a partly covered one, then the order asked.
    weak.sort(key=lambda item: (-item[1].weight, item[1].status != "missing", item[0]))
    return [point for _, point in weak[:limit]]


def build_report(session: SessionRecord, pack: Pack | None = None, *, weakest: int = WEAKEST_LIMIT) -> SessionReport:
    """The report for one session of the history; `pack` adds titles and reference answers.

    `weakest` caps the study list: past about ten items a list stops being a plan.
    """
    if pack is not None and pack.name != session.pack:
        pack = None  # another pack's questions would attach the wrong reference answers
    entries = [_question_entry(question, pack) for question in session.questions()]
    scores = [entry.score for entry in entries if entry.score is not None]
    return SessionReport(
        session_id=session.id,
        pack=session.pack,
        pack_title=pack.title if pack else None,
        mode=session.mode,
        started_at=session.started_at,
        finished_at=session.finished_at,
        complete=session.finished,
        plan=dict(session.plan),
        questions=entries,
        topic_scores=_topic_scores(entries),
        criterion_means=_criterion_means(entries),
        overall_mean=round(fmean(scores), 2) if scores else None,
        graded_questions=len(scores),
        weakest_key_points=_weakest_key_points(entries, weakest),
    )


# --- finding and exporting -------------------------------------------------------------------------------


def catalog_pack(catalog: PackCatalog | None, name: str) -> Pack | None:
    """The installed pack of that name, or None (the report then has no titles or reference answers)."""
    if catalog is None:
        return None
    try:
        return catalog.get(name).pack
    except PackError:
        return None


def find_session(history: History, session_id: str | None = None) -> SessionRecord:
    """The session with that id, or the most recent one; `SessionNotFound` says why there is none."""
    session = history.latest_session() if session_id is None else history.session(session_id)
    if session is not None:
        return session
    if session_id is None or history.latest_session() is None:
        raise SessionNotFound("there are no sessions yet", "Nothing to report")
    raise SessionNotFound(f"no session '{session_id}' (see `interviewer history`)", "Unknown session")


def session_report(history: History, session_id: str | None, catalog: PackCatalog | None) -> SessionReport:
    """The report of that session (None: the most recent), with its pack from the catalog when installed."""
    session = find_session(history, session_id)
    return build_report(session, catalog_pack(catalog, session.pack))


def render_report(report: SessionReport, fmt: str) -> str:
    """The report in one of REPORT_FORMATS."""
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "json":
        return render_json(report)
    raise _unknown_format(fmt)


def _unknown_format(fmt: str) -> ReportError:
    return ReportError(f"a report is written as md, html or json, not '{fmt}'", "Unknown format")


def export_report(
    history: History, session_id: str | None, fmt: str, out_path: Path, catalog: PackCatalog | None
) -> Path:
    """Write the report of that session (None: the most recent) as `fmt` to `out_path`; returns the path.

    Raises SessionNotFound when there is no such session and ReportNotWritten when the file cannot be written.
    """
    if fmt not in REPORT_FORMATS:
        raise _unknown_format(fmt)
    text = render_report(session_report(history, session_id, catalog), fmt)
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportNotWritten(out_path, exc.strerror) from exc
    return out_path


# --- rendering -------------------------------------------------------------------------------------------


def _md(value: object) -> str:
    """Untrusted text for Markdown: `<` as an entity so a previewer cannot turn an answer into live HTML."""
    return str(value).replace("<", "&lt;")


def _md_quote(text: str) -> str:
    lines = _md(text.strip()).splitlines() or [""]
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|").replace("\n", " ")


def _html(value: object) -> object:
    """Every value the HTML template writes, escaped with the standard library's entities (`&#x27;`, `&quot;`)
    as reports have always been written; autoescaping then leaves the result as it is."""
    from markupsafe import Markup

    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


@cache
def _environment(fmt: str) -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    as_html = fmt == "html"
    environment = Environment(
        loader=PackageLoader("interviewer.records", "templates"),
        autoescape=as_html,
        finalize=_html if as_html else _md,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(cell=_md_cell, quote=_md_quote)
    return environment


def render_markdown(report: SessionReport) -> str:
    text = _environment("md").get_template("report.md.j2").render(view=report_view(report))
    return _CONTROL.sub("", text.rstrip() + "\n")


def render_html(report: SessionReport) -> str:
    """One self-contained HTML file (inline CSS, no scripts, no external links); every stored text is escaped."""
    return _CONTROL.sub("", _environment("html").get_template("report.html.j2").render(view=report_view(report)))


def render_json(report: SessionReport) -> str:
    """The report as JSON; `SessionReport.model_validate_json` reads it back."""
    return report.model_dump_json(indent=2)
