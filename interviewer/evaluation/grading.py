"""Measuring the grader against human scores: `interviewer eval grading`.

The rows of one or more datasets (interviewer/evaluation/datasets.py) are graded from evidence alone, every text
encoded up front in large batches (precomputed.py), and compared with the human scores (metrics.py). Optionally
the rows are also held out by question (`holdout_by_question`): the questions are dealt into k folds; each fold's
rows are graded with maps fitted (calibration_fit.py) on the other folds' rows only, so the pooled figures say
what to expect on questions never seen. `--fit-calibration` fits the maps on every row and writes them.
`run_grading_evaluation` does all of that and returns one report that renders the command's text and JSON.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from interviewer.evaluation.calibration_fit import fit_calibrations
from interviewer.evaluation.datasets import (
    GradingCase,
    SkippedRow,
    load_grading_dataset,
    question_folds,
    question_key,
    sample,
    with_pack_questions,
    write_predictions,
)
from interviewer.evaluation.metrics import agreement_metrics, kind_figures
from interviewer.evaluation.precomputed import texts_to_embed, with_vectors_up_front
from interviewer.evaluation.progress import Progress, ProgressCallback
from interviewer.grading import Grade, Grader
from interviewer.packs import Question

OnSkipped = Callable[[Path, SkippedRow], None]


@dataclass
class GradingEvalReport:
    rows: int
    metrics: dict[str, float]
    predicted_distribution: dict[int, int]
    human_distribution: dict[int, int]
    guards: dict[str, int]
    flagged: int
    evidence_only: bool
    seconds: float
    kinds: dict[str, float] | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "predicted_distribution": {str(k): v for k, v in sorted(self.predicted_distribution.items())},
            "human_distribution": {str(k): v for k, v in sorted(self.human_distribution.items())},
            "guards": self.guards,
            "flagged_injections": self.flagged,
            "evidence_only": self.evidence_only,
            "seconds": round(self.seconds, 1),
            **({"kinds": {k: round(v, 4) for k, v in self.kinds.items()}} if self.kinds else {}),
        }


def grade_each(
    grader: Grader, cases: Sequence[GradingCase], *, use_model: bool, on_progress: ProgressCallback | None = None,
) -> list[Grade]:
    """Every case graded by `grader` as it is."""
    grades = []
    for index, case in enumerate(cases, start=1):
        grades.append(grader.grade(case.question, case.answer, use_model=use_model))
        if on_progress is not None:
            on_progress(index, len(cases))
    return grades


def grade_cases(
    grader: Grader,
    cases: Sequence[GradingCase],
    *,
    use_model: bool,
    on_progress: ProgressCallback | None = None,
    on_embed_progress: ProgressCallback | None = None,
) -> list[Grade]:
    """Every case graded by a copy of `grader` that has every text the cases need encoded up front."""
    fast = with_vectors_up_front(grader, texts_to_embed(cases), on_embed_progress)
    return grade_each(fast, cases, use_model=use_model, on_progress=on_progress)


def evaluate_grades(cases: Sequence[GradingCase], grades: Sequence[Grade], seconds: float) -> GradingEvalReport:
    gold = [case.human_score for case in cases]
    predicted = [grade.overall for grade in grades]
    return GradingEvalReport(
        rows=len(cases),
        metrics=agreement_metrics(gold, predicted),
        predicted_distribution=dict(Counter(int(round(x)) for x in predicted)),
        human_distribution=dict(Counter(int(round(x)) for x in gold)),
        guards=dict(Counter(grade.guard for grade in grades if grade.guard)),
        flagged=sum(1 for grade in grades if grade.flags),
        evidence_only=all(grade.evidence_only for grade in grades),
        seconds=seconds,
        kinds=kind_figures(cases, predicted),
    )


@dataclass
class HoldoutReport:
    """Figures over predictions for questions the calibration never saw (k folds over questions)."""

    rows: int
    questions: int
    folds: int
    metrics: dict[str, float]
    per_fold: list[dict[str, float]]
    seconds: float

    def spread(self) -> dict[str, dict[str, float]]:
        spread = {}
        for name in ("pearson", "spearman", "rmse", "qwk"):
            values = np.array([fold[name] for fold in self.per_fold if not math.isnan(fold[name])])
            if len(values):
                spread[name] = {"min": float(values.min()), "max": float(values.max()),
                                "std": float(values.std())}
        return spread

    def as_json(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "questions": self.questions,
            "folds": self.folds,
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "per_fold": [{name: round(value, 4) for name, value in fold.items()} for fold in self.per_fold],
            "spread": {name: {k: round(v, 4) for k, v in values.items()} for name, values in self.spread().items()},
            "seconds": round(self.seconds, 1),
        }

    def lines(self) -> list[str]:
        figures = self.metrics
        lines = [f"held out by question ({self.folds} folds over {self.questions} questions, calibration fitted on "
                 f"the other folds): Pearson {figures['pearson']:.3f}  Spearman {figures['spearman']:.3f}  "
                 f"QWK {figures['qwk']:.3f}  RMSE {figures['rmse']:.3f}  MAE {figures['mae']:.3f}  "
                 f"({self.seconds:.1f}s)"]
        lines += [f"  per fold {name:<8} min {values['min']:.3f}  max {values['max']:.3f}  sd {values['std']:.3f}"
                  for name, values in self.spread().items()]
        return lines


def holdout_by_question(
    grader: Grader,
    cases: Sequence[GradingCase],
    grades: Sequence[Grade],
    *,
    folds: int,
    seed: int = 0,
    use_model: bool = False,
) -> tuple[HoldoutReport, list[Grade]]:
    """Fit on the other questions' rows, grade the held-out question's rows; pooled figures and each fold's.

    `grades` are the rows graded with the shipped calibration (they say which answers a guard zeroed; guards do
    not depend on the calibration). Each fold is graded by a copy of `grader` holding that fold's calibration;
    `grader` is unchanged. Returns the report and the held-out grade of every row.
    """
    started = time.perf_counter()
    keys = [question_key(case) for case in cases]
    fold_of = question_folds(keys, folds, seed)
    held_out: list[Grade | None] = [None] * len(cases)
    per_fold = []
    for fold in sorted(set(fold_of)):
        train = [i for i, f in enumerate(fold_of) if f != fold]
        test = [i for i, f in enumerate(fold_of) if f == fold]
        calibration = fit_calibrations(grader, [cases[i] for i in train], [grades[i] for i in train], seed=seed)
        fold_grader = replace(grader, calibration=calibration)
        test_grades = [fold_grader.grade(cases[i].question, cases[i].answer, use_model=use_model) for i in test]
        for i, grade in zip(test, test_grades, strict=True):
            held_out[i] = grade
        gold = [cases[i].human_score for i in test]
        per_fold.append({"fold": float(fold), "questions": float(len({keys[i] for i in test})),
                         "rows": float(len(test)), **agreement_metrics(gold, [g.overall for g in test_grades])})
    final = [grade for grade in held_out if grade is not None]
    report = HoldoutReport(
        rows=len(cases),
        questions=len(set(keys)),
        folds=len(per_fold),
        metrics=agreement_metrics([case.human_score for case in cases], [grade.overall for grade in final]),
        per_fold=per_fold,
        seconds=time.perf_counter() - started,
    )
    return report, final


# --- the command's run ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GradingEvaluationOptions:
    """What `interviewer eval grading` is asked to measure."""

    datasets: Sequence[Path]
    limit: int | None = None  # grade a random sample of this many rows
    seed: int = 0  # of the sample, the folds and the fit
    grader_seed: int = 0
    verifier: bool = True  # False: the reversal rules alone
    # Rows naming a pack question are graded as an interview grades it: the installed packs (built-in, then the
    # user's in user_packs_dir), then pack_files. False grades every row from its own columns.
    pack_questions: bool = True
    user_packs_dir: Path | None = None
    pack_files: Sequence[Path] = ()
    predictions: Path | None = None  # write every row back with its predicted score
    holdout_folds: int | None = None  # also hold out by question, in this many folds
    fit_to: Path | None = None  # fit the calibration on every row and write it here


@dataclass
class GradingEvaluationReport:
    """Every figure `interviewer eval grading` prints: agreement, holdout and the fitted calibration's figures."""

    evaluation: GradingEvalReport
    verifier: str | None  # the verifier's id; None graded by the rules alone
    skipped: list[SkippedRow] = field(default_factory=list)
    holdout: HoldoutReport | None = None
    calibration_written: Path | None = None
    calibration_figures: dict[str, float] | None = None  # held out while fitting, both maps'

    def as_json(self) -> dict[str, object]:
        payload = self.evaluation.as_json()
        payload["skipped_rows"] = [{"line": row.line, "reason": row.reason} for row in self.skipped]
        if self.holdout is not None:
            payload["holdout_by_question"] = self.holdout.as_json()
        if self.calibration_written is not None:
            payload["calibration_written"] = str(self.calibration_written)
            payload["calibration_cross_validated"] = self.calibration_figures
        return payload

    def lines(self) -> list[str]:
        report, metrics = self.evaluation, self.evaluation.metrics
        # Always from evidence: the model's say is measured by `--with-model` (evaluation/model_weight.py).
        lines = [f"rows {report.rows}  Pearson {metrics['pearson']:.3f}  Spearman {metrics['spearman']:.3f}  "
                 f"QWK {metrics['qwk']:.3f}  RMSE {metrics['rmse']:.3f}  MAE {metrics['mae']:.3f}  "
                 f"(evidence only, {self.verifier or 'no verifier'}, {report.seconds:.1f}s)"]
        for name, distribution in (("predicted", report.predicted_distribution),
                                   ("human", report.human_distribution)):
            lines.append(f"  {name:<9} " + "  ".join(f"{k}: {distribution.get(k, 0)}" for k in range(6)))
        if report.guards:
            lines.append("  guards: " + ", ".join(f"{k} {v}" for k, v in sorted(report.guards.items())))
        lines.append(f"  flagged injection attempts: {report.flagged}")
        if self.skipped:
            lines.append(f"  skipped rows: {len(self.skipped)} (listed on stderr)")
        if report.kinds:
            kinds = report.kinds
            lines.append(
                f"  strong answers {kinds['strong_answers']:.0f}: mean {kinds['strong_mean']:.2f}, under 2.5: "
                f"{kinds['strong_under_2_5']:.0f}   wrong answers {kinds['wrong_answers']:.0f}: mean "
                f"{kinds['wrong_mean']:.2f}, at 3 or more: {kinds['wrong_at_least_3']:.0f}   strong and wrong 2+ "
                f"apart: {kinds['share_apart']:.0%} of {kinds['questions_with_both']:.0f} questions")
        if self.holdout is not None:
            lines += self.holdout.lines()
        if self.calibration_written is not None:
            lines.append(f"Calibration written to {self.calibration_written} (5-fold held-out: "
                         f"{self.calibration_figures})")
        return lines


def pack_questions(user_packs_dir: Path | None, pack_files: Sequence[Path] = ()) -> dict[str, Question]:
    """The questions rows may name by question_id: the installed packs', then the given pack files'."""
    from interviewer.packs import discover_packs, load_pack
    from interviewer.resources import builtin_packs_dir

    catalog = discover_packs(builtin_packs_dir(), user_packs_dir)
    questions = {question.id: question for loaded in catalog.packs for question in loaded.pack.questions}
    for pack_file in pack_files:
        questions.update({question.id: question for question in load_pack(pack_file).pack.questions})
    return questions


def load_cases(
    options: GradingEvaluationOptions, on_skipped: OnSkipped | None = None
) -> tuple[list[GradingCase], list[SkippedRow]]:
    """The rows to grade (sampled, and matched to pack questions as asked) and the rows skipped, each told to
    `on_skipped` as its file is read."""
    cases: list[GradingCase] = []
    skipped: list[SkippedRow] = []
    for path in options.datasets:
        found: list[SkippedRow] = []
        cases.extend(load_grading_dataset(path, found))
        for row in found:
            if on_skipped is not None:
                on_skipped(path, row)
        skipped.extend(found)
    cases = sample(cases, options.limit, options.seed)
    if options.pack_questions:
        cases = with_pack_questions(cases, pack_questions(options.user_packs_dir, options.pack_files))
    return cases, skipped


def run_grading_evaluation(
    options: GradingEvaluationOptions, *, on_skipped: OnSkipped | None = None, progress: Progress | None = None,
) -> GradingEvaluationReport:
    """Grade the rows from evidence and compare with the human scores; then, as asked, write the predictions,
    hold out by question, and fit and write the calibration (all with the same vectors, encoded once)."""
    from interviewer.grading.verifier import default_verifier
    from interviewer.retrieval.embeddings import default_embedder

    progress = progress or Progress()
    cases, skipped = load_cases(options, on_skipped)
    grader = Grader(embedder=default_embedder(), llm=None, seed=options.grader_seed,
                    verifier=default_verifier() if options.verifier else None)
    started = time.perf_counter()
    with progress.display:
        on_grading, on_embedding = progress.stage("Grading answers"), progress.stage("Embedding answers")
        grader = with_vectors_up_front(grader, texts_to_embed(cases), on_embedding)
        grades = grade_each(grader, cases, use_model=False, on_progress=on_grading)
    report = GradingEvaluationReport(evaluate_grades(cases, grades, time.perf_counter() - started),
                                     None if grader.verifier is None else grader.verifier.model_id, skipped)
    if options.predictions is not None:
        write_predictions(options.predictions, cases, grades)
    if options.holdout_folds is not None:
        report.holdout, _held_grades = holdout_by_question(grader, cases, grades, folds=options.holdout_folds,
                                                           seed=options.seed)
    if options.fit_to is not None:
        calibration = fit_calibrations(grader, cases, grades, seed=options.seed,
                                       fitted_on=", ".join(path.name for path in options.datasets))
        options.fit_to.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
        report.calibration_written = options.fit_to
        report.calibration_figures = {
            **calibration.fit_figures,
            **(calibration.reference_only.fit_figures if calibration.reference_only else {}),
        }
    return report
