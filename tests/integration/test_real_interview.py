"""A short plain-mode interview end to end with the bundled models (SmolLM2-135M and MiniLM), as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real_model

FIRST = "RAG searches a document store for passages relevant to the question and puts them in the prompt.\n.\n"
REST = ("It helps because the model did not see private documents and can cite its sources.\n.\n"
        "/hint\n"
        "I am not sure, maybe it chunks documents by size.\n.\n"
        "/skip\n")


def interviewer(store, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, "INTERVIEWER_STORE_DIR": str(store)}
    return subprocess.run([sys.executable, "-m", "interviewer.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=900, env=env)


def test_a_plain_session_survives_its_input_ending_and_resumes_to_the_summary(builtin_store) -> None:  # type: ignore[no-untyped-def]
    started = interviewer(builtin_store, "interview", "--plain", "--topics", "rag", "--questions", "2",
                          "--follow-ups", "1", "--difficulty", "1", stdin=FIRST)
    assert started.returncode == 0, started.stderr
    assert "Question 1 of 2" in started.stdout and "Score " in started.stdout
    assert "Input ended" in started.stdout and "--resume" in started.stdout
    assert "Traceback" not in started.stderr

    resumed = interviewer(builtin_store, "interview", "--resume", stdin=REST)
    assert resumed.returncode == 0, resumed.stderr
    assert "Resuming session" in resumed.stdout
    assert "Question 2 of 2" in resumed.stdout and "Hint: " in resumed.stdout
    assert "Session summary (practice)" in resumed.stdout
    assert "Traceback" not in resumed.stderr

    [session] = json.loads(interviewer(builtin_store, "history", "--json").stdout)
    assert session["finished_at"] is not None
    attempts = session["attempts"]
    assert attempts[0]["answer"] == FIRST.split("\n")[0]
    assert all(attempt["grade"] is not None for attempt in attempts)
    # The default model's verdicts were measured to change no grade (weight 0), so it is not asked, and each
    # grade says why rather than waiting for it.
    assert all(a["grade"]["evidence_only"] for a in attempts if a["answer"])
    assert all("weight 0" in (a["grade"]["model_note"] or "") for a in attempts if a["answer"])
    assert any(attempt["kind"] == "follow-up" for attempt in attempts)
    assert [a["kind"] for a in attempts] == ["question", "follow-up", "question", "follow-up"]
    assert attempts[2]["hints"] == 1 and attempts[2]["grade"]["hints_used"] == 1
    assert attempts[-1]["answer"] == ""  # the skipped follow-up is on record; the question keeps its grade


def test_a_missing_model_is_reported_once_and_the_interview_runs_on_evidence(builtin_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nowhere.gguf"
    result = interviewer(builtin_store, "interview", "--plain", "--topics", "chunking", "--questions", "1",
                         "--follow-ups", "0", "--model", str(missing), stdin=FIRST)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Model unavailable") == 1 and str(missing) in result.stderr
    assert "(evidence only: the model was not used)" in result.stdout
    assert "Session summary" in result.stdout and "Traceback" not in result.stderr
