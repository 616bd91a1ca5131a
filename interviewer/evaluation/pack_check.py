"""`interviewer packs check`: a pack's self-test, run by its author before practising on it.

Each question is graded, from evidence only, on answers whose grade the author already knows: its own reference
answer (should reach REFERENCE_FLOOR), the question read back and "I don't know" (should score 0), and each of
its misconceptions stated as an answer (at most MISCONCEPTION_CEILING). A failure names what to change: the key
points the reference answer does not evidence, or the misconception the grader did not recognise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from interviewer.packs import Question

if TYPE_CHECKING:
    from interviewer.config import Settings
    from interviewer.grading import Grade, Grader

REFERENCE_FLOOR = 4.5
MISCONCEPTION_CEILING = 1.5
DONT_KNOW = "I don't know."

CheckKind = Literal["reference-answer", "question-echo", "dont-know", "misconception"]


class CheckResult(BaseModel):
    """One known answer to one question, graded, against what its grade should be."""

    question_id: str
    kind: CheckKind
    answer: str = Field(description="The answer graded.")
    score: float
    expected: str = Field(description="What the score should be, e.g. '>= 4.5'.")
    passed: bool
    fix: str = Field(default="", description="What the author could change, when it failed.")


class PackCheckReport(BaseModel):
    pack: str
    questions: int
    results: list[CheckResult]

    @property
    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if not result.passed]

    def failing_questions(self) -> list[str]:
        return sorted({result.question_id for result in self.failures})


def _cases(question: Question) -> list[tuple[CheckKind, str]]:
    cases: list[tuple[CheckKind, str]] = [("reference-answer", question.reference_answer),
                                          ("question-echo", question.question), ("dont-know", DONT_KNOW)]
    cases += [("misconception", misconception.claim) for misconception in question.misconceptions]
    return cases


def _judge(question: Question, kind: CheckKind, answer: str, grade: Grade) -> CheckResult:
    score = grade.overall
    if kind == "reference-answer":
        passed, expected = score >= REFERENCE_FLOOR, f">= {REFERENCE_FLOOR:g}"
        unmet = [v for v in grade.key_points if v.status != "covered"]
        if question.reference_only:
            fix = "; ".join(f"the reference's sentence '{v.statement}' is {v.status}: split or reword it"
                            for v in unmet)
        else:
            fix = "; ".join(f"key point '{v.key_point_id}' is {v.status} in the reference answer: reword it in "
                            "the reference's terms, or add it to the reference answer" for v in unmet)
        if grade.misconceptions:
            fix += ("; " if fix else "") + "the reference answer reads as stating a misconception: " \
                + "; ".join(f"'{hit.claim}'" for hit in grade.misconceptions)
    elif kind == "misconception":
        passed, expected = score <= MISCONCEPTION_CEILING, f"<= {MISCONCEPTION_CEILING:g}"
        credited = [v.key_point_id for v in grade.key_points if v.status in ("covered", "partly")]
        fix = ("the grader did not recognise this misconception as wrong"
               + (f"; it credits key point(s) {', '.join(credited)}: make them say what the claim gets wrong"
                  if credited else "; state it closer to how candidates say it"))
    else:
        passed, expected = score == 0, "0"
        fix = "the answer was not refused as a non-answer; make the key points say more than the question does"
    return CheckResult(question_id=question.id, kind=kind, answer=answer, score=score, expected=expected,
                       passed=passed, fix="" if passed else fix or "the score is outside what it should be")


def check_grader(settings: Settings) -> Grader:
    """The grader a pack check uses: evidence only, without the model or citations, since the check is about
    scores. The first call loads the embedding model and the verifier (a few seconds)."""
    from dataclasses import replace

    from interviewer.wiring import build_grader

    grader: Grader = replace(build_grader(settings, None, use_model=False), retriever=None)
    return grader


def check_pack(grader: Grader, pack_name: str, questions: Sequence[Question],
               on_progress: Callable[[int, int], None] | None = None) -> PackCheckReport:
    """Grade every question's known answers (evidence only, so the check is fast and repeatable)."""
    work = [(question, kind, answer) for question in questions for kind, answer in _cases(question)]
    results = []
    for done, (question, kind, answer) in enumerate(work, start=1):
        grade = grader.grade(question, answer, use_model=False)
        results.append(_judge(question, kind, answer, grade))
        if on_progress is not None:
            on_progress(done, len(work))
    return PackCheckReport(pack=pack_name, questions=len(questions), results=results)
