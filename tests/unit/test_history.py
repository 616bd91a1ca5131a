from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.records.history import History, HistoryError, sm2_next

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_sm2_intervals_grow_with_good_grades_and_reset_on_weak_ones() -> None:
    state = sm2_next(None, 5, "p", "q", T0)
    assert (state.repetitions, state.interval_days) == (1, 1.0)
    state = sm2_next(state, 4, "p", "q", T0)
    assert (state.repetitions, state.interval_days) == (2, 6.0)
    state = sm2_next(state, 5, "p", "q", T0)
    # the interval grows by the easiness earned so far (2.6 after a 5 and a 4), before this grade raises it
    assert (state.repetitions, state.interval_days, state.easiness) == (3, 15.6, 2.7)
    weak = sm2_next(state, 1.4, "p", "q", T0)
    assert (weak.repetitions, weak.interval_days) == (0, 1.0)
    assert weak.easiness < state.easiness and weak.easiness >= 1.3
    assert weak.due_at == T0 + timedelta(days=1)


def test_answers_are_kept_before_and_after_grading(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    session = history.start_session("genai-core", "practice", {"topics": ["rag"], "questions": 3}, when=T0)
    attempt = history.record_answer(session, "genai-core", "rag-what-and-why", "rag", "What is RAG?", "It retrieves.")
    (saved,) = history.attempts(session)
    assert saved.answer == "It retrieves." and saved.grade is None and saved.overall is None
    history.record_grade(attempt, '{"overall": 2.5}', 2.5, "SmolLM2", "grading@3")
    (graded,) = history.attempts(session)
    assert graded.grade == {"overall": 2.5} and graded.prompt_version == "grading@3"
    assert history.unfinished_session_ids() == [session]
    history.finish_session(session)
    assert history.unfinished_session_ids() == []
    history.close()
    reopened = History(tmp_path / "history.db")
    (listed,) = reopened.sessions()
    assert listed.plan == {"questions": 3, "topics": ["rag"]} and len(listed.attempts) == 1
    assert reopened.asked_question_ids("genai-core") == {"rag-what-and-why"}
    assert reopened.topic_scores("genai-core") == {"rag": [2.5]}


def test_weak_questions_come_back_first(tmp_path: Path) -> None:
    history = History(tmp_path / "history.db")
    history.schedule_review("p", "strong", 5, when=T0)
    history.schedule_review("p", "weak", 1, when=T0)
    history.schedule_review("p", "strong", 5, when=T0 + timedelta(days=1))  # now due in 6 days
    assert [s.question_id for s in history.due_reviews("p", when=T0 + timedelta(days=2))] == ["weak"]
    assert [s.question_id for s in history.due_reviews("p", when=T0 + timedelta(days=8))] == ["weak", "strong"]
    assert history.due_reviews("other-pack", when=T0 + timedelta(days=30)) == []


def test_a_corrupt_history_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"definitely not sqlite" * 50)
    with pytest.raises(HistoryError, match="Move it aside"):
        History(path)
    assert path.read_bytes().startswith(b"definitely"), "nothing is deleted"


def test_the_same_turn_saved_twice_is_one_attempt(tmp_path):
    history = History(tmp_path / "h.sqlite")
    session = history.start_session("p", "practice", {})
    first = history.record_answer(session, "p", "q1", "rag", "Q?", "answer", turn="q1")
    again = history.record_answer(session, "p", "q1", "rag", "Q?", "answer", turn="q1")
    other = history.record_answer(session, "p", "q1", "rag", "Follow?", "more", turn="q1.f1", kind="follow-up")
    assert first == again != other
    assert len(history.attempts(session)) == 2


def test_a_review_event_applied_twice_moves_the_schedule_once(tmp_path):
    history = History(tmp_path / "h.sqlite")
    once = history.schedule_review("p", "q1", 5, when=T0, event="s1/q1")
    twice = history.schedule_review("p", "q1", 5, when=T0, event="s1/q1")
    assert once == twice and once.repetitions == 1
    assert history.schedule_review("p", "q1", 5, when=T0, event="s2/q1").repetitions == 2


def test_a_version_1_database_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, pack TEXT NOT NULL,"
        " mode TEXT NOT NULL, plan TEXT NOT NULL);"
        "CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, pack TEXT NOT NULL,"
        " question_id TEXT NOT NULL, topic TEXT NOT NULL, kind TEXT NOT NULL, key_point_id TEXT, prompt TEXT NOT NULL,"
        " answer TEXT NOT NULL, answered_at TEXT NOT NULL, hints INTEGER NOT NULL DEFAULT 0,"
        " late INTEGER NOT NULL DEFAULT 0, overall REAL, grade TEXT, model_id TEXT, prompt_version TEXT);"
        "CREATE TABLE reviews (pack TEXT NOT NULL, question_id TEXT NOT NULL, repetitions INTEGER NOT NULL,"
        " interval_days REAL NOT NULL, easiness REAL NOT NULL, due_at TEXT NOT NULL, last_score REAL NOT NULL,"
        " PRIMARY KEY (pack, question_id));"
        "INSERT INTO sessions VALUES ('old', '2026-01-01T00:00:00+00:00', NULL, 'p', 'practice', '{}');"
        "INSERT INTO attempts (session_id, pack, question_id, topic, kind, prompt, answer, answered_at) VALUES"
        " ('old', 'p', 'q1', 'rag', 'question', 'Q?', 'kept answer', '2026-01-01T00:00:00+00:00');"
        "PRAGMA user_version=1;"
    )
    db.close()
    history = History(path)
    assert history.attempts("old")[0].answer == "kept answer"
    assert history.sessions()[0].transcript is None
    history.record_answer("old", "p", "q2", "rag", "Q2?", "new", turn="q2")
    history.schedule_review("p", "q1", 2, when=T0, event="old/q1")
    assert len(history.attempts("old")) == 2


def test_missed_key_points_count_each_question_once_by_its_final_grade(tmp_path):
    import json

    history = History(tmp_path / "h.sqlite")
    session = history.start_session("p", "practice", {})

    def grade(statuses: dict[str, str]) -> str:
        return json.dumps({"key_points": [{"statement": s, "status": v} for s, v in statuses.items()]})

    first = history.record_answer(session, "p", "q1", "rag", "Q?", "a", turn="q1")
    history.record_grade(first, grade({"A": "missing", "B": "missing"}), 1.0, None, "v")
    follow = history.record_answer(session, "p", "q1", "rag", "F?", "b", turn="q1.f1", kind="follow-up")
    history.record_grade(follow, grade({"A": "covered", "B": "partly"}), 3.0, None, "v")
    assert history.missed_key_points("p", "rag") == [("B", 1)]
    assert history.missed_key_points("p", "chunking") == []
