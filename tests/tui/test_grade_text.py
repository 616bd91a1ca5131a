"""The grade as the screens show it: statuses, reversed points, misconceptions, and text kept literal."""

from __future__ import annotations

from tests.grade_dicts import ATTENTION, make_grade, starter_pack
from tui.widgets.grade_text import compact, highlighted_answer, key_point_lines, misconception_lines


def grade_with_errors() -> dict:  # type: ignore[type-arg]
    pack = starter_pack()
    first = pack.question(ATTENTION).key_points[0]
    grade = make_grade(pack, ATTENTION, {first.id: "contradicted"}, 1.2)
    grade["key_points"][0]["evidence_quote"] = "the dot products do not grow"
    grade["key_points"][0]["contradiction"] = "the key point says they grow with d_k"
    grade["misconceptions"] = [{"claim": "Scaling only saves compute.", "why": "It keeps the softmax unsaturated.",
                                "quote": "scaling is only there to save compute [/b]", "similarity": 0.8}]
    return grade


def test_a_contradicted_point_and_a_misconception_are_shown_with_why() -> None:
    grade = grade_with_errors()
    lines = key_point_lines(grade["key_points"]).plain
    assert "⚠ contradicted" in lines and "reversed: the key point says they grow with d_k" in lines
    wrong = misconception_lines(grade)
    assert wrong is not None
    assert "scaling is only there to save compute [/b]" in wrong.plain
    assert "why: It keeps the softmax unsaturated." in wrong.plain
    transcript = compact(grade).plain  # the transcript explains a wrong claim as the feedback screen does
    assert 'the wrong claim "Scaling only saves compute."' in transcript
    assert "scaling is only there to save compute [/b]" in transcript
    assert "It keeps the softmax unsaturated." in transcript


def test_quotes_are_highlighted_in_the_answer_by_what_they_show() -> None:
    grade = grade_with_errors()
    answer = "In short, the dot products do not grow. The scaling is only there to save compute [/b]."
    shown = highlighted_answer([answer], grade["key_points"], grade["misconceptions"])
    assert shown.plain == answer
    styles = {shown.plain[span.start:span.end]: str(span.style) for span in shown.spans}
    assert styles["the dot products do not grow"] == "white on magenta"
    assert styles["scaling is only there to save compute [/b]"] == "white on red"
