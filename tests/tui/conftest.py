"""The UI over the fake engine: the real screens, sessions over a bag-of-words embedder and a scripted model."""

from __future__ import annotations

from collections.abc import Callable
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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every coroutine test here drives the app with Pilot on asyncio (anyio's plugin runs it).
    for item in items:
        if "tests/tui" in str(item.fspath) and getattr(item, "obj", None) is not None:
            import inspect

            if inspect.iscoroutinefunction(item.obj):
                item.add_marker(pytest.mark.anyio)
