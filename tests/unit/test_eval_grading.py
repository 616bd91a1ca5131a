from __future__ import annotations

import csv
from pathlib import Path

import pytest

from interviewer.errors import DatasetError
from interviewer.evaluation.calibration_fit import fit_calibration, fit_calibrations, fit_reference_calibration
from interviewer.evaluation.datasets import (
    SkippedRow,
    load_grading_dataset,
    question_folds,
    sample,
    write_predictions,
)
from interviewer.evaluation.grading import evaluate_grades, grade_cases, holdout_by_question
from interviewer.evaluation.metrics import agreement_metrics, quadratic_weighted_kappa
from interviewer.grading import Calibration, Grader
from interviewer.grading.reference_match import FEATURES, ReferenceCalibration
from interviewer.packs import REFERENCE_ONLY_TAG
from tests.fakes import BagOfWordsEmbedder

REFERENCE = (
    "Top-p sampling keeps the smallest set of tokens whose cumulative probability reaches p. "
    "It then samples from that set only. The candidate pool grows and shrinks with the model's confidence."
)


def write_dataset(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    answers = [
        (REFERENCE, "5"),
        ("It keeps the smallest set of tokens whose cumulative probability reaches p and samples from it.", "4"),
        ("It samples from the most likely tokens.", "2"),
        ("It is a way to make the model bigger.", "1"),
        ("I don't know", "0"),
        ("", "0"),
    ] * 3
    rows = [
        {"question": "What is top-p sampling?", "reference_answer": REFERENCE, "student_answer": a, "score": s}
        for a, s in answers
    ]
    return write_dataset(tmp_path / "set.csv", rows)


def test_key_points_are_derived_from_the_reference_when_absent(dataset: Path) -> None:
    cases = load_grading_dataset(dataset)
    assert len(cases) == 18
    statements = [p.statement for p in cases[0].question.key_points]
    assert statements == [
        "Top-p sampling keeps the smallest set of tokens whose cumulative probability reaches p.",
        "It then samples from that set only.",
        "The candidate pool grows and shrinks with the model's confidence.",
    ]


def test_given_key_points_are_used(tmp_path: Path) -> None:
    path = write_dataset(
        tmp_path / "k.csv",
        [
            {
                "question": "What is top-p?",
                "reference_answer": REFERENCE,
                "student_answer": "x",
                "score": "3",
                "key_points": "keeps the nucleus;samples from the set",
            }
        ],
    )
    assert [p.statement for p in load_grading_dataset(path)[0].question.key_points] == [
        "keeps the nucleus",
        "samples from the set",
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"question": "Q", "reference_answer": "R", "score": "3"}], "lacks the column(s) student_answer"),
        ([{"question": "Q", "reference_answer": "R r r", "student_answer": "a", "score": "high"}], ":2: score 'high'"),
        ([{"question": "Q", "reference_answer": "R r r", "student_answer": "a", "score": "7"}], "outside 0-5"),
    ],
)
def test_bad_datasets_are_reported_with_the_line(tmp_path: Path, rows: list[dict[str, str]], message: str) -> None:
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_grading_dataset(write_dataset(tmp_path / "bad.csv", rows))


def test_metrics_on_known_values() -> None:
    perfect = agreement_metrics([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5])
    assert perfect["pearson"] == pytest.approx(1) and perfect["qwk"] == pytest.approx(1)
    assert perfect["rmse"] == 0 and perfect["mae"] == 0
    shifted = agreement_metrics([0, 1, 2, 3], [1, 2, 3, 4])
    assert shifted["pearson"] == pytest.approx(1) and shifted["mae"] == 1 and shifted["rmse"] == 1
    assert quadratic_weighted_kappa([0, 5, 0, 5], [5, 0, 5, 0]) < 0


def test_sampling_is_reproducible(dataset: Path) -> None:
    cases = load_grading_dataset(dataset)
    first = [c.answer for c in sample(cases, 5, seed=3)]
    assert first == [c.answer for c in sample(cases, 5, seed=3)]
    assert len(sample(cases, 100, seed=3)) == len(cases)


def test_grading_a_dataset_batches_embeddings_and_writes_predictions(dataset: Path, tmp_path: Path) -> None:
    cases = load_grading_dataset(dataset)
    embedder = BagOfWordsEmbedder()
    grader = Grader(embedder=embedder, llm=None, calibration=Calibration(version="test"))
    grades = grade_cases(grader, cases, use_model=False)
    assert len(embedder.calls) == 1, "every text is embedded in one batch up front"
    report = evaluate_grades(cases, grades, seconds=1.0)
    assert report.rows == 18 and report.metrics["pearson"] > 0.8
    assert report.guards == {"dont-know": 3, "empty": 3}
    out = tmp_path / "pred.csv"
    write_predictions(out, cases, grades)
    written = list(csv.DictReader(out.open()))
    assert len(written) == 18 and written[4]["guard"] == "dont-know" and written[4]["predicted_score"] == "0.0"
    assert written[0]["student_answer"] == REFERENCE


def test_grading_a_dataset_leaves_the_grader_as_it_was(dataset: Path) -> None:
    embedder = BagOfWordsEmbedder()
    grader = Grader(embedder=embedder, llm=None, calibration=Calibration(version="test"))
    grade_cases(grader, load_grading_dataset(dataset), use_model=False)
    assert grader.embedder is embedder, "the vectors encoded up front serve a copy of the grader"


def test_calibration_fit_reports_held_out_figures(dataset: Path) -> None:
    cases = load_grading_dataset(dataset)
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration(version="test"))
    grades = grade_cases(grader, cases, use_model=False)
    fitted = fit_calibration(grader, cases, grades, folds=3)
    assert fitted.version.startswith("fit-18rows")
    assert {"cv_pearson", "cv_rmse", "cv_qwk"} <= set(fitted.fit_figures)
    assert fitted.scale > 0
    refit = grade_cases(Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=fitted), cases, use_model=False)
    assert evaluate_grades(cases, refit, 1.0).metrics["rmse"] <= evaluate_grades(cases, grades, 1.0).metrics["rmse"]


def test_a_one_word_reference_and_a_short_question_are_graded(tmp_path: Path) -> None:
    path = write_dataset(
        tmp_path / "short.csv",
        [{"question": "Why?", "reference_answer": "push", "student_answer": "push", "score": "5"}],
    )
    (case,) = load_grading_dataset(path)
    assert case.question.reference_answer == "push" and case.question.key_points
    grade = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration(version="test")).grade(
        case.question, case.answer)
    assert grade.guard is None


def test_an_ungradeable_row_is_reported_with_its_line_and_skipped(tmp_path: Path) -> None:
    good = {"question": "What is top-p sampling?", "reference_answer": REFERENCE, "student_answer": "a", "score": "3"}
    path = write_dataset(tmp_path / "mixed.csv", [good, {**good, "score": "high"}, {**good, "question": " "}, good])
    skipped: list[SkippedRow] = []
    cases = load_grading_dataset(path, skipped)
    assert len(cases) == 2
    assert skipped == [SkippedRow(3, "score 'high' is not a number"),
                       SkippedRow(4, "question and reference_answer must not be empty")]


def test_a_dataset_with_no_gradeable_row_is_an_error_naming_the_lines(tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "none.csv", [{"question": "Q", "reference_answer": "R", "student_answer": "a",
                                                  "score": ""}])
    with pytest.raises(DatasetError, match=r"none.csv holds no gradable rows .*none.csv:2: score '' is not a number"):
        load_grading_dataset(path)


def test_a_row_spanning_lines_or_short_of_fields_is_reported_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('question,reference_answer,student_answer,score\n'
                    '"What is a stack?",push,"push,\nthen pop",5\n'
                    '"What is a stack?",push,"only three fields"\n'
                    '"What is a stack?",push,"x",high\n', encoding="utf-8")
    skipped: list[SkippedRow] = []
    cases = load_grading_dataset(path, skipped)
    assert [case.human_score for case in cases] == [5.0]
    assert skipped == [SkippedRow(4, "the row has fewer fields than the header (no score)"),
                       SkippedRow(5, "score 'high' is not a number")]


# --- held out by question ----------------------------------------------------------------------------------

# Four made-up questions; each has answers from the reference itself down to a wrong one, scored accordingly.
QUESTIONS = {
    "q1": ("What does a hash table do on a collision?",
           "Colliding keys are chained in a bucket list or probed to the next free slot."),
    "q2": ("Why use a queue for breadth-first search?",
           "The queue visits nodes in first-in first-out order, level by level from the start."),
    "q3": ("What does a compiler's parser produce?",
           "The parser turns the token stream into a syntax tree that follows the grammar."),
    "q4": ("What does a mutex guarantee?",
           "A mutex lets only one thread at a time enter the critical section it protects."),
}
ANSWER_MARKS = ("5", "4", "2", "1")


def graded_answers(reference: str) -> list[str]:
    words = reference.rstrip(".").split()
    return [reference, " ".join(words[: len(words) * 2 // 3]) + ".", " ".join(words[:3]) + " maybe.",
            "Something about the weather today."]


@pytest.fixture
def questions_dataset(tmp_path: Path) -> Path:
    rows = [
        {"question_id": qid, "question": question, "reference_answer": reference, "student_answer": answer,
         "score": mark}
        for qid, (question, reference) in QUESTIONS.items()
        for _ in range(2)
        for answer, mark in zip(graded_answers(reference), ANSWER_MARKS, strict=True)
    ]
    return write_dataset(tmp_path / "questions.csv", rows)


def test_question_folds_keep_each_question_in_one_fold() -> None:
    keys = ["a", "a", "b", "c", "c", "c", "d", "e", "e"]
    folds = question_folds(keys, 2, seed=1)
    for key in set(keys):
        assert len({fold for k, fold in zip(keys, folds, strict=True) if k == key}) == 1
    per_fold = [len({k for k, fold in zip(keys, folds, strict=True) if fold == f}) for f in (0, 1)]
    assert sorted(per_fold) == [2, 3], "questions are dealt round the folds"
    assert folds == question_folds(keys, 2, seed=1), "the split is reproducible"
    assert set(question_folds(keys, 99)) == set(range(5)), "no more folds than questions"


def test_holding_out_by_question_needs_two_questions() -> None:
    with pytest.raises(DatasetError, match="at least two questions"):
        question_folds(["a", "a"], 5)


def test_questions_without_key_points_are_reference_only(questions_dataset: Path, tmp_path: Path) -> None:
    assert all(REFERENCE_ONLY_TAG in case.question.tags for case in load_grading_dataset(questions_dataset))
    given = write_dataset(tmp_path / "k.csv", [{"question": "What is top-p?", "reference_answer": REFERENCE,
                                                "student_answer": "x", "score": "3", "key_points": "a b c;d e f"}])
    assert load_grading_dataset(given)[0].question.tags == []
    one = write_dataset(tmp_path / "one.csv", [{"question": "What is top-p?", "reference_answer": REFERENCE,
                                                "student_answer": "x", "score": "3", "key_points": "a b c"}])
    (case,) = load_grading_dataset(one)
    assert case.question.tags == [] and [p.statement for p in case.question.key_points] == ["a b c"]
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration(version="test"))
    assert grader.grade(case.question, "a b c", use_model=False).key_points[0].status == "covered"


def test_a_reference_only_question_is_scored_by_its_own_map(questions_dataset: Path) -> None:
    case = load_grading_dataset(questions_dataset)[0]
    reference_only = ReferenceCalibration(version="ref-test", intercept=1.0, weights={"similarity": 2.0})
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=None,
                    calibration=Calibration(version="kp-test", reference_only=reference_only))
    grade = grader.grade(case.question, case.answer, use_model=False)
    assert grade.overall == 3.0 and grade.calibration_version == "ref-test"
    assert "match with the whole reference answer" in grade.explanation
    authored = case.question.model_copy(update={"tags": []})
    assert grader.grade(authored, case.answer, use_model=False).calibration_version == "kp-test"


def test_reference_fit_is_non_negative_and_reports_held_out_by_question(questions_dataset: Path) -> None:
    cases = load_grading_dataset(questions_dataset)
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration(version="test"))
    grades = grade_cases(grader, cases, use_model=False)
    fitted = fit_reference_calibration(grader, cases, grades, folds=2, fitted_on="questions.csv")
    assert set(fitted.weights) == set(FEATURES) and all(w >= 0 for w in fitted.weights.values())
    assert fitted.fit_figures["by_question_pearson"] > 0.5
    both = fit_calibrations(grader, cases, grades)
    assert both.version == "test", "no authored rows: the key-point map is kept"
    assert both.reference_only is not None and both.reference_only.weights == fitted.weights


def test_holdout_by_question_grades_every_row_with_a_map_fitted_without_its_question(
    questions_dataset: Path,
) -> None:
    cases = load_grading_dataset(questions_dataset)
    shipped = Calibration(version="shipped")
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=shipped)
    grades = grade_cases(grader, cases, use_model=False)
    report, held = holdout_by_question(grader, cases, grades, folds=4)
    assert grader.calibration is shipped, "the grader's own calibration is restored"
    assert report.rows == len(held) == 32 and report.questions == 4 and report.folds == 4
    assert [fold["questions"] for fold in report.per_fold] == [1.0] * 4
    assert sum(fold["rows"] for fold in report.per_fold) == 32
    assert report.metrics["pearson"] > 0.5
    assert {grade.calibration_version for grade in held} == {"reference-fit-24rows-0"}
    payload = report.as_json()
    assert {"pearson", "rmse", "per_fold", "spread"} <= set(payload)


def test_a_row_naming_a_pack_question_is_graded_as_that_question(tmp_path: Path) -> None:
    from interviewer.evaluation.datasets import with_pack_questions
    from interviewer.packs import load_pack
    from tests.conftest import FIXTURES

    question = load_pack(FIXTURES / "packs" / "starter.yaml").pack.question("rag-what-and-why")
    path = write_dataset(tmp_path / "d.csv", [
        {"question_id": question.id, "question": question.question, "reference_answer": question.reference_answer,
         "student_answer": "RAG puts retrieved passages in the prompt.", "score": "2"},
        {"question_id": question.id, "question": "Another wording of the question?",
         "reference_answer": question.reference_answer, "student_answer": "Something.", "score": "1"},
    ])
    cases = with_pack_questions(load_grading_dataset(path), {question.id: question})
    assert cases[0].question is question  # key points, weights and misconceptions: the pack's, as in an interview
    assert REFERENCE_ONLY_TAG in cases[1].question.tags  # another question text is not that question


def test_kind_figures_count_strong_and_wrong_answers_per_question(tmp_path: Path) -> None:
    from interviewer.evaluation.metrics import kind_figures

    rows = [{"question_id": q, "kind": kind, "question": f"Q {q}?", "reference_answer": REFERENCE,
             "student_answer": "x y z", "score": "0"} for q in ("a", "b") for kind in ("strong", "wrong", "partial")]
    cases = load_grading_dataset(write_dataset(tmp_path / "k.csv", rows))
    figures = kind_figures(cases, [4.5, 1.0, 3.0, 2.0, 3.5, 2.0])
    assert figures is not None
    assert figures["strong_under_2_5"] == 1 and figures["wrong_at_least_3"] == 1
    assert figures["share_apart"] == 0.5 and figures["questions_with_both"] == 2
    assert figures["wrong_mean"] == pytest.approx(2.25)
    assert kind_figures(cases[:0], []) is None


def test_every_independent_evaluation_set_reads_whole_and_its_halves_share_no_question() -> None:
    """The development and sealed halves are what the grading figures are quoted from: a row that no longer
    parses would silently shrink a set, and a question in both halves would let tuning on one leak into the other."""
    from interviewer.packs import load_pack
    from interviewer.resources import knowledge_dir

    root = knowledge_dir() / "eval" / "independent"
    halves: dict[str, dict[str, set[str]]] = {}
    for path in sorted(root.glob("*/*.csv")):
        skipped: list[SkippedRow] = []
        cases = load_grading_dataset(path, skipped)
        assert cases and not skipped, f"{path.name}: {skipped}"
        with path.open(newline="", encoding="utf-8") as handle:
            ids = {row["question_id"] for row in csv.DictReader(handle)}
        halves.setdefault(path.name, {})[path.parent.name] = ids
    for path in sorted(root.glob("*/*-pack.yaml")):
        assert load_pack(path).pack.questions
    assert len(halves) >= 10
    for name, by_half in halves.items():
        assert not (by_half.get("dev", set()) & by_half.get("sealed", set())), name


def test_where_error_costs_tie_the_fit_keeps_the_mildest_verdict(dataset: Path) -> None:
    """A threshold that changes no score (here no answer has evidence to tell candidates apart) must not decide, by
    the order of a grid, that a learner is told more is wrong: among equally good error costs the fit keeps no
    penalty, no cap and the highest confidence thresholds."""
    import numpy as np

    from interviewer.evaluation.calibration_fit import _fit_error_costs, _FitData

    cases = load_grading_dataset(dataset)
    empty, none = np.zeros(0), np.zeros(0, dtype=int)
    data = _FitData([None] * len(cases), empty, empty, none, empty, empty, empty, none,
                    np.zeros(len(cases), dtype=bool), np.zeros(len(cases)), np.zeros(len(cases)))
    gold = np.array([case.human_score for case in cases])
    fitted, _rmse = _fit_error_costs(data, cases, gold, Calibration(version="test", error_cap=1.5))
    assert (fitted.contradiction_penalty, fitted.misconception_penalty) == (0.0, 0.0)
    assert fitted.cap_confidence > 1.0 and fitted.error_cap == 1.5
    assert fitted.contradict_at == fitted.misconception_at == 0.9
