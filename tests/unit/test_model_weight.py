"""A model's verdicts count as much as they were measured to be worth: weight 0 means the model is not asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.evaluation.datasets import GradingCase
from interviewer.evaluation.model_weight import measure_model_weight
from interviewer.grading import Calibration, Grader
from interviewer.grading.model_weight import (
    UNMEASURED_WEIGHT,
    ModelWeight,
    best_weight,
    lookup_weight,
    model_key,
    weights_files,
    write_weight,
)
from interviewer.packs import load_pack
from tests.conftest import FIXTURES
from tests.fakes import BagOfWordsEmbedder, FakeLLM
from tests.unit.test_grading import GOOD, PARTIAL


@pytest.fixture(scope="module")
def question():  # type: ignore[no-untyped-def]
    return load_pack(FIXTURES / "packs" / "starter.yaml").pack.question("rag-what-and-why")


class FileModel(FakeLLM):
    """A fake model that lives in a GGUF-named file, as LlamaCppLLM does."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    @property
    def resolved_path(self) -> Path:
        return self.path

    @property
    def model_id(self) -> str:  # type: ignore[override]
        return self.resolved_path.name


def test_weight_zero_means_the_model_is_never_called(question) -> None:  # type: ignore[no-untyped-def]
    llm = FakeLLM()
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), model_weight=0.0)
    grade = grader.grade(question, PARTIAL)
    grader.prepare(question)
    assert llm.history == []
    assert grade.evidence_only and grade.model_weight is None and "weight 0" in (grade.model_note or "")
    evidence = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration()).grade(question, PARTIAL)
    assert grade.overall == evidence.overall


def test_the_weight_is_looked_up_by_file_name_and_size(tmp_path: Path, question) -> None:  # type: ignore[no-untyped-def]
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 96)
    llm = FileModel(gguf)
    assert model_key(llm) == "tiny.gguf:100"
    assert lookup_weight(llm, weights_files(tmp_path)) == (UNMEASURED_WEIGHT, None)
    write_weight(tmp_path / "model_weights.json", ModelWeight(key="tiny.gguf:100", weight=0.0, rows=5))
    assert lookup_weight(llm, weights_files(tmp_path))[0] == 0.0
    grade = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), data_dir=tmp_path).grade(
        question, PARTIAL)
    assert llm.history == [] and grade.evidence_only
    gguf.write_bytes(b"GGUF" + b"\0" * 200)  # another file of the same name is another model: not measured
    assert lookup_weight(llm, weights_files(tmp_path))[0] == UNMEASURED_WEIGHT
    write_weight(tmp_path / "model_weights.json", ModelWeight(key="other.gguf:1", weight=0.4))
    assert set(__import__("json").loads((tmp_path / "model_weights.json").read_text())) == {"tiny.gguf:100",
                                                                                           "other.gguf:1"}


def test_the_weight_sets_how_far_a_verdict_moves_coverage(question) -> None:  # type: ignore[no-untyped-def]
    def covered_after(weight: float) -> float:
        llm = FakeLLM().enqueue({"key_points": [{"point": "k1", "quote": PARTIAL[:50], "verdict": "missing"}],
                                 "advice": ""})
        grader = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), unsure_band=(-1.0, 2.0),
                        max_model_verdicts=6, model_weight=weight)
        return grader.grade(question, PARTIAL).key_points[0].coverage

    before = Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration()).grade(
        question, PARTIAL).key_points[0].coverage
    assert covered_after(0.1) == pytest.approx(before * 0.9, abs=1e-3)
    assert covered_after(0.5) == pytest.approx(before * 0.5, abs=1e-3)


def test_a_model_that_earned_it_checks_covered_points_for_reversal(question) -> None:  # type: ignore[no-untyped-def]
    quote = GOOD.split(". ")[0][:55]
    reply = {"key_points": [{"point": "k1", "quote": quote, "verdict": "contradicted"}], "advice": ""}

    def graded(weight: float):  # type: ignore[no-untyped-def]
        llm = FakeLLM().enqueue(reply)
        return Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), model_weight=weight).grade(
            question, GOOD), llm

    strong, llm = graded(0.4)
    assert "k1" in llm.history[0][1]["content"].split("Give verdicts only for these key points:")[1]
    point = strong.key_points[0]
    assert point.status == "contradicted" and point.coverage == 0 and point.evidence_quote == quote
    weak, llm = graded(0.2)  # below the covered-check weight: the covered point is not even asked about
    assert "k1" not in llm.history[0][1]["content"].split("Give verdicts only for these key points:")[1]
    assert weak.key_points[0].status == "covered" and weak.overall > strong.overall


def test_best_weight_needs_a_real_gain_over_evidence_alone() -> None:
    figures = {0.0: {"pearson": 0.80}, 0.1: {"pearson": 0.802}, 0.2: {"pearson": 0.79}}
    assert best_weight(figures) == 0.0
    figures[0.3] = {"pearson": 0.84}
    assert best_weight(figures) == 0.3


class OracleLLM(FakeLLM):
    """Says 'covered' about every asked point of a good answer and 'missing' otherwise, quoting the answer."""

    def __init__(self, good: set[str], noise: bool = False) -> None:
        super().__init__()
        self.good, self.noise = good, noise

    def complete_structured(self, messages, output, *, max_tokens=400):  # type: ignore[no-untyped-def]
        import json
        import re

        content = messages[1]["content"]
        answer = content.split("<candidate_answer>")[1].split("</candidate_answer>")[0].strip()
        labels = re.findall(r"k\d+", content.split("Give verdicts only for these key points:")[1])
        good = (answer in self.good) != self.noise
        verdicts = [{"point": label, "quote": answer[:40], "verdict": "covered" if good else "missing"}
                    for label in labels]
        self.script.append(json.dumps({"key_points": verdicts, "advice": ""} if labels else {"advice": ""}))
        return super().complete_structured(messages, output, max_tokens=max_tokens)


def _cases(question) -> list[GradingCase]:  # type: ignore[no-untyped-def]
    sentences = GOOD.split(". ")
    rows = [(GOOD, 5.0), (PARTIAL, 2.0), (sentences[0] + ". " + sentences[1] + ".", 4.0),
            ("RAG fetches passages at query time, I think, from somewhere.", 1.0),
            ("Answers can cite the retrieved sources.", 1.0), (sentences[1] + ". " + sentences[3], 4.5)]
    return [GradingCase({}, question, answer, score) for answer, score in rows]


def test_measuring_a_model_grades_once_with_it_and_replays_every_weight(question) -> None:  # type: ignore[no-untyped-def]
    cases = _cases(question)
    good = {case.answer for case in cases if case.human_score >= 4}
    oracle = OracleLLM(good)
    report = measure_model_weight(BagOfWordsEmbedder(), oracle, cases)
    assert len(oracle.history) == report.model_rows == len(cases)  # one model call a row, whatever the grid
    assert sorted(report.figures) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    evidence = [Grader(embedder=BagOfWordsEmbedder(), llm=None).grade(c.question, c.answer).overall for c in cases]
    from interviewer.evaluation.metrics import agreement_metrics

    assert report.figures[0.0] == agreement_metrics([c.human_score for c in cases], evidence)
    assert report.best > 0 and report.figures[report.best]["pearson"] > report.figures[0.0]["pearson"]
    entry = report.entry("six rows")
    assert entry.key == "fake-llm" and entry.weight == report.best and set(entry.figures) == {
        "0.0", "0.1", "0.2", "0.3", "0.4", "0.5"}
    contrarian = measure_model_weight(BagOfWordsEmbedder(), OracleLLM(good, noise=True), cases)
    assert contrarian.best == 0.0


def test_a_model_is_weighed_against_the_grader_that_ships_with_its_verifier(question) -> None:  # type: ignore[no-untyped-def]
    """With a verifier, the evidence-only figures are those of the verifier's grades, not the rules'."""
    from interviewer.evaluation.metrics import agreement_metrics
    from tests.fakes import FakeVerifier

    cases = _cases(question)
    verifier = FakeVerifier()
    report = measure_model_weight(BagOfWordsEmbedder(), OracleLLM(set()), cases, verifier=verifier)
    with_verifier = [Grader(embedder=BagOfWordsEmbedder(), llm=None, verifier=verifier).grade(c.question, c.answer)
                     for c in cases]
    assert all(grade.verifier_id for grade in with_verifier)
    assert report.figures[0.0] == agreement_metrics([c.human_score for c in cases],
                                                    [grade.overall for grade in with_verifier])
