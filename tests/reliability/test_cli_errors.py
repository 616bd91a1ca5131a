"""Every user-facing error of the CLI, as a table: a non-zero exit, `Error: <title>` and one line saying what
happened and what to do on stderr, never a traceback. Each row runs the real `interviewer` in a fresh process."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.agent_helpers import make_session, plan, play, weak
from tests.conftest import run_cli


def data_dir() -> Path:
    return Path(os.environ["INTERVIEWER_DATA_DIR"])


def finished_session() -> None:
    """One finished session with missed key points, written by the real session code over fakes."""
    session = make_session(data_dir())
    play(session, session.start(plan(topics=["rag"], questions=1, max_follow_ups=0), "done-1"), weak)


def corrupt(name: str) -> Callable[[], None]:
    def setup() -> None:
        finished_session()
        target = data_dir() / name
        for side in target.parent.glob(name + "-*"):  # the WAL and shared-memory files
            side.unlink()
        target.write_bytes(b"this is not a database " * 200)
    return setup


def truncated(name: str) -> Callable[[], None]:
    def setup() -> None:
        finished_session()
        target = data_dir() / name
        with sqlite3.connect(target) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target.write_bytes(target.read_bytes()[:1500])
    return setup


def write(name: str, content: str) -> Callable[[], None]:
    def setup() -> None:
        (data_dir().parent / name).write_text(content, encoding="utf-8")
    return setup


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    title: str
    setup: Callable[[], None] | None = None
    exit_code: int = 1
    message: str = ""  # a fragment the message must contain
    extra: dict[str, str] = field(default_factory=dict)


HOME = "{home}"  # replaced by the test's home folder
CASES: dict[str, Case] = {
    "unknown pack": Case(("interview", "--plain", "--no-model", "--pack", "nope"), "Unknown pack", message="nope"),
    "unknown topic": Case(("interview", "--plain", "--no-model", "--topics", "nope"), "Unknown topic"),
    "bad mode": Case(("interview", "--plain", "--no-model", "--mode", "bad"), "Unknown mode"),
    "time limit without exam": Case(("interview", "--plain", "--no-model", "--time-limit", "30"),
                                    "Time limit without an exam"),
    "nothing to resume": Case(("interview", "--plain", "--no-model", "--resume"), "Nothing to resume"),
    "unknown session to resume": Case(("interview", "--plain", "--no-model", "--resume", "nope"), "Unknown session",
                                      setup=finished_session),
    "session id without resume": Case(("interview", "some-id"), "Unexpected argument"),
    "report with no sessions": Case(("report",), "Nothing to report"),
    "report of an unknown session": Case(("report", "nope"), "Unknown session", setup=finished_session),
    "report in a bad format": Case(("report", "--format", "pdf"), "Unknown format"),
    "report to an unwritable path": Case(("report", "--out", "/proc/interviewer/report.md"), "Report not written",
                                         setup=finished_session),
    "report to a folder": Case(("report", "--out", HOME), "Report not written", setup=finished_session),
    "anki deck to an unwritable path": Case(("export", "anki", "--out", "/proc/interviewer/deck.apkg"),
                                            "Anki export failed", setup=finished_session),
    "history database corrupt": Case(("history",), "History unreadable", setup=corrupt("history.sqlite"),
                                     message="Move it aside"),
    "history database truncated": Case(("history",), "History unreadable", setup=truncated("history.sqlite")),
    "report over a corrupt history": Case(("report",), "History unreadable", setup=corrupt("history.sqlite")),
    "dispute over a corrupt history": Case(("dispute", "done-1", "q1", "3"), "History unreadable",
                                           setup=corrupt("history.sqlite")),
    "resume over a corrupt sessions file": Case(("interview", "--plain", "--no-model", "--resume"),
                                                "Saved sessions unreadable", setup=corrupt("sessions.sqlite")),
    "dispute of an unknown session": Case(("dispute", "nope", "q1", "3"), "Dispute not recorded"),
    "dispute with an impossible score": Case(("dispute", "done-1", "q1", "9"), "Dispute not recorded",
                                             setup=finished_session),
    "dispute of a step that is no turn id": Case(("dispute", "done-1", "1.1", "3"), "Dispute not recorded",
                                                 setup=finished_session, message="'1.1' is not a turn id"),
    "history with csv but no disputes": Case(("history", "--csv"), "Unexpected option"),
    "eval grading, missing dataset": Case(("eval", "grading", "--dataset", "/nonexistent/d.csv"),
                                          "Evaluation dataset problem"),
    "eval grading, wrong columns": Case(("eval", "grading", "--dataset", f"{HOME}/bad.csv"),
                                        "Evaluation dataset problem", setup=write("bad.csv", "a,b\n1,2\n")),
    "eval retrieval, missing dataset": Case(("eval", "retrieval", "--dataset", "/nonexistent/d.tsv"),
                                            "Evaluation dataset problem"),
    "eval retrieval, no store": Case(("eval", "retrieval"), "Knowledge store missing"),
    "search with no store": Case(("search", "attention"), "Knowledge store missing"),
    "grade, unknown question": Case(("grade", "--pack", "genai-core", "--question", "nope", "--answer", "x",
                                     "--no-model"), "Unknown question"),
    "grade, missing answer file": Case(("grade", "--pack", "genai-core", "--question", "rag-what-and-why",
                                        "--answer-file", "/nonexistent/a.txt"), "No answer to grade"),
    "grade, no answer": Case(("grade", "--pack", "genai-core", "--question", "rag-what-and-why"),
                             "No answer to grade"),
    "packs validate, missing path": Case(("packs", "validate", "/nonexistent/pack.yaml"), "", message="cannot read"),
    "packs validate, empty folder": Case(("packs", "validate", HOME), "Nothing to validate"),
    "packs new, bad name": Case(("packs", "new", "Bad Name"), "Invalid pack name"),
    "ingest --only without paths": Case(("ingest", "--only"), "Nothing to ingest"),
    "config file not TOML": Case(("--config", f"{HOME}/c.toml", "history"), "Configuration problem",
                                 setup=write("c.toml", "data_dir = [unclosed\n")),
    "config with a wrong type": Case(("--config", f"{HOME}/c.toml", "history"), "Configuration problem",
                                     setup=write("c.toml", "n_ctx = 'lots'\n")),
}
USAGE_ERRORS = {
    "questions out of range": ("interview", "--questions", "0"),
    "difficulty out of range": ("interview", "--difficulty", "9"),
    "unknown command": ("frobnicate",),
    "unknown option": ("history", "--frob"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_user_errors_are_one_titled_line_and_no_traceback(name: str, isolated_environment: Path) -> None:
    case = CASES[name]
    if case.setup is not None:
        case.setup()
    args = [arg.replace(HOME, str(isolated_environment)) for arg in case.args]
    result = run_cli(*args, timeout=120)
    assert result.returncode == case.exit_code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Note:")]
    if case.title:
        assert lines[0] == f"Error: {case.title}", result.stderr
        assert len(lines) == 2, result.stderr  # the title, then one line saying what happened and what to do
    assert case.message in result.stderr


@pytest.mark.parametrize("name", list(USAGE_ERRORS))
def test_usage_errors_exit_2_without_a_traceback(name: str) -> None:
    result = run_cli(*USAGE_ERRORS[name], timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Error" in result.stderr and "--help" in result.stderr
