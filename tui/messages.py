"""What workers tell the screens. Workers run on other threads; they reach the UI only through these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # the engine's modules load with it, off the first paint
    from interviewer.agent.session import Step
    from interviewer.agent.state import Event


@dataclass
class EventsArrived(Message):
    """Transcript events as the engine produces them (the grade before the follow-up is written)."""

    events: list[Event]


@dataclass
class StepArrived(Message):
    """The engine is waiting for the candidate again, or the session has ended."""

    step: Step
    earlier: list[Event] = field(default_factory=list)  # a resumed session's transcript so far


@dataclass
class StepFailed(Message):
    """Opening, starting or advancing the session failed; `retry` says what Retry does."""

    title: str
    message: str
    retry: str  # "open", "resume" or "none"
