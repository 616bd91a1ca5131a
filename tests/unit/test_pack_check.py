"""`packs check`: an author learns which questions of their pack grade their own known answers wrongly, and why."""

from __future__ import annotations

from interviewer.evaluation.pack_check import DONT_KNOW, check_pack
from interviewer.grading import Grader
from interviewer.packs import KeyPoint, load_pack
from tests.conftest import FIXTURES
from tests.fakes import BagOfWordsEmbedder

STARTER = load_pack(FIXTURES / "packs" / "starter.yaml").pack


def grader() -> Grader:
    return Grader(embedder=BagOfWordsEmbedder(), llm=None)


def test_every_question_gets_its_known_answers_graded() -> None:
    questions = STARTER.questions[:3]
    report = check_pack(grader(), STARTER.name, questions)
    expected = sum(3 + len(question.misconceptions) for question in questions)
    assert len(report.results) == expected and report.questions == 3
    by_kind = {result.kind for result in report.results}
    assert {"reference-answer", "question-echo", "dont-know"} <= by_kind
    dont_know = [result for result in report.results if result.kind == "dont-know"]
    assert all(result.answer == DONT_KNOW and result.score == 0 and result.passed for result in dont_know)


def test_a_key_point_the_reference_answer_never_makes_is_named_as_what_to_reword() -> None:
    question = STARTER.questions[0]
    stray = KeyPoint(id="stray-claim", statement="Quantum tunnelling lets electrons cross an energy barrier.",
                     weight=3.0, probe="What happens to an electron that meets a barrier it cannot climb?")
    broken = question.model_copy(update={"key_points": [*question.key_points, stray]})
    report = check_pack(grader(), STARTER.name, [broken])
    reference = next(result for result in report.results if result.kind == "reference-answer")
    assert not reference.passed and reference.score < 4.5
    assert "key point 'stray-claim'" in reference.fix and "reword" in reference.fix
    assert report.failing_questions() == [question.id]


def test_progress_is_reported_for_every_graded_answer() -> None:
    seen: list[tuple[int, int]] = []
    report = check_pack(grader(), STARTER.name, STARTER.questions[:2], on_progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(report.results), len(report.results)) and len(seen) == len(report.results)
