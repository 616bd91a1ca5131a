"""Turning the choices for a new interview into a SessionPlan, and the choices a new session starts from.

Home's form and the Packs screen's "start a session on this pack" both build their plan here, so a session
started either way is validated alike and starts from the same defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interviewer.agent.planning import SessionPlan

DEFAULT_QUESTIONS = 5
DEFAULT_DIFFICULTY = 2
DEFAULT_MODE = "practice"


def session_plan(pack: str, *, max_follow_ups: object, topics: list[str] | None = None,
                 questions: int = DEFAULT_QUESTIONS, difficulty: object = DEFAULT_DIFFICULTY,
                 mode: object = DEFAULT_MODE, time_limit_s: int | None = None) -> SessionPlan:
    """The plan for these choices; a choice out of range raises ValueError saying which, in a user's words.

    The choices a form's selects hold are typed `object`: the plan's own validation is what checks them."""
    from pydantic import ValidationError

    from interviewer.agent.planning import SessionPlan

    try:
        return SessionPlan.model_validate({
            "pack": pack, "topics": list(topics or []), "questions": questions, "difficulty": difficulty,
            "mode": mode, "max_follow_ups": max_follow_ups,
            # Only an exam is timed: a limit left in the form from an earlier exam choice does not apply.
            "time_limit_s": time_limit_s if mode == "exam" else None,
        })
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"]) from exc
