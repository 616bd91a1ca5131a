"""Crash safety of the full-screen UI: the real app (tests/reliability/tui_driver.py, the fake engine) in tmux,
typed into as a person would and killed with SIGKILL at random points: while an answer is typed, a moment after
ctrl+s (before, while or after the answer is recorded and graded), or with the next answer half typed. Each time it
is started again and resumes the session. At the end: every answer whose grade the screen showed is in the history
exactly once, nothing is stored twice, everything stored is graded, and after every kill the history and checkpoint
databases pass `PRAGMA integrity_check`. (The plain mode's 24+ kills are in test_kill_and_resume.py.)
"""

from __future__ import annotations

import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from interviewer.records.history import History
from tests.agent_helpers import make_session
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")

KILLS_WANTED = 6
BUDGET_S = 75.0  # kills stop being added after this; the session is then finished without one
WAIT_S = 30.0
HEADER = re.compile(r"(\d) of 4 · ")
MARK = re.compile(r"answer (\d+)\.")


def integrity(path: Path) -> str:
    if not path.exists():
        return "ok"
    with sqlite3.connect(path) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def finished(data_dir: Path, session_id: str) -> bool:
    """Whether the session is over, as the next start of the app would find it: one killed after its last step but
    before its transcript was archived is archived by `resumable()` first."""
    session = make_session(data_dir)
    try:
        session.resumable()
        stored = session.deps.history.session(session_id)
    finally:
        session.close()
    return stored is not None and bool(stored.finished_at)


class TuiRun:
    """One `tui_driver` process in its own tmux session, on a tmux server of this test's own (-L socket)."""

    def __init__(self, socket_name: str, name: str, session_id: str, data_dir: Path, env: dict[str, str]) -> None:
        self.tmux = ["tmux", "-L", socket_name]
        self.name = name
        self.pid_file = data_dir / "tui.pid"
        self.pid_file.unlink(missing_ok=True)
        variables = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        command = f"env {variables} {shlex.quote(sys.executable)} -m tests.reliability.tui_driver {session_id}"
        subprocess.run([*self.tmux, "new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", str(REPO_ROOT),
                        command], check=True, timeout=WAIT_S)
        subprocess.run([*self.tmux, "set", "-s", "escape-time", "0"], check=True, timeout=WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while not self.pid_file.exists() or not self.pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the UI never started"
            time.sleep(0.05)
        self.pid = int(self.pid_file.read_text())

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True,
                              timeout=WAIT_S).stdout

    def turn(self) -> tuple[str, str] | None:
        """(question number, prompt) while the editor waits for an answer; ("summary", "") once finished."""
        shown = self.screen()
        assert "Traceback" not in shown, shown
        if re.search(r"Session \S+ finished", shown):
            return ("summary", "")
        header = HEADER.search(shown)
        lines = shown.splitlines()
        editor = next((i for i, line in enumerate(lines) if "Your answer (ctrl+s submits)" in line), None)
        if header is None or editor is None or editor < 1:
            return None
        prompt = next((line.strip() for line in reversed(lines[:editor])
                       if line.strip().startswith(("Question ", "Follow-up:"))), None)
        if prompt is None or "Grading your answer" in shown:
            return None
        return header.group(1), prompt

    def wait_for_turn(self, other_than: tuple[str, str] | None = None) -> tuple[str, str]:
        deadline = time.monotonic() + WAIT_S
        while True:
            turn = self.turn()
            if turn is not None and turn != other_than:
                return turn
            assert time.monotonic() < deadline, f"no new turn after {other_than}; the screen:\n{self.screen()}"
            time.sleep(0.05)

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True, timeout=WAIT_S)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True, timeout=WAIT_S)

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Ends this run's own tmux session (and so its own tmux server once it has no other)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run([*self.tmux, "kill-session", "-t", self.name], capture_output=True, timeout=WAIT_S)


def test_the_tui_killed_at_random_points_loses_and_duplicates_nothing(isolated_environment: Path) -> None:
    rng = random.Random(20261201)
    data_dir = isolated_environment / "data"
    env = {"INTERVIEWER_DATA_DIR": str(data_dir), "INTERVIEWER_CONFIG": str(isolated_environment / "config.toml"),
           "HF_HUB_OFFLINE": "1", "TERM": "xterm-256color"}
    socket_name = f"interviewer-kill-{os.getpid()}"
    started = time.monotonic()
    kills = 0
    runs = 0
    sent = 0
    acknowledged: list[str] = []  # answers whose grade the screen showed (the turn moved on)
    sessions = ["tui-0"]
    kill_points: Counter[str] = Counter()

    while True:
        finishing = kills >= KILLS_WANTED or time.monotonic() - started > BUDGET_S
        runs += 1
        run = TuiRun(socket_name, f"run-{os.getpid()}-{runs}", sessions[-1], data_dir, env)
        try:
            turn = run.wait_for_turn()
            answers_left = 99 if finishing else rng.randint(1, 3)
            killed = False
            while turn[0] != "summary":
                # A draft restored from the killed run stays in front of what is typed; the "answer N." mark at the
                # end identifies the answer either way.
                text = f"Retrieval fetches passages and the model answers from them, answer {sent}."
                sent += 1
                answers_left -= 1
                point = (rng.choice(["typing", "after submit", "after submit", "next draft"]) if answers_left == 0
                         else "none")
                if point == "typing":
                    run.type(text[: rng.randint(5, len(text) - 5)])
                    time.sleep(rng.uniform(0.0, 0.3))
                    run.kill()
                    killed = True
                    break
                run.type(text)
                run.keys("C-s")
                if point == "after submit":
                    time.sleep(rng.uniform(0.0, 0.4))
                    run.kill()
                    killed = True
                    break
                turn = run.wait_for_turn(other_than=turn)
                acknowledged.append(text)
                if point == "next draft" and turn[0] != "summary":
                    run.type("half of the next answer")
                    time.sleep(rng.uniform(0.0, 2.5))  # a draft is saved every 2 s
                    run.kill()
                    killed = True
                    break
            if killed:
                kills += 1
                kill_points[point] += 1
        finally:
            run.close()
        assert integrity(data_dir / "history.sqlite") == "ok"
        assert integrity(data_dir / "sessions.sqlite") == "ok"
        if finished(data_dir, sessions[-1]):
            if finishing:
                break
            sessions.append(f"tui-{len(sessions)}")

    history = History(data_dir / "history.sqlite")
    stored = [history.session(session_id) for session_id in sessions]
    attempts = [attempt for session in stored for attempt in (session.attempts if session else [])]
    marks = Counter(mark for attempt in attempts for mark in MARK.findall(attempt.answer))
    assert [mark for mark, count in marks.items() if count > 1] == []  # nothing stored twice
    assert {MARK.findall(text)[0] for text in acknowledged} <= set(marks)  # every answer the screen graded is kept
    assert all(attempt.grade for attempt in attempts)  # everything stored ends graded
    assert kills >= KILLS_WANTED, f"only {kills} kills within the time budget"
    print(f"\n{kills} kills ({dict(kill_points)}) over {runs} runs and {len(sessions)} sessions; "
          f"{len(attempts)} answers stored, {len(acknowledged)} acknowledged on screen, "
          f"{time.monotonic() - started:.0f} s")
