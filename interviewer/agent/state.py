"""What flows through the interview graph, and the contracts at its edges.

The graph's state is plain JSON (dicts, lists, strings, numbers) so the SQLite checkpointer stores it without
custom serialisers and a checkpoint written by one release reads in the next. Pydantic models describe each part
and validate it where it crosses a boundary:
- `Turn` is what the graph hands out when it waits for the candidate (the `interrupt` payload);
- `Action` is what the candidate sends back: an answer, or a request for a hint, a skip, the model answer or the
  end of the session. Every interaction is one of these; the graph never reads a console.
- `Event` is one line of the transcript (questions, answers, tool calls, grades, notices, the summary).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict, get_args

from pydantic import BaseModel, Field, field_validator

from interviewer.agent.planning import Mode
from interviewer.agent.turns import TurnId
from interviewer.limits import LONGEST_ANSWER_CHARS

ActionType = Literal["answer", "hint", "skip", "end", "show_answer"]
EventType = Literal[
    "plan", "question", "follow-up", "answer", "hint", "tool-call", "tool-result", "grade", "model-answer",
    "notice", "summary",
]
# The graph's nodes (graph.py adds one per name, each InterviewNodes' method of that name); `route` names the next.
NodeName = Literal["plan", "pick", "ask", "hint", "retrieve", "grade", "decide", "follow_up", "summarise"]
NODE_NAMES: tuple[NodeName, ...] = get_args(NodeName)
Route = Literal[NodeName, "end"]  # "end": the interview is over (set by summarise, whose edge goes to END)
MAX_HINTS = 2


class Turn(BaseModel):
    """The graph is waiting for the candidate: what to show them and what they may do."""

    session_id: str
    number: int = Field(description="Which main question this is, from 1.")
    of: int = Field(description="Main questions planned.")
    kind: Literal["question", "follow-up"]
    question_id: str
    topic: str
    topic_title: str
    difficulty: int
    prompt: str = Field(description="What the candidate is asked.")
    key_point_id: str | None = Field(default=None, description="What a follow-up asks about.")
    written_by_model: bool = Field(default=False, description="The prompt is the interviewer model's wording.")
    mode: Mode
    hints_left: int = Field(description="Hints still available for this question (0 in exam mode).")
    time_limit_s: int | None = None
    can_show_answer: bool = Field(description="Whether the previous question's model answer can be shown.")


class Action(BaseModel):
    """The candidate's input for the turn."""

    type: ActionType
    text: str = Field(default="", max_length=LONGEST_ANSWER_CHARS, description="The answer, for type 'answer'.")
    elapsed_s: float | None = Field(default=None, ge=0, description="Seconds the candidate took (exam timing).")

    @field_validator("text", mode="before")
    @classmethod
    def _cut_to_bound(cls, value: Any) -> Any:
        # A huge paste is kept up to the bound rather than refused: refusing would lose the whole answer, and the
        # grader reads only its beginning anyway (GRADED_ANSWER_CHARS, and says so in the grade).
        return value[:LONGEST_ANSWER_CHARS] if isinstance(value, str) else value


class Event(BaseModel):
    type: EventType
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class CurrentQuestion(BaseModel):
    """The question being worked on, with everything said about it so far."""

    question_id: str
    number: int
    turn: TurnId = Field(description="History key of the step: 'q3' for the question, 'q3.f1' for a follow-up.")
    kind: Literal["question", "follow-up"] = "question"
    prompt: str
    key_point_id: str | None = None
    written_by_model: bool = False
    follow_ups_asked: list[str] = Field(default_factory=list)
    hints_used: int = 0
    hints_given: list[str] = Field(default_factory=list)
    answers: list[str] = Field(default_factory=list)
    attempt_id: int | None = None
    late: bool = False
    skipped: bool = False
    grade: dict[str, Any] | None = Field(default=None, description="The raw grade, before hint penalties.")
    first_score: float | None = Field(default=None, description="The main answer's score, as shown.")


class QuestionResult(BaseModel):
    """A finished question, as the summary and difficulty adaptation see it."""

    question_id: str
    topic: str
    difficulty: int
    score: float = Field(description="Final overall score after follow-ups and hint penalties.")
    first_score: float = Field(description="The main answer's score, before follow-ups (drives difficulty).")
    skipped: bool = False
    late: bool = False
    hints_used: int = 0
    follow_ups: list[str] = Field(default_factory=list)
    criteria: dict[str, int] = Field(default_factory=dict)
    key_points: list[dict[str, Any]] = Field(default_factory=list)


class InterviewState(TypedDict, total=False):
    session_id: str
    plan: dict[str, Any]
    difficulty: int
    due_reviews: list[str]
    asked_ever: list[str]
    asked: list[str]
    current: dict[str, Any] | None
    results: list[dict[str, Any]]
    route: Route
    ending: bool
    finished: bool
    summary: dict[str, Any] | None
    transcript: Annotated[list[dict[str, Any]], operator.add]


def event(type_: EventType, text: str, **data: Any) -> dict[str, Any]:
    return Event(type=type_, text=text, data=data).model_dump(mode="json")
