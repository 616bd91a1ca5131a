"""Every "wrong" explained, everywhere: a contradicted key point and a stated misconception show the candidate's
sentence, what is true and how sure the grader is, in `grade`'s text, the TUI transcript and the md/html/json
reports; a grade stored before confidences were recorded still explains itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from interviewer.grading.wording import error_explanations
from interviewer.plain import format_grade
from interviewer.records.history import History
from interviewer.records.report import build_report, render_html, render_json, render_markdown
from interviewer.records.sessions import SessionRecord
from tests.grade_dicts import ATTENTION, grade_attempt, make_grade, starter_pack

REVERSAL = "The scaling by sqrt(d_k) makes the softmax sharper on purpose."
STATED = "Attention is computed once per sentence, so it costs linear time."


def wrong_grade() -> dict[str, Any]:
    pack = starter_pack()
    grade = make_grade(pack, ATTENTION, {"scaling-reason": "contradicted"}, 1.2, misconceptions=[{
        "claim": "Attention costs linear time in the sequence length.",
        "why": "Every token attends to every other: the cost grows with the square of the length.",
        "quote": STATED, "similarity": 0.8, "confidence": 0.86,
    }])
    for point in grade["key_points"]:
        if point["status"] == "contradicted":
            point.update(evidence_quote=REVERSAL, contradiction="the verifier reads it as reversing the key point",
                         contradiction_confidence=0.91)
    return grade


def test_the_explanation_names_the_sentence_the_truth_and_the_sureness() -> None:
    grade = wrong_grade()
    statement = next(p["statement"] for p in grade["key_points"] if p["status"] == "contradicted")
    lines = error_explanations(grade)
    assert len(lines) == 2
    assert REVERSAL in lines[0] and statement in lines[0] and "91% sure" in lines[0]
    assert STATED in lines[1] and "square of the length" in lines[1] and "86% sure" in lines[1]


def test_a_grade_stored_without_confidences_still_explains_itself() -> None:
    grade = wrong_grade()
    for point in grade["key_points"]:
        point.pop("contradiction_confidence", None)
    for hit in grade["misconceptions"]:
        hit.pop("confidence", None)
    lines = error_explanations(grade)
    assert len(lines) == 2 and all("sureness not recorded" in line for line in lines)


def test_grade_text_shows_why_it_is_wrong() -> None:
    text = "\n".join(format_grade(wrong_grade()))
    assert "Wrong claims:" in text
    assert REVERSAL in text and STATED in text and "91% sure" in text


def test_the_tui_transcript_line_shows_why_it_is_wrong() -> None:
    from tui.widgets.grade_text import compact

    plain = compact(wrong_grade()).plain
    assert REVERSAL in plain and STATED in plain and "86% sure" in plain


@pytest.fixture
def report_session(tmp_path: Path) -> SessionRecord:
    pack = starter_pack()
    history = History(tmp_path / "history.sqlite")
    when = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    session_id = history.start_session("starter", "practice", {"questions": 1}, when=when)
    attempt = history.record_answer(session_id, "starter", ATTENTION, "transformers",
                                    pack.question(ATTENTION).question, f"{REVERSAL} {STATED}", when=when)
    grade_attempt(history, attempt, wrong_grade())
    history.finish_session(session_id, when=when)
    (stored,) = history.sessions()
    history.close()
    return stored


def test_reports_in_every_format_explain_the_wrong_claims(report_session: SessionRecord) -> None:
    report = build_report(report_session, starter_pack())
    markdown, page, data = render_markdown(report), render_html(report), render_json(report)
    for rendered in (markdown, page, data):
        assert "91% sure" in rendered and "86% sure" in rendered
    assert "Wrong claims" in markdown and 'class="errors"' in page
    assert "sqrt(d_k) makes the softmax sharper" in page
