"""The interview-related commands as a user runs them: history, report, export, and refusals with reasons."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path

from tests.agent_helpers import make_session, plan, play, weak
from tests.conftest import run_cli


def data_dir() -> Path:
    return Path(os.environ["INTERVIEWER_DATA_DIR"])


def played_session() -> str:
    session = make_session(data_dir())
    steps = play(session, session.start(plan(topics=["rag"], questions=2, max_follow_ups=1)), weak)
    session.close()
    return steps[-1].session_id


def test_history_report_and_anki_export_of_a_played_session(tmp_path):
    session_id = played_session()

    listed = run_cli("history")
    assert listed.returncode == 0, listed.stderr
    assert session_id in listed.stdout and "finished" in listed.stdout
    assert "By topic (weakest first)" in listed.stdout and "rag" in listed.stdout.split("By topic")[1]

    as_json = run_cli("history", "--json")
    [session] = json.loads(as_json.stdout)
    assert session["id"] == session_id and len(session["attempts"]) == 4
    assert all(attempt["grade"]["key_points"] for attempt in session["attempts"])

    # The JSON history is enough to rebuild the report.
    from interviewer.records.report import build_report, render_json
    from interviewer.records.sessions import SessionRecord
    from tests.agent_helpers import genai_core

    rebuilt = json.loads(render_json(build_report(SessionRecord.model_validate(session), genai_core())))
    reported = json.loads(run_cli("report", session_id, "--format", "json").stdout)
    assert rebuilt == reported and len(reported["questions"]) == 2

    markdown = run_cli("report", session_id, "--format", "md")
    assert markdown.returncode == 0, markdown.stderr
    assert "I don't know, sorry." in markdown.stdout

    out = tmp_path / "report.html"
    html = run_cli("report", "--format", "html", "--out", str(out))
    assert html.returncode == 0 and out.read_text().lstrip().lower().startswith("<!doctype html")

    deck = tmp_path / "cards" / "missed.apkg"
    exported = run_cli("export", "anki", "--out", str(deck))
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(deck) as archive:
        name = next(n for n in archive.namelist() if n.startswith("collection.anki2"))
        (tmp_path / "c.db").write_bytes(archive.read(name))
    notes = sqlite3.connect(tmp_path / "c.db").execute("SELECT count(*) FROM notes").fetchone()[0]
    assert notes >= 4  # every key point of both questions was missed
    assert f"{notes} cards written" in exported.stdout


def test_commands_with_nothing_to_show_say_so():
    assert "No sessions yet" in run_cli("history").stdout
    report = run_cli("report")
    assert report.returncode == 1 and "Nothing to report" in report.stderr
    assert "Nothing to export" in run_cli("export", "anki", "--out", "never.apkg").stdout
    assert not Path("never.apkg").exists()


def test_an_unknown_pack_or_topic_or_session_is_refused_with_the_reason():
    bad_pack = run_cli("interview", "--plain", "--pack", "nope")
    assert bad_pack.returncode == 1 and "no pack named 'nope'" in bad_pack.stderr
    bad_topic = run_cli("interview", "--plain", "--topics", "rag,quantum")
    assert bad_topic.returncode == 1 and "no topic quantum" in bad_topic.stderr
    nothing = run_cli("report", "missing-id")
    assert nothing.returncode == 1
    untimed = run_cli("interview", "--time-limit", "60")
    assert untimed.returncode == 1 and "--mode exam" in untimed.stderr
    stray = run_cli("interview", "some-id")
    assert stray.returncode == 1 and "only used with --resume" in stray.stderr


def test_a_crash_mid_interview_is_explained_and_the_answer_kept(monkeypatch):
    from typer.testing import CliRunner

    import interviewer.wiring
    from interviewer.cli import app
    from interviewer.records.history import History

    session = make_session(data_dir())

    def broken_grade(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the embedding model crashed")

    monkeypatch.setattr(session.deps.grader, "grade", broken_grade)
    monkeypatch.setattr(interviewer.wiring, "open_interview", lambda *args, **kwargs: session)
    result = CliRunner().invoke(app, ["interview", "--plain", "--topics", "rag", "--questions", "2"],
                                input="My answer about retrieval.\n.\n")
    assert result.exit_code == 1
    error = result.exception
    assert error.title == "Interview stopped"
    assert "the embedding model crashed" in error.message and "interviewer interview --resume" in error.message
    history = History(data_dir() / "history.sqlite")
    [row] = history.sessions()
    assert row.attempts[0].answer == "My answer about retrieval."
    assert row.finished_at is None
