"""A session killed with SIGKILL resumes exactly where it stopped, with every answer intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from interviewer.records.history import History
from tests.agent_driver import SESSION_ID
from tests.agent_helpers import make_session, play, strong, turns
from tests.conftest import REPO_ROOT


def run_until(data_dir: Path, mode: str, marker: str) -> dict[str, str]:
    """Start the driver, wait for `marker` on its output, then kill -9 it. Returns what it printed."""
    process = subprocess.Popen([sys.executable, "-m", "tests.agent_driver", str(data_dir), mode], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    printed: dict[str, str] = {}
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().partition(" ")
            printed[key] = value
            if key == marker:
                break
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert marker in printed, f"the driver never printed {marker}: {printed}"
    return printed


def test_killed_while_waiting_for_an_answer_resumes_at_the_same_question(tmp_path):
    printed = run_until(tmp_path, "waiting", "WAITING")

    session = make_session(tmp_path)
    assert session.resumable() == [SESSION_ID]
    step, earlier = session.resume()
    assert step.session_id == SESSION_ID
    assert step.turn is not None and step.turn.question_id == printed["WAITING"] and step.turn.number == 2
    answers = [event for event in earlier if event.type == "answer"]
    assert len(answers) == 1 and answers[0].text.startswith("RAG retrieves relevant passages")
    assert any(event.type == "grade" for event in earlier)

    steps = play(session, step, strong)
    assert steps[-1].finished
    asked = [printed["ASKED"]] + [turn.question_id for turn in turns(steps)]
    assert len(asked) == 3 and len(set(asked)) == 3
    attempts = History(tmp_path / "history.sqlite").attempts(SESSION_ID)
    assert [a.question_id for a in attempts] == asked
    assert all(a.grade is not None for a in attempts)


def test_killed_while_grading_resumes_by_grading_the_saved_answer(tmp_path):
    printed = run_until(tmp_path, "grading", "GRADING")

    history = History(tmp_path / "history.sqlite")
    saved = history.attempts(SESSION_ID)
    assert len(saved) == 1 and saved[0].grade is None  # the answer was on disk before grading began
    assert "hangs-while-grading" in saved[0].answer

    session = make_session(tmp_path)
    step, earlier = session.resume(SESSION_ID)
    assert any(event.type == "grade" for event in step.events)  # the interrupted step ran again
    assert step.turn is not None and step.turn.number == 2 and step.turn.question_id != printed["ASKED"]
    attempts = history.attempts(SESSION_ID)
    assert len(attempts) == 1 and attempts[0].grade is not None  # graded once, not saved twice


def test_an_unreadable_sessions_file_is_reported_and_left_alone(tmp_path):
    import pytest

    from interviewer.agent.session import SessionError

    broken = tmp_path / "sessions.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SessionError, match="cannot be read") as caught:
        make_session(tmp_path)
    assert caught.value.title == "Saved sessions unreadable"
    assert broken.read_bytes().startswith(b"this is not a database")
