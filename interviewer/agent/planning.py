"""Which question comes next: the interview's plan and the rules that pick from a pack.

Pure functions over the pack, the session so far and the candidate's history, so the interview graph stays a
thin shell around them and every rule is testable on its own:
- no question repeats within a session;
- questions due for review (SM-2, see records/history.py) come first, most overdue first;
- then topics the candidate has never been asked about, then questions never asked, then the rest;
- otherwise the topics with the fewest questions so far go next, so a session covers its topics evenly;
- difficulty moves up after a strong answer (4/5 or better) and down after a weak one (under 2.5/5), and the
  question closest to the current difficulty is chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.errors import PackError
from interviewer.packs import Pack, Question

Mode = Literal["practice", "exam"]
STRONG_SCORE, WEAK_SCORE = 4.0, 2.5


class SessionPlan(BaseModel):
    """What the candidate chose for one interview."""

    pack: str = Field(description="Pack name.")
    topics: list[str] = Field(default_factory=list, description="Topic ids; empty means every topic of the pack.")
    questions: int = Field(default=5, ge=1, le=100, description="Main questions in the session.")
    difficulty: Literal[1, 2, 3] = Field(default=2, description="Starting difficulty.")
    mode: Mode = Field(default="practice", description="practice (hints allowed) or exam (timed, no hints).")
    max_follow_ups: int = Field(default=2, ge=0, le=5, description="Follow-ups per question at most.")
    time_limit_s: int | None = Field(default=None, ge=10, description="Exam mode: seconds per question.")

    def check_topics(self, pack: Pack) -> None:
        """Raise a PackError naming any chosen topic the pack does not have."""
        known = [topic.id for topic in pack.topics]
        unknown = [topic for topic in self.topics if topic not in known]
        if unknown:
            raise PackError(f"pack '{pack.name}' has no topic {', '.join(unknown)} (its topics: {', '.join(known)})",
                            "Unknown topic")

    def topic_ids(self, pack: Pack) -> list[str]:
        declared = [topic.id for topic in pack.topics]
        return [topic for topic in declared if topic in self.topics] if self.topics else declared


def next_difficulty(current: int, last_score: float | None) -> int:
    if last_score is None:
        return current
    if last_score >= STRONG_SCORE:
        return min(3, current + 1)
    if last_score < WEAK_SCORE:
        return max(1, current - 1)
    return current


def pick_next_question(
    pack: Pack,
    plan: SessionPlan,
    asked_this_session: Sequence[str],
    difficulty: int,
    due_for_review: Sequence[str] = (),
    asked_ever: set[str] | None = None,
) -> Question | None:
    """The next question, or None when the plan's topics have nothing left to ask."""
    topics = plan.topic_ids(pack)
    asked = set(asked_this_session)
    candidates = [q for q in pack.questions if q.topic in topics and q.id not in asked]
    if not candidates:
        return None
    by_id = {q.id: q for q in pack.questions}
    per_topic = Counter(by_id[qid].topic for qid in asked_this_session if qid in by_id)
    order = {q.id: index for index, q in enumerate(pack.questions)}

    due = [by_id[qid] for qid in due_for_review if qid in by_id and by_id[qid] in candidates]
    if due:
        return due[0]

    fewest = min(per_topic.get(topic, 0) for topic in {q.topic for q in candidates})
    balanced = [q for q in candidates if per_topic.get(q.topic, 0) == fewest]
    ever = asked_ever or set()
    seen_topics = {by_id[qid].topic for qid in ever if qid in by_id}

    def rank(question: Question) -> tuple[int, int, int, int]:
        tier = 0 if question.topic not in seen_topics else 1 if question.id not in ever else 2
        return (tier, abs(question.difficulty - difficulty), topics.index(question.topic), order[question.id])

    return min(balanced, key=rank)
