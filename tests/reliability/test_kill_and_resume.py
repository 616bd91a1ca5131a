"""Crash safety: the plain interview killed with SIGKILL at random points, again and again, then resumed.

Each run feeds answers on stdin (every answer unique) and is killed a random moment after it is ready, until
the session finishes; then the next session. Over all the kills: every answer the process acknowledged with a
grade is in the history exactly once with that grade, no answer is stored twice, every stored answer ends graded
(one killed mid-grade is graded on resume), and after every kill both databases pass `PRAGMA integrity_check`.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from interviewer.records.history import History
from tests.conftest import REPO_ROOT

KILLS_WANTED = 24
SESSIONS_AT_MOST = 30


def integrity(path: Path) -> str:
    if not path.exists():
        return "ok"
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def one_run(data_dir: Path, session_id: str, answers: list[str], kill_after: float | None) -> tuple[str, bool]:
    """Run the driver with `answers` on stdin; kill it `kill_after` seconds after READY (None: let it finish)."""
    process = subprocess.Popen([sys.executable, "-m", "tests.reliability.plain_driver", str(data_dir), session_id],
                               cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdin is not None and process.stdout is not None
    printed: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if line.strip() in ("READY", "FINISHED"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        process.stdin.write("".join(f"{text}\n.\n" for text in answers))
        process.stdin.flush()
    except BrokenPipeError:
        pass
    assert ready.wait(60), "".join(printed)
    killed = False
    if kill_after is not None:
        time.sleep(kill_after)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed = True
    try:
        process.stdin.close()
    except BrokenPipeError:
        pass
    process.wait(timeout=60)
    reader.join(timeout=10)
    output = "".join(printed)
    assert "Traceback" not in output
    return output, killed


@pytest.mark.slow
def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261201)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    kills = 0
    acknowledged = 0  # grades the processes printed (killed or not): each must still be in the history
    sent = 0
    finished_sessions: list[str] = []
    for number in range(SESSIONS_AT_MOST):
        session_id = f"killed-{number}"
        for _ in range(40):
            answers = [f"Retrieval fetches passages and the model answers from them, answer {sent + i}."
                       for i in range(12)]
            sent += len(answers)
            output, killed = one_run(data_dir, session_id, answers, rng.uniform(0.0, 0.15))
            kills += killed
            acknowledged += output.count("\nScore ") + output.count("\nFollow-up: ")
            assert integrity(data_dir / "history.sqlite") == "ok"
            assert integrity(data_dir / "sessions.sqlite") == "ok"
            if "FINISHED" in output:
                break
        else:
            pytest.fail(f"session {session_id} never finished")
        finished_sessions.append(session_id)
        if kills >= KILLS_WANTED:
            break
    assert kills >= KILLS_WANTED

    history = History(data_dir / "history.sqlite")
    stored = [history.session(session_id) for session_id in finished_sessions]
    attempts = [attempt for session in stored if session for attempt in session.attempts]
    texts = Counter(attempt.answer for attempt in attempts)
    assert [text for text, count in texts.items() if count > 1] == []  # nothing stored twice
    assert all(attempt.grade for attempt in attempts)  # everything stored ends graded
    assert len(attempts) >= acknowledged  # every grade a killed process printed is still there
    assert all(session and session.finished_at for session in stored)
    # Each session asked its questions once each: no question was skipped or repeated by a resume.
    for session in stored:
        assert session is not None
        questions = Counter(a.question_id for a in session.attempts if a.kind == "question")
        assert len(questions) == 4
    print(f"\n{kills} kills over {len(finished_sessions)} sessions; {len(attempts)} answers stored, "
          f"{acknowledged} grades printed by the processes")
