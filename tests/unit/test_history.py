from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.history import History, HistoryError, sm2_next

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
    assert saved["answer"] == "It retrieves." and saved["grade"] is None and saved["overall"] is None
    history.record_grade(attempt, '{"overall": 2.5}', 2.5, "SmolLM2", "grading@3")
    (graded,) = history.attempts(session)
    assert graded["grade"] == {"overall": 2.5} and graded["prompt_version"] == "grading@3"
    assert history.unfinished_session_ids() == [session]
    history.finish_session(session)
    assert history.unfinished_session_ids() == []
    history.close()
    reopened = History(tmp_path / "history.db")
    (listed,) = reopened.sessions()
    assert listed["plan"] == {"questions": 3, "topics": ["rag"]} and len(listed["attempts"]) == 1
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
