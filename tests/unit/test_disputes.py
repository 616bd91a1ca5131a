"""Disputed grades: kept beside the grade, shown in the report, and exported as data the grading eval reads."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from interviewer.evaluation.grading import load_grading_dataset
from interviewer.packs import Pack
from interviewer.records.disputes import grading_rows
from interviewer.records.history import DISPUTE_NOTE_LIMIT, History, HistoryError
from interviewer.records.report import SessionReport, build_report, render_html, render_json, render_markdown
from interviewer.records.sessions import DisputeRecord, SessionRecord
from tests.grade_dicts import ATTENTION, FIXTURES, LLM, grade_attempt, make_grade, starter_pack
from tests.unit.test_cli import run

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
HOSTILE_NOTE = "The formula was right <script>alert('x')</script> [/b] [bold]really[/bold]"
MAIN_ANSWER = "softmax(QK^T / sqrt(d_k)) V; the scaling keeps the logits small."
FOLLOW_ANSWER = "Without the scaling the softmax saturates and its gradients vanish."


@pytest.fixture(scope="module")
def pack() -> Pack:
    return starter_pack()


def history_path() -> Path:
    return Path(os.environ["INTERVIEWER_DATA_DIR"]) / "history.sqlite"


def install_starter_pack() -> None:
    packs = Path(os.environ["INTERVIEWER_DATA_DIR"]) / "packs"
    packs.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "packs" / "starter.yaml", packs / "starter.yaml")


def play_session(history: History, pack: Pack) -> str:
    """The attention question graded 1.5, its follow-up raising it to 2.8, then an answer never graded."""
    session_id = history.start_session("starter", "practice", {"questions": 2}, session_id="s1", when=T0)
    attention = pack.question(ATTENTION)
    main = history.record_answer(session_id, "starter", ATTENTION, "transformers", attention.question, MAIN_ANSWER,
                                 turn="q1", when=T0)
    grade_attempt(history, main, make_grade(pack, ATTENTION, {"scaling-reason": "missing"}, 1.5))
    follow = history.record_answer(
        session_id, "starter", ATTENTION, "transformers", attention.key_point("scaling-reason").probe, FOLLOW_ANSWER,
        kind="follow-up", key_point_id="scaling-reason", turn="q1.f1", when=T0 + timedelta(minutes=2),
    )
    grade_attempt(history, follow, make_grade(pack, ATTENTION, {}, 2.8))
    history.record_answer(session_id, "starter", LLM, "llm-basics", pack.question(LLM).question, "Next tokens.",
                          turn="q2", when=T0 + timedelta(minutes=4))
    history.finish_session(session_id, when=T0 + timedelta(minutes=5))
    return session_id


def stored(history: History, session_id: str) -> SessionRecord:
    session = history.session(session_id)
    assert session is not None
    return session


@pytest.fixture
def history(tmp_path: Path, pack: Pack) -> History:
    opened = History(tmp_path / "history.sqlite")
    play_session(opened, pack)
    return opened


# --- the history --------------------------------------------------------------------------------------------


def test_a_dispute_is_kept_beside_the_grade_and_a_second_one_replaces_it(history: History) -> None:
    history.record_dispute("s1", "q1", 3.54, "  The formula was right.  ", when=T0 + timedelta(hours=1))
    (main, follow, _) = history.attempts("s1")
    assert (main.dispute_score, main.dispute_note) == (3.5, "The formula was right.")
    assert main.overall == 1.5 and (main.grade or {})["overall"] == 1.5, "the grade itself is never changed"
    assert follow.dispute_score is None and follow.disputed_at is None

    history.record_dispute("s1", "q1", 4, when=T0 + timedelta(hours=2))
    (dispute,) = history.disputes()
    assert dispute.dispute_score == 4.0 and dispute.dispute_note == ""
    assert dispute.disputed_at == (T0 + timedelta(hours=2)).isoformat()
    assert history.sessions()[0].attempts[0].dispute_score == 4.0


def test_disputes_lists_every_disputed_attempt_newest_first(history: History) -> None:
    history.record_dispute("s1", "q1.f1", 0, "too generous", when=T0 + timedelta(hours=2))
    history.record_dispute("s1", "q1", 5, "x" * (DISPUTE_NOTE_LIMIT + 500), when=T0 + timedelta(hours=1))
    newest, older = history.disputes()
    assert (newest.turn, newest.kind, newest.key_point_id) == ("q1.f1", "follow-up", "scaling-reason")
    assert (newest.overall, newest.dispute_score, newest.answer) == (2.8, 0.0, FOLLOW_ANSWER)
    assert {"pack", "question_id", "topic", "prompt", "session_id", "disputed_at"} <= newest.model_dump().keys()
    assert older.turn == "q1" and len(older.dispute_note or "") == DISPUTE_NOTE_LIMIT


@pytest.mark.parametrize(
    ("session_id", "turn", "score", "reason"),
    [
        ("s1", "q2", 3.0, "has no grade to dispute"),
        ("s1", "q7", 3.0, "session 's1' has no answer at step 'q7'"),
        ("nope", "q1", 3.0, "there is no session 'nope'"),
        ("s1", "q1", 5.1, "between 0 and 5"),
        ("s1", "q1", -0.5, "between 0 and 5"),
        ("s1", "q1", float("nan"), "between 0 and 5"),
    ],
)
def test_a_dispute_is_refused_with_the_reason(
    history: History, session_id: str, turn: str, score: float, reason: str
) -> None:
    with pytest.raises(HistoryError, match=reason) as refused:
        history.record_dispute(session_id, turn, score, "note")
    assert refused.value.title == "Dispute not recorded"
    assert history.disputes() == []


def test_a_version_2_database_gains_the_dispute_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, pack TEXT NOT NULL,"
        " mode TEXT NOT NULL, plan TEXT NOT NULL, transcript TEXT);"
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, pack TEXT NOT NULL,"
        " question_id TEXT NOT NULL, topic TEXT NOT NULL, kind TEXT NOT NULL, key_point_id TEXT, prompt TEXT NOT NULL,"
        " answer TEXT NOT NULL, answered_at TEXT NOT NULL, hints INTEGER NOT NULL DEFAULT 0,"
        " late INTEGER NOT NULL DEFAULT 0, overall REAL, grade TEXT, model_id TEXT, prompt_version TEXT, turn TEXT);"
        "INSERT INTO sessions VALUES ('old', '2026-01-01T00:00:00+00:00', NULL, 'p', 'practice', '{}', NULL);"
        "INSERT INTO attempts (session_id, pack, question_id, topic, kind, prompt, answer, answered_at, overall,"
        " turn) VALUES ('old', 'p', 'q1', 'rag', 'question', 'Q?', 'kept answer', '2026-01-01T00:00:00+00:00', 2.0,"
        " 'q1');"
        "PRAGMA user_version=2;"
    )
    db.close()
    history = History(path)
    (attempt,) = history.attempts("old")
    assert attempt.answer == "kept answer" and attempt.dispute_score is None
    history.record_dispute("old", "q1", 4.5, "fair")
    assert history.disputes()[0].dispute_score == 4.5
    assert history._db.execute("PRAGMA user_version").fetchone()[0] == 3


# --- the report ---------------------------------------------------------------------------------------------


def disputed_report(history: History, pack: Pack) -> SessionReport:
    history.record_dispute("s1", "q1", 3.5, HOSTILE_NOTE)
    history.record_dispute("s1", "q1.f1", 4.0, "the follow-up covered it")
    return build_report(stored(history, "s1"), pack)


def test_the_report_holds_the_disputes(history: History, pack: Pack) -> None:
    report = disputed_report(history, pack)
    attention, llm = report.questions
    assert attention.dispute is not None and attention.follow_ups[0].dispute is not None
    assert (attention.dispute.disputed_score, attention.dispute.fair_score) == (1.5, 3.5)
    assert attention.dispute.note == HOSTILE_NOTE and attention.score == 2.8
    assert attention.follow_ups[0].dispute.fair_score == 4.0 and llm.dispute is None
    assert SessionReport.model_validate_json(render_json(report)) == report


def test_markdown_shows_the_dispute_by_the_grade_and_defuses_the_note(history: History, pack: Pack) -> None:
    text = render_markdown(disputed_report(history, pack))
    follow_up = "Score after this answer: 2.8/5\n\nYou disputed this grade: fair score 4.0/5 — the follow-up covered it"
    assert follow_up in text
    # the main answer's grade (1.5) is not the final score shown beside it (2.8), so the line says which it was
    assert "You disputed the grade of your first answer (1.5/5): fair score 3.5/5 — The formula was right" in text
    assert "&lt;script>" in text and "<script>" not in text and "[/b] [bold]really[/bold]" in text


def test_html_shows_the_dispute_with_the_note_escaped(history: History, pack: Pack) -> None:
    page = render_html(disputed_report(history, pack))
    assert "<script" not in page
    assert "fair score 3.5/5 — The formula was right &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; [/b]" in page
    assert "You disputed this grade: fair score 4.0/5 — the follow-up covered it" in page


def test_a_dispute_of_the_only_grade_says_this_grade(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "h.sqlite")
    session_id = history.start_session("starter", "practice", {}, session_id="s2", when=T0)
    attempt = history.record_answer(session_id, "starter", LLM, "llm-basics", "What is an LLM?", "A model.", turn="q1")
    grade_attempt(history, attempt, make_grade(pack, LLM, {"scale": "missing"}, 2.0))
    history.record_dispute(session_id, "q1", 3.0)
    text = render_markdown(build_report(stored(history, session_id), pack))
    assert "**Score: 2.0/5** (evidence only)\n\nYou disputed this grade: fair score 3.0/5\n" in text
    history.record_dispute(session_id, "q1", 3.0, "first line\n# not a heading")
    text = render_markdown(build_report(stored(history, session_id), pack))
    assert "fair score 3.0/5 — first line # not a heading\n" in text, "a note stays on the grade's line"


# --- grading rows -------------------------------------------------------------------------------------------


def test_rows_take_the_pack_text_and_a_follow_up_its_key_point(history: History, pack: Pack) -> None:
    history.record_dispute("s1", "q1", 3.5, "main", when=T0 + timedelta(hours=2))
    history.record_dispute("s1", "q1.f1", 4.0, "follow", when=T0 + timedelta(hours=1))
    result = grading_rows(history.disputes(), {"starter": pack})
    main, follow = result.rows
    question = pack.question(ATTENTION)
    assert main["question"] == question.question and main["reference_answer"] == question.reference_answer
    # a ';' inside a statement would split it in two when the cell is read back
    assert main["key_points"] == "; ".join(point.statement.replace(";", ",") for point in question.key_points)
    assert any(";" in point.statement for point in question.key_points), "the case that needs it"
    assert (main["student_answer"], main["score"], main["interviewer_score"]) == (MAIN_ANSWER, "3.5", "1.5")
    point = question.key_point("scaling-reason")
    assert (follow["question"], follow["reference_answer"], follow["key_points"]) == (
        point.probe, point.statement, point.statement.replace(";", ",")
    )
    assert (follow["student_answer"], follow["score"], follow["note"]) == (FOLLOW_ANSWER, "4.0", "follow")
    assert result.skipped == []


def test_a_dispute_whose_pack_or_question_is_gone_is_skipped_with_the_reason(history: History, pack: Pack) -> None:
    history.record_dispute("s1", "q1", 3.5)
    assert grading_rows(history.disputes(), {}).skipped == [
        f"s1 q1 (starter/{ATTENTION}): the pack 'starter' is not installed"
    ]
    without = pack.model_copy(update={"questions": [q for q in pack.questions if q.id != ATTENTION]})
    result = grading_rows(history.disputes(), {"starter": without})
    assert result.rows == [] and result.skipped == [
        f"s1 q1 (starter/{ATTENTION}): the pack has no question '{ATTENTION}' any more"
    ]


# --- the command line ---------------------------------------------------------------------------------------


def test_with_no_disputes_the_cli_says_so() -> None:
    code, stdout, _ = run("history", "--disputes")
    assert code == 0 and "No disputed grades" in stdout
    code, stdout, stderr = run("history", "--disputes", "--csv")
    assert code == 0 and stdout == "" and "No disputed grades" in stderr
    code, stdout, _ = run("history", "--disputes", "--json")
    assert code == 0 and json.loads(stdout) == []


def test_disputes_recorded_with_the_cli_round_trip_through_the_grading_csv(tmp_path: Path, pack: Pack) -> None:
    install_starter_pack()
    history = History(history_path())
    play_session(history, pack)
    history.close()

    code, stdout, _ = run("dispute", "s1", "q1", "3.5", "--note", HOSTILE_NOTE)
    assert code == 0 and "3.5/5 is fair for q1 of session s1" in stdout
    assert run("dispute", "s1", "q1.f1", "4")[0] == 0
    code, _, message = run("dispute", "s1", "q2", "4")
    assert code == 1 and "has no grade to dispute" in message

    code, stdout, _ = run("history", "--disputes")
    assert code == 0 and f"1.5 -> 3.5  {ATTENTION}  (s1 q1," in stdout
    assert HOSTILE_NOTE in stdout, "the note is printed as written, not read as markup"
    assert f"2.8 -> 4.0  {ATTENTION}  (s1 q1.f1," in stdout
    code, stdout, _ = run("history")
    assert "(q1.f1)" in stdout and "(q2)" in stdout, "the listing names the steps a dispute refers to"

    dataset = tmp_path / "out" / "disputes.csv"
    code, stdout, _ = run("history", "--disputes", "--csv", "--out", str(dataset))
    assert code == 0 and f"2 disputed grades written to {dataset}" in stdout
    cases = {case.answer: case for case in load_grading_dataset(dataset)}
    main, follow = cases[MAIN_ANSWER], cases[FOLLOW_ANSWER]
    question = pack.question(ATTENTION)
    assert main.human_score == 3.5 and main.question.question == question.question
    statements = [point.statement.replace(";", ",") for point in question.key_points]
    assert [point.statement for point in main.question.key_points] == statements
    assert main.row["note"] == HOSTILE_NOTE and main.row["interviewer_score"] == "1.5"
    assert main.row["question_id"] == ATTENTION and main.row["pack"] == "starter"
    assert follow.human_score == 4.0 and follow.question.question == question.key_point("scaling-reason").probe

    code, stdout, _ = run("history", "--disputes", "--csv")
    assert code == 0 and stdout.replace("\r\n", "\n") == dataset.read_text(encoding="utf-8").replace("\r\n", "\n")
    code, stdout, _ = run("history", "--disputes", "--json")
    listed: list[dict[str, Any]] = json.loads(stdout)
    assert [(item["turn"], item["dispute_score"]) for item in listed] == [("q1.f1", 4.0), ("q1", 3.5)]


def test_an_uninstalled_pack_is_skipped_on_stderr(tmp_path: Path, pack: Pack) -> None:
    history = History(history_path())
    play_session(history, pack)  # the starter pack is a test fixture, not installed here
    history.record_dispute("s1", "q1", 3.5)
    history.close()
    code, stdout, stderr = run("history", "--disputes", "--csv")
    assert code == 0 and stdout.strip() == "question,reference_answer,student_answer,score,key_points," \
        "interviewer_score,note,question_id,pack"
    assert "Skipped a dispute: s1 q1" in stderr and "the pack 'starter' is not installed" in stderr


@pytest.mark.parametrize(
    "args",
    [("history", "--csv"), ("history", "--disputes", "--csv", "--json"), ("history", "--disputes", "--out", "x")],
)
def test_export_options_out_of_place_are_refused(args: tuple[str, ...]) -> None:
    assert run(*args)[0] == 1


def test_a_disputed_wrong_verdict_proposes_verifier_pairs() -> None:
    from interviewer.records.disputes import verifier_pairs

    grade = {"key_points": [
        {"key_point_id": "frozen", "statement": "LoRA freezes the base weights.", "status": "contradicted",
         "evidence_quote": "LoRA does not touch the pretrained weights at all."},
        {"key_point_id": "rank", "statement": "The update is low-rank.", "status": "covered",
         "evidence_quote": "It learns a rank-8 update."}],
        "misconceptions": [{"claim": "LoRA updates all weights.", "why": "...",
                            "quote": "Unlike full fine-tuning, it never updates all weights."}]}
    dispute = DisputeRecord(session_id="s1", turn="q1", pack="genai-core", question_id="lora", overall=1.5,
                            dispute_score=4.5, grade=grade)
    pairs = verifier_pairs([dispute, dispute.model_copy(update={"dispute_score": 2.0}),
                            dispute.model_copy(update={"grade": None})])
    assert [(p["statement"], p["label"]) for p in pairs] == [
        ("LoRA freezes the base weights.", "support"), ("LoRA updates all weights.", "contradict")]
    assert pairs[0]["sentence"] == "LoRA does not touch the pretrained weights at all."
    assert all(p["group"] == "dispute/genai-core/lora" and p["how"] == "disputed" for p in pairs)
