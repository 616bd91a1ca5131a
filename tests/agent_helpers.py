"""Building interview sessions over fakes, and playing them, for the agent tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from interviewer.agent.nodes import InterviewDeps
from interviewer.agent.planning import SessionPlan
from interviewer.agent.session import InterviewSession, Step
from interviewer.agent.state import Action, Turn
from interviewer.grading import Calibration, Grader
from interviewer.packs import Pack, load_pack
from interviewer.records.history import History
from interviewer.resources import builtin_packs_dir
from tests.fakes import BagOfWordsEmbedder, SectionRetriever

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@lru_cache(maxsize=1)
def genai_core() -> Pack:
    return load_pack(builtin_packs_dir() / "genai-core.yaml").pack


@lru_cache(maxsize=1)
def shared_retriever() -> SectionRetriever:
    return SectionRetriever()


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_session(data_dir: Path, chat_model: Any = None, clock: Clock | None = None, llm: Any = None,
                 ) -> InterviewSession:
    pack = genai_core()
    grader = Grader(embedder=BagOfWordsEmbedder(), retriever=shared_retriever(), llm=llm,
                    calibration=Calibration(version="test"))
    deps = InterviewDeps(packs={pack.name: pack}, grader=grader, history=History(data_dir / "history.sqlite"),
                         chat_model=chat_model, now=clock or Clock())
    return InterviewSession(deps, data_dir / "sessions.sqlite")


def plan(**values: Any) -> SessionPlan:
    return SessionPlan.model_validate({"pack": "genai-core", **values})


def answer(text: str, elapsed_s: float | None = None) -> Action:
    return Action(type="answer", text=text, elapsed_s=elapsed_s)


def strong(turn: Turn) -> Action:
    """The reference answer (or, for a follow-up, the key point it asks about): a full-marks answer."""
    question = genai_core().question(turn.question_id)
    if turn.key_point_id:
        return answer(question.key_point(turn.key_point_id).statement)
    return answer(question.reference_answer)


def weak(turn: Turn) -> Action:
    return answer("I don't know, sorry.")


def play(session: InterviewSession, step: Step, respond: Callable[[Turn], Action], limit: int = 60) -> list[Step]:
    """Answer every turn with `respond` until the session ends; returns every step seen."""
    steps = [step]
    while step.turn is not None:
        assert len(steps) < limit, "the session did not end"
        step = session.send(respond(step.turn))
        steps.append(step)
    return steps


def turns(steps: list[Step]) -> list[Turn]:
    return [step.turn for step in steps if step.turn is not None]
