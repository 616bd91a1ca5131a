"""The UI over the fake engine: the real screens, sessions over a bag-of-words embedder and a scripted model."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from interviewer.config import load_settings
from tests.agent_helpers import make_session, plan
from tui.app import InterviewerApp, make_app
from tui.backend import InterviewRequest


class FakeClock:
    """Seconds for the exam countdown, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def build_app(data_dir: Path, request: InterviewRequest | None = None, clock: Callable[[], float] | None = None,
              session_hook: Callable[[Any], None] | None = None) -> InterviewerApp:
    def open_session(settings: Any, note: Callable[[str], None], catalog: Any) -> Any:
        session = make_session(data_dir)
        if session_hook is not None:
            session_hook(session)
        return session

    return make_app(load_settings(), request=request, open_session=open_session, clock=clock or FakeClock())


@pytest.fixture
def data_dir() -> Path:
    return load_settings().data_dir


def interview(**values: Any) -> InterviewRequest:
    return InterviewRequest(plan=plan(**{"topics": ["rag", "chunking"], "questions": 2, **values}))



def pilot_test(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run a coroutine test (Pilot drives the app on asyncio) as an ordinary test function."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run
