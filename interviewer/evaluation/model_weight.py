"""Measuring what a model's verdicts are worth: the same rows graded with and without them, at several weights.

The model is run once per row, asked as widely as any weight of the grid would ask it (the unsettled key points
and, as from COVERED_CHECK_WEIGHT, the heaviest covered ones); its replies are recorded and replayed at every
weight, so trying six weights costs one model pass. Weight 0 is evidence alone. The report gives the agreement
with human scores (Pearson, Spearman, QWK, RMSE, MAE) at each weight, the best weight (model_weight.best_weight),
and the model's seconds per row; `interviewer eval grading --with-model --write-calibration` stores the best
weight under the model's key.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from interviewer.errors import ModelError
from interviewer.evaluation.datasets import GradingCase
from interviewer.evaluation.grading import GradingEvaluationOptions, OnSkipped, load_cases
from interviewer.evaluation.metrics import agreement_metrics
from interviewer.evaluation.precomputed import PrecomputedEmbedder, texts_to_embed
from interviewer.evaluation.progress import Progress, ProgressCallback
from interviewer.grading import Grade, Grader
from interviewer.grading.model_weight import WEIGHT_GRID, ModelWeight, best_weight, model_key
from interviewer.llm import CallStats, ModelOutputError, StructuredLLM
from interviewer.retrieval.embeddings import Embedder

if TYPE_CHECKING:
    from interviewer.config import Settings
    from interviewer.grading.verifier import Verifier


class _RecordingLLM:
    """Passes calls to the model and keeps each row's reply (or its failure) for replay."""

    def __init__(self, llm: StructuredLLM) -> None:
        self.llm = llm
        self.row = 0
        self.replies: dict[int, BaseModel | ModelError] = {}
        self.seconds = 0.0

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def complete_structured(self, messages: Any, output: Any, *, max_tokens: int = 400) -> tuple[Any, CallStats]:
        started = time.perf_counter()
        try:
            notes, stats = self.llm.complete_structured(messages, output, max_tokens=max_tokens)
        except ModelError as exc:
            self.replies[self.row] = exc
            raise
        finally:
            self.seconds += time.perf_counter() - started
        self.replies[self.row] = notes
        return notes, stats


class _ReplayLLM:
    """Gives each row the reply the model gave it in the recording pass."""

    def __init__(self, recording: _RecordingLLM) -> None:
        self.replies = recording.replies
        self._model_id = recording.model_id
        self.row = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    def complete_structured(self, messages: Any, output: Any, *, max_tokens: int = 400) -> tuple[Any, CallStats]:
        reply = self.replies.get(self.row)
        if reply is None:
            raise ModelOutputError("the model was not asked about this row in the recording pass")
        if isinstance(reply, ModelError):
            raise reply
        return reply, CallStats(attempts=1)


@dataclass
class ModelWeightReport:
    model: str
    key: str
    rows: int
    model_rows: int  # rows the model was asked about (a guarded answer is never sent to it)
    model_failures: int
    figures: dict[float, dict[str, float]]
    best: float
    seconds_per_row: float
    seconds: float

    def by_weight(self) -> dict[str, dict[str, float]]:
        return {f"{w:.1f}": {k: round(v, 4) for k, v in m.items()} for w, m in self.figures.items()}

    def entry(self, measured_on: str) -> ModelWeight:
        return ModelWeight(key=self.key, weight=self.best, measured_on=measured_on, rows=self.rows,
                           seconds_per_row=round(self.seconds_per_row, 2), figures=self.by_weight())

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model, "key": self.key, "rows": self.rows, "model_rows": self.model_rows,
            "model_failures": self.model_failures, "best_weight": self.best,
            "without_model": {k: round(v, 4) for k, v in self.figures[0.0].items()},
            "at_best_weight": {k: round(v, 4) for k, v in self.figures[self.best].items()},
            "by_weight": self.by_weight(),
            "seconds_per_row": round(self.seconds_per_row, 2), "seconds": round(self.seconds, 1),
        }


def _grade_rows(grader: Grader, cases: Sequence[GradingCase], llm: _RecordingLLM | _ReplayLLM | None,
                on_progress: ProgressCallback | None = None) -> list[Grade]:
    grades = []
    for index, case in enumerate(cases):
        if llm is not None:
            llm.row = index
        grades.append(grader.grade(case.question, case.answer, use_model=llm is not None))
        if on_progress is not None:
            on_progress(index + 1, len(cases))
    return grades


def measure_model_weight(
    embedder: Embedder,
    llm: StructuredLLM,
    cases: Sequence[GradingCase],
    *,
    grid: Sequence[float] = WEIGHT_GRID,
    seed: int = 0,
    verifier: Verifier | None = None,
    on_progress: ProgressCallback | None = None,
) -> ModelWeightReport:
    """Grade `cases` once with the model (recorded), then at every weight of `grid` from the recording. The weight
    is measured against the grader that ships, so with its verifier: without one, the rules' grade is what the
    model's verdicts would be weighed against."""
    started = time.perf_counter()
    shared = PrecomputedEmbedder(embedder, texts_to_embed(cases))
    gold = [case.human_score for case in cases]
    recording = _RecordingLLM(llm)
    widest = max(grid)
    _grade_rows(Grader(embedder=shared, llm=recording, seed=seed, model_weight=widest, verifier=verifier), cases,
                recording, on_progress)
    replay = _ReplayLLM(recording)
    figures: dict[float, dict[str, float]] = {}
    for weight in grid:
        grader = Grader(embedder=shared, llm=replay if weight > 0 else None, seed=seed, model_weight=weight,
                        verifier=verifier)
        grades = _grade_rows(grader, cases, replay if weight > 0 else None)
        figures[float(weight)] = agreement_metrics(gold, [grade.overall for grade in grades])
    asked = len(recording.replies)
    return ModelWeightReport(
        model=llm.model_id, key=model_key(llm), rows=len(cases), model_rows=asked,
        model_failures=sum(1 for reply in recording.replies.values() if isinstance(reply, ModelError)),
        figures=figures, best=best_weight(figures), seconds_per_row=recording.seconds / max(1, asked),
        seconds=time.perf_counter() - started,
    )


@dataclass
class ModelWeightEvaluation:
    """Every figure `interviewer eval grading --with-model` prints."""

    report: ModelWeightReport
    measured_on: str
    weight_in_use: float  # the weight grading uses for this model now
    written_to: Path | None = None

    def as_json(self) -> dict[str, object]:
        payload = self.report.as_json()
        payload["weight_in_use"] = self.weight_in_use
        if self.written_to is not None:
            payload["weight_written"] = str(self.written_to)
        return payload

    def lines(self) -> list[str]:
        report = self.report
        lines = [f"{report.model} ({report.key}) on {self.measured_on}: the model was asked about "
                 f"{report.model_rows} rows ({report.model_failures} failed), {report.seconds_per_row:.2f} s a row; "
                 f"{report.seconds:.0f} s in all"]
        for weight, figures in report.figures.items():
            label = "evidence only" if weight == 0 else f"model weight {weight:.1f}"
            lines.append(f"  {label:<17} Pearson {figures['pearson']:.3f}  Spearman {figures['spearman']:.3f}  "
                         f"QWK {figures['qwk']:.3f}  RMSE {figures['rmse']:.3f}  MAE {figures['mae']:.3f}")
        lines.append(f"best weight {report.best:.1f} (in use now: {self.weight_in_use:.2f})"
                     + (f"; written to {self.written_to}" if self.written_to is not None else ""))
        return lines


def run_model_weight_evaluation(
    settings: Settings, options: GradingEvaluationOptions, model: Path | None = None, *,
    write_to: Path | None = None, on_skipped: OnSkipped | None = None, progress: Progress | None = None,
) -> ModelWeightEvaluation:
    """`interviewer eval grading --with-model`: agreement without and with the model's verdicts, and the weight
    they earn; stored for this model in `write_to` when given."""
    from interviewer.grading.model_weight import lookup_weight, weights_files, write_weight
    from interviewer.grading.verifier import default_verifier
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.wiring import build_llm

    progress = progress or Progress()
    cases, _skipped = load_cases(options, on_skipped)
    names = ", ".join(path.name for path in options.datasets)
    measured_on = f"{names} ({len(cases)} rows, seed {options.seed}{'' if options.verifier else ', no verifier'})"
    llm = build_llm(settings, model)
    current, _entry = lookup_weight(llm, weights_files(settings.data_dir))
    with progress.display:
        report = measure_model_weight(default_embedder(), llm, cases, seed=options.seed,
                                      verifier=default_verifier() if options.verifier else None,
                                      on_progress=progress.stage("Grading with the model"))
    if write_to is not None:
        write_weight(write_to, report.entry(measured_on))
    return ModelWeightEvaluation(report, measured_on, current, write_to)
