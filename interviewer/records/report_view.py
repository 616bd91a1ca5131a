"""The report as sections to show: what the Markdown and the HTML templates both render.

`report_view` turns a `SessionReport` into plain values in reading order (the header's facts, the tables, the
study list, one section per question), with every number, date and sentence already worded. The templates
(templates/report.md.j2 and templates/report.html.j2) only lay them out and escape them for their format, so the
two formats cannot drift apart. Nothing here is escaped: the values are the stored text, and escaping is the
template environments' job (report.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interviewer.grading.wording import key_points_heading

if TYPE_CHECKING:
    from interviewer.records.report import DisputeEntry, FollowUpEntry, QuestionEntry, SessionReport

_KNOWN_STATUSES = ("covered", "partly", "missing", "contradicted")


@dataclass(frozen=True)
class TopicRow:
    title: str
    mean: str
    graded: int
    asked: int


@dataclass(frozen=True)
class CriterionRow:
    """A row of a criterion table: the session's mean, or one question's level and the rubric's words for it."""

    criterion: str
    level: str
    descriptor: str = ""


@dataclass(frozen=True)
class KeyPointRow:
    status: str
    status_class: str
    statement: str
    quote: str | None = None
    from_follow_up: bool = False


@dataclass(frozen=True)
class StudyItem:
    """A weak key point in "What to study next"."""

    status: str
    status_class: str
    question_id: str
    weight: str
    statement: str
    study: str


@dataclass(frozen=True)
class FollowUpView:
    number: int
    key_point_id: str | None
    prompt: str
    answer: str
    score: str
    late: bool
    hints: int
    dispute: str | None


@dataclass(frozen=True)
class QuestionView:
    number: int
    question_id: str
    topic_title: str
    prompt: str
    answer: str
    follow_ups: list[FollowUpView]
    score: str
    notes: str
    dispute: str | None
    explanation: str
    criteria: list[CriterionRow]
    key_points: list[KeyPointRow]
    key_points_heading: str
    errors: list[str]
    advice: list[str]
    reference_answer: str | None
    study: str


@dataclass(frozen=True)
class ReportView:
    title: str
    session_id: str
    complete: bool
    started: str
    finished: str | None
    duration: str | None
    plan: str
    overall: str
    graded: int
    asked: int
    topics: list[TopicRow]
    criteria: list[CriterionRow]
    study: list[StudyItem]
    questions: list[QuestionView]


# --- wording ---------------------------------------------------------------------------------------------


def when_text(value: str | None) -> str:
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    suffix = f" {moment.tzname()}" if moment.tzinfo is not None else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


def duration_text(started_at: str, finished_at: str | None) -> str | None:
    if not finished_at:
        return None
    try:
        elapsed = datetime.fromisoformat(finished_at) - datetime.fromisoformat(started_at)
    except (ValueError, TypeError):
        return None  # unparseable or mixed naive/aware timestamps: leave the duration out rather than guess
    minutes, seconds = divmod(max(0, int(elapsed.total_seconds())), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def score_text(score: float | None) -> str:
    return "not graded" if score is None else f"{score:.1f}/5"


def plan_text(plan: dict[str, Any]) -> str:
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


def dispute_text(dispute: DisputeEntry | None, shown_score: float | None) -> str | None:
    """The dispute as a sentence; says which grade it was about when the grade shown beside it is another one."""
    if dispute is None:
        return None
    about = "this grade"
    if dispute.disputed_score is not None and dispute.disputed_score != shown_score:
        about = f"the grade of your first answer ({score_text(dispute.disputed_score)})"
    # On one line: a note's line breaks would otherwise start new Markdown blocks (a heading, a list).
    note = f" — {' '.join(dispute.note.split())}" if dispute.note else ""
    return f"You disputed {about}: fair score {dispute.fair_score:.1f}/5{note}"


def question_notes(entry: QuestionEntry) -> list[str]:
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


def status_class(status: str) -> str:
    # The status comes from stored data; only known values become part of a class name.
    return f"status-{status}" if status in _KNOWN_STATUSES else "status-unknown"


# --- the sections ----------------------------------------------------------------------------------------


def _follow_up(number: int, follow: FollowUpEntry) -> FollowUpView:
    return FollowUpView(
        number=number,
        key_point_id=follow.key_point_id,
        prompt=follow.prompt,
        answer=follow.answer,
        score=score_text(follow.score),
        late=follow.late,
        hints=follow.hints,
        dispute=dispute_text(follow.dispute, follow.score),
    )


def _question(number: int, entry: QuestionEntry) -> QuestionView:
    return QuestionView(
        number=number,
        question_id=entry.question_id,
        topic_title=entry.topic_title,
        prompt=entry.prompt,
        answer=entry.answer,
        follow_ups=[_follow_up(index, follow) for index, follow in enumerate(entry.follow_ups, start=1)],
        score=score_text(entry.score),
        notes="; ".join(question_notes(entry)),
        dispute=dispute_text(entry.dispute, entry.score),
        explanation=entry.explanation,
        criteria=[CriterionRow(item.criterion, f"{item.score}/5", item.descriptor) for item in entry.criteria],
        key_points=[
            KeyPointRow(point.status, status_class(point.status), point.statement, point.evidence_quote,
                        point.from_follow_up)
            for point in entry.key_points
        ],
        key_points_heading=key_points_heading(entry.reference_only),
        errors=entry.errors,
        advice=entry.advice,
        reference_answer=entry.reference_answer,
        study=", ".join(entry.study),
    )


def report_view(report: SessionReport) -> ReportView:
    return ReportView(
        title=f"Interview report: {report.pack_title or report.pack} ({report.mode})",
        session_id=report.session_id,
        complete=report.complete,
        started=when_text(report.started_at),
        finished=when_text(report.finished_at) if report.finished_at else None,
        duration=duration_text(report.started_at, report.finished_at),
        plan=plan_text(report.plan),
        overall=score_text(report.overall_mean),
        graded=report.graded_questions,
        asked=len(report.questions),
        topics=[TopicRow(topic.title, score_text(topic.mean), topic.graded, topic.asked)
                for topic in report.topic_scores],
        criteria=[CriterionRow(mean.criterion, f"{mean.mean:.1f}/5") for mean in report.criterion_means],
        study=[
            StudyItem(weak.status, status_class(weak.status), weak.question_id, f"{weak.weight:g}", weak.statement,
                      ", ".join(weak.study))
            for weak in report.weakest_key_points
        ],
        questions=[_question(number, entry) for number, entry in enumerate(report.questions, start=1)],
    )
