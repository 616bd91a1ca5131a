"""The end-of-session summary: per topic and criterion, strengths, the weakest key points with what to study,
and what comes back for review."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from statistics import mean

from pydantic import BaseModel, Field

from interviewer.agent.planning import SessionPlan
from interviewer.agent.state import QuestionResult
from interviewer.packs import Pack


class TopicSummary(BaseModel):
    topic: str
    title: str
    questions: int
    mean_score: float


class WeakPoint(BaseModel):
    question_id: str
    statement: str
    status: str
    study: list[str] = Field(description="Knowledge sections to read, as 'file.md#Heading'.")


class ReviewItem(BaseModel):
    question_id: str
    question: str
    due_at: datetime


class SessionSummary(BaseModel):
    mode: str
    questions_answered: int
    questions_unanswered: int = 0
    mean_score: float | None = Field(description="None when nothing was graded.")
    topics: list[TopicSummary]
    criteria: dict[str, float]
    strengths: list[str]
    weakest: list[WeakPoint]
    reviews: list[ReviewItem]
    hints_used: int
    late_answers: int


def build_summary(
    pack: Pack, plan: SessionPlan, results: Sequence[QuestionResult], reviews: dict[str, datetime],
    unanswered: int = 0,
) -> SessionSummary:
    by_topic: dict[str, list[float]] = defaultdict(list)
    criteria: dict[str, list[int]] = defaultdict(list)
    for result in results:
        by_topic[result.topic].append(result.score)
        for name, score in result.criteria.items():
            criteria[name].append(score)
    questions = {question.id: question for question in pack.questions}
    strengths: list[str] = []
    weak: list[tuple[float, float, WeakPoint]] = []
    for result in results:
        sections = questions[result.question_id].sections if result.question_id in questions else []
        for point in result.key_points:
            if point["status"] == "covered" and point["weight"] >= 1.0 and point["statement"] not in strengths:
                strengths.append(point["statement"])
            elif point["status"] != "covered":
                weak.append((point["coverage"], -point["weight"], WeakPoint(
                    question_id=result.question_id, statement=point["statement"], status=point["status"],
                    study=list(sections[:2]))))
    weak.sort(key=lambda item: (item[0], item[1]))
    return SessionSummary(
        mode=plan.mode,
        questions_answered=len(results),
        questions_unanswered=max(0, unanswered),
        mean_score=round(mean(r.score for r in results), 2) if results else None,
        topics=[TopicSummary(topic=topic, title=pack.topic_title(topic), questions=len(scores),
                             mean_score=round(mean(scores), 2)) for topic, scores in by_topic.items()],
        criteria={name: round(mean(scores), 2) for name, scores in criteria.items()},
        strengths=strengths[:5],
        weakest=[item[2] for item in weak[:5]],
        reviews=sorted((ReviewItem(question_id=qid, question=questions[qid].question if qid in questions else qid,
                                   due_at=due) for qid, due in reviews.items()), key=lambda item: item.due_at),
        hints_used=sum(r.hints_used for r in results),
        late_answers=sum(1 for r in results if r.late),
    )


def render_summary(summary: SessionSummary) -> str:
    """The summary as plain text, for the transcript and the plain terminal."""
    if summary.mean_score is None:
        return "No question was answered, so there is nothing to score."
    lines = [f"Session summary ({summary.mode}): {summary.questions_answered} question"
             f"{'s' if summary.questions_answered != 1 else ''}, mean {summary.mean_score:.1f}/5."]
    if summary.questions_unanswered:
        lines.append(f"{summary.questions_unanswered} question left unanswered.")
    lines.append("By topic: " + "; ".join(f"{t.title} {t.mean_score:.1f}/5 ({t.questions})" for t in summary.topics))
    lines.append("By criterion: " + ", ".join(f"{name} {value:.1f}/5" for name, value in summary.criteria.items()))
    if summary.hints_used or summary.late_answers:
        lines.append(f"Hints used: {summary.hints_used}; late answers: {summary.late_answers}.")
    if summary.strengths:
        lines.append("Strengths:")
        lines.extend(f"  + {text}" for text in summary.strengths)
    if summary.weakest:
        lines.append("Weakest points, and what to study:")
        for point in summary.weakest:
            study = f"  (read {', '.join(point.study)})" if point.study else ""
            lines.append(f"  - {point.statement}{study}")
    if summary.reviews:
        lines.append("Scheduled for review:")
        lines.extend(f"  {item.due_at:%Y-%m-%d}  {item.question}" for item in summary.reviews)
    return "\n".join(lines)
