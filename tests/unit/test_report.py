from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.packs import Pack
from interviewer.records.history import History
from interviewer.records.report import SessionReport, build_report, render_html, render_json, render_markdown
from interviewer.records.sessions import SessionRecord
from tests.grade_dicts import ATTENTION, LLM, grade_attempt, make_grade, starter_pack

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return starter_pack()


@pytest.fixture
def session(tmp_path: Path, pack: Pack) -> SessionRecord:
    """An exam: the attention question answered (hostile text included), one follow-up, then an ungraded answer."""
    history = History(tmp_path / "history.sqlite")
    plan = {"topics": ["transformers", "llm-basics"], "questions": 2, "difficulty": 1, "mode": "exam",
            "max_follow_ups": 1, "time_limit_s": 120}
    session_id = history.start_session("starter", "exam", plan, when=T0)
    attention = pack.question(ATTENTION)
    first = history.record_answer(
        session_id, "starter", ATTENTION, "transformers", attention.question,
        "softmax(QK^T) V <script>alert('x')</script> and it is quadratic", hints=1, when=T0 + timedelta(minutes=1),
    )
    grade_attempt(history, first, make_grade(
        pack, ATTENTION, {"formula": "partly", "scaling-reason": "missing", "qkv-roles": "missing"}, 1.5,
        hints_used=1, hint_penalty=0.5,
    ))
    follow = history.record_answer(
        session_id, "starter", ATTENTION, "transformers", attention.key_point("scaling-reason").probe,
        "The logits grow with d_k so the softmax saturates.", kind="follow-up", key_point_id="scaling-reason",
        late=True, when=T0 + timedelta(minutes=3),
    )
    grade_attempt(history, follow, make_grade(
        pack, ATTENTION, {"formula": "partly", "qkv-roles": "missing"}, 2.8, hints_used=1, hint_penalty=0.5,
    ))
    history.record_answer(  # grading was unavailable for this one
        session_id, "starter", LLM, "llm-basics", pack.question(LLM).question, "It predicts the next token.",
        when=T0 + timedelta(minutes=5),
    )
    history.finish_session(session_id, when=T0 + timedelta(minutes=6))
    (stored,) = history.sessions()
    history.close()
    return stored


def test_report_holds_final_grades_means_and_what_to_study(session: SessionRecord, pack: Pack) -> None:
    report = build_report(session, pack)
    assert report.complete and report.mode == "exam" and report.pack_title == pack.title
    attention, llm = report.questions
    assert [attention.question_id, llm.question_id] == [ATTENTION, LLM]
    # the follow-up's grade is the question's final grade
    assert attention.score == 2.8 and attention.graded
    assert {p.key_point_id: p.status for p in attention.key_points}["scaling-reason"] == "covered"
    assert [f.key_point_id for f in attention.follow_ups] == ["scaling-reason"]
    assert attention.follow_ups[0].late and attention.late and attention.hints == 1 and attention.hint_penalty == 0.5
    assert attention.reference_answer == pack.question(ATTENTION).reference_answer
    assert attention.topic_title == "Transformer architecture"
    # an ungraded answer is kept, without an invented score
    assert llm.answer == "It predicts the next token." and not llm.graded and llm.score is None and not llm.criteria
    assert report.overall_mean == 2.8 and report.graded_questions == 1
    topics = {t.topic: t for t in report.topic_scores}
    assert topics["transformers"].mean == 2.8 and topics["llm-basics"].mean is None
    assert [c.criterion for c in report.criterion_means] == ["correctness", "completeness", "depth", "clarity"]
    assert all(c.mean == 3 for c in report.criterion_means)
    # formula (weight 3, partly) outranks qkv-roles (weight 2, missing): heaviest first
    weakest = [(w.key_point_id, w.status) for w in report.weakest_key_points]
    assert weakest == [("formula", "partly"), ("qkv-roles", "missing")]
    assert report.weakest_key_points[0].study == pack.question(ATTENTION).sections


def test_without_the_pack_the_study_list_falls_back_to_the_citations(session: SessionRecord) -> None:
    report = build_report(session)
    attention = report.questions[0]
    assert attention.reference_answer is None and attention.topic_title == "transformers"
    assert report.weakest_key_points[0].study == ["transformers.md#Attention"]


def test_markdown_names_each_question_with_score_and_missing_key_points(session: SessionRecord, pack: Pack) -> None:
    text = render_markdown(build_report(session, pack))
    assert ATTENTION in text and LLM in text
    assert pack.question(ATTENTION).question in text
    assert "**Score: 2.8/5**" in text and "Overall: **2.8/5**" in text
    assert "**missing**: " + pack.question(ATTENTION).key_point("qkv-roles").statement in text
    assert "**Score: not graded**" in text
    assert "Follow-up 1 (on scaling-reason)" in text and "The logits grow with d_k" in text
    assert "What to study next" in text and "transformers.md#Scaled dot-product attention" in text
    assert "&lt;script>" in text and "<script>" not in text  # a previewer must not run an answer


def test_html_is_one_file_and_escapes_hostile_text(session: SessionRecord, pack: Pack) -> None:
    page = render_html(build_report(session, pack))
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "Score: 2.8/5" in page and "Score: not graded" in page


def test_json_round_trips_into_the_report(session: SessionRecord, pack: Pack) -> None:
    report = build_report(session, pack)
    again = SessionReport.model_validate_json(render_json(report))
    assert again == report
    assert json.loads(render_json(report))["questions"][1]["score"] is None


def test_an_unfinished_session_with_nothing_graded_says_so(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    session_id = history.start_session("starter", "practice", {"questions": 3}, when=T0)
    history.record_answer(session_id, "starter", LLM, "llm-basics", "What is an LLM?", "", when=T0)
    (stored,) = history.sessions()
    report = build_report(stored, pack)
    assert not report.complete and report.overall_mean is None and report.weakest_key_points == []
    text = render_markdown(report)
    assert "incomplete" in text and "Overall: **not graded** (0 of 1 questions graded)" in text
    assert "not graded" in render_html(report)


def test_a_zero_scored_answer_reports_its_guard(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    session_id = history.start_session("starter", "practice", {}, when=T0)
    attempt = history.record_answer(session_id, "starter", LLM, "llm-basics", "What is an LLM?", "skip", when=T0)
    statuses = {point.id: "missing" for point in pack.question(LLM).key_points}
    grade_attempt(history, attempt, make_grade(pack, LLM, statuses, 0.0, guard="skipped"))
    (stored,) = history.sessions()
    report = build_report(stored, pack)
    assert report.questions[0].score == 0.0 and report.overall_mean == 0.0
    assert "scored 0: skipped" in render_markdown(report)
    # every point missed; at equal weight the order asked decides
    assert [w.key_point_id for w in report.weakest_key_points] == [
        "next-token-objective", "autoregressive-loop", "base-vs-chat", "scale"
    ]


def test_a_question_without_authored_key_points_is_reported_as_graded_against_its_reference(
    tmp_path: Path, pack: Pack
) -> None:
    history = History(tmp_path / "history.sqlite")
    session_id = history.start_session("starter", "practice", {}, when=T0)
    attempt = history.record_answer(session_id, "starter", LLM, "llm-basics", "What is an LLM?", "An answer.",
                                    when=T0)
    grade_attempt(history, attempt, make_grade(pack, LLM, {}, 4.0, reference_only=True))
    (stored,) = history.sessions()
    report = build_report(stored, pack)
    heading = "The reference answer, sentence by sentence (this question has no authored key points)"
    assert f"{heading}:" in render_markdown(report)
    assert heading in render_html(report)
