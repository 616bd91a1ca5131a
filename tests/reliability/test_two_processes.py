"""Two processes on one data dir: an interview answering in one, history, report, export, dispute and ingest in
the other. No lock error reaches the user, every command succeeds, the interview's answers all land, and both
databases pass `PRAGMA integrity_check` afterwards."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from interviewer.records.history import History
from tests.agent_helpers import make_session, plan, play, weak
from tests.conftest import FIXTURES, REPO_ROOT, run_cli

SESSIONS = 3


def interview(data_dir: Path, session_id: str, pause: float) -> str:
    """The plain interview with one answer every `pause` seconds, as a person (or a script) would type."""
    out_file, err_file = data_dir.parent / f"{session_id}.out", data_dir.parent / f"{session_id}.err"
    with out_file.open("w") as out, err_file.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.plain_driver", str(data_dir), session_id], cwd=REPO_ROOT,
            stdin=subprocess.PIPE, stdout=out, stderr=err, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdin is not None
    for number in range(12):
        time.sleep(pause)
        try:
            process.stdin.write(f"Chunks overlap so a sentence cut at a boundary survives, answer {session_id}-"
                                f"{number}.\n.\n")
            process.stdin.flush()
        except BrokenPipeError:
            break
    try:
        process.stdin.close()
    except BrokenPipeError:
        pass
    process.wait(timeout=120)
    printed, errors = out_file.read_text(), err_file.read_text()
    assert process.returncode == 0 and "FINISHED" in printed, errors
    return printed


@pytest.mark.slow
def test_an_interview_and_other_commands_at_once(tmp_path: Path, isolated_environment: Path) -> None:
    data_dir = Path(os.environ["INTERVIEWER_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    earlier = make_session(data_dir)  # a finished session to report on, dispute and export from the start
    play(earlier, earlier.start(plan(topics=["rag"], questions=1, max_follow_ups=0), "earlier"), weak)
    earlier.close()

    done = threading.Event()
    results: list[tuple[tuple[str, ...], int, str]] = []
    commands: list[tuple[str, ...]] = [
        ("history",), ("history", "--json"), ("report", "--format", "md"), ("report", "earlier", "--format", "html"),
        ("export", "anki", "--out", str(tmp_path / "deck.apkg")), ("dispute", "earlier", "q1", "2", "--note", "x"),
        ("history", "--disputes", "--json"),
    ]

    def other_process() -> None:
        ingest = ("ingest", "--only", str(FIXTURES / "docs" / "notes.txt"))
        result = run_cli(*ingest, timeout=300)
        results.append((ingest, result.returncode, result.stderr))
        turn = 0
        while not done.is_set() or turn < len(commands):
            args = commands[turn % len(commands)]
            result = run_cli(*args, timeout=120)
            results.append((args, result.returncode, result.stderr))
            turn += 1

    other = threading.Thread(target=other_process)
    other.start()
    try:
        for number in range(SESSIONS):
            interview(data_dir, f"busy-{number}", pause=0.4)
    finally:
        done.set()
        other.join(timeout=600)

    failures = [(args, code, err) for args, code, err in results if code != 0 or "locked" in err.lower()
                or "Traceback" in err]
    assert failures == []
    assert len(results) >= 10
    history = History(data_dir / "history.sqlite")
    for number in range(SESSIONS):
        session = history.session(f"busy-{number}")
        assert session is not None and session.finished_at
        assert all(attempt.grade for attempt in session.attempts)
        assert len({a.question_id for a in session.attempts if a.kind == "question"}) == 4
    for name in ("history.sqlite", "sessions.sqlite"):
        with sqlite3.connect(data_dir / name) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"\n{len(results)} commands ran beside {SESSIONS} interviews")
