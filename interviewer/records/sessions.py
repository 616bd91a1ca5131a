"""What the history reads back: typed records of sessions, their attempts and disputes, per-question groupings
and per-topic trends. They dump to the JSON `interviewer history --json` prints, and that JSON validates back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AttemptRecord(BaseModel):
    """One answer as the history keeps it (a row of `attempts`): what was asked, the answer, its grade, a dispute."""

    model_config = ConfigDict(frozen=True)

    id: int = Field(description="The attempt's id; `record_grade` attaches a grade to it.")
    session_id: str
    pack: str
    question_id: str
    topic: str
    kind: str = Field(description="'question' for the main answer, 'follow-up' for a follow-up's.")
    key_point_id: str | None = Field(default=None, description="What a follow-up asked about.")
    prompt: str = Field(description="What the candidate was asked.")
    answer: str
    answered_at: str = Field(description="ISO 8601.")
    hints: int = 0
    late: bool = False
    overall: float | None = Field(default=None, description="The 0-5 score; None until graded.")
    grade: dict[str, Any] | None = Field(
        default=None, description="The stored Grade's JSON, decoded; `report.stored_grade` validates it."
    )
    model_id: str | None = None
    prompt_version: str | None = None
    turn: str | None = Field(default=None, description="The interview step that asked it, e.g. 'q3' or 'q3.f1'.")
    dispute_score: float | None = Field(default=None, description="The score the candidate thinks is fair.")
    dispute_note: str | None = None
    disputed_at: str | None = None

    @property
    def graded(self) -> bool:
        return self.overall is not None or self.grade is not None

    @property
    def score(self) -> float | None:
        """The 0-5 score: the stored column, else the grade's own."""
        if self.overall is not None:
            return float(self.overall)
        stored = (self.grade or {}).get("overall")
        return float(stored) if stored is not None else None


@dataclass(frozen=True)
class QuestionAttempts:
    """One question of a session: its attempts in the order given (the main answer, then its follow-ups)."""

    question_id: str
    attempts: list[AttemptRecord]

    @property
    def main(self) -> AttemptRecord:
        return next((attempt for attempt in self.attempts if attempt.kind == "question"), self.attempts[0])

    @property
    def graded(self) -> AttemptRecord | None:
        """The attempt holding the question's final grade: a follow-up's grade supersedes the one before it."""
        return next((attempt for attempt in reversed(self.attempts) if attempt.graded), None)

    @property
    def final(self) -> AttemptRecord:
        """The graded attempt, else the last one."""
        return self.graded or self.attempts[-1]


class SessionRecord(BaseModel):
    """One session (a row of `sessions`) with its attempts in the order given."""

    model_config = ConfigDict(frozen=True)

    id: str
    started_at: str = Field(description="ISO 8601.")
    finished_at: str | None = Field(default=None, description="ISO 8601; None while unfinished.")
    pack: str
    mode: str
    plan: dict[str, Any] = Field(default_factory=dict, description="The plan as recorded.")
    transcript: list[dict[str, Any]] | None = Field(
        default=None, description="The finished session's transcript events (interviewer.agent.state.Event)."
    )
    attempts: list[AttemptRecord] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def questions(self) -> list[QuestionAttempts]:
        """The attempts grouped per question, questions in the order first asked."""
        grouped: dict[str, list[AttemptRecord]] = {}
        for attempt in self.attempts:
            grouped.setdefault(attempt.question_id, []).append(attempt)
        return [QuestionAttempts(question_id, attempts) for question_id, attempts in grouped.items()]

    def final_attempts(self) -> list[AttemptRecord]:
        """Per question, the attempt holding its final grade, else its last attempt."""
        return [question.final for question in self.questions()]

    def mean_score(self) -> float | None:
        """The mean of the questions' final scores; None when none was graded."""
        scores = [attempt.overall for attempt in self.final_attempts() if attempt.overall is not None]
        return sum(scores) / len(scores) if scores else None


class DisputeRecord(BaseModel):
    """A disputed attempt as `History.disputes()` lists it: where it was asked, the answer, the grade, the dispute.

    `overall` is the grade the candidate saw and `dispute_score` the one they think is fair.
    """

    model_config = ConfigDict(frozen=True)

    session_id: str
    turn: str | None = None
    pack: str
    question_id: str
    topic: str = ""
    kind: str = "question"
    key_point_id: str | None = None
    prompt: str = ""
    answer: str = ""
    overall: float | None = None
    dispute_score: float
    dispute_note: str | None = None
    disputed_at: str | None = None
    grade: dict[str, Any] | None = Field(default=None, description="The stored grade; None if absent or damaged.")


@dataclass(frozen=True)
class TopicTrend:
    """A topic's final scores over the sessions, oldest first."""

    topic: str
    scores: list[float]

    @property
    def mean(self) -> float:
        return sum(self.scores) / len(self.scores)


def topic_trends(sessions: Sequence[SessionRecord]) -> list[TopicTrend]:
    """Per topic, every graded question's final score, oldest session first; the weakest topic (lowest mean) first.

    `sessions` is newest first, as `History.sessions()` lists them.
    """
    scores: dict[str, list[float]] = {}
    for session in reversed(sessions):
        for attempt in session.final_attempts():
            if attempt.overall is not None:
                scores.setdefault(attempt.topic, []).append(float(attempt.overall))
    trends = [TopicTrend(topic, values) for topic, values in scores.items()]
    return sorted(trends, key=lambda trend: trend.mean)
