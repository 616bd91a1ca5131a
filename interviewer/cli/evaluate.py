"""`interviewer eval ...`: measure retrieval, grading, follow-ups and answer pairs on datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Protocol

import typer

from interviewer.cli.common import (
    FusionOption,
    StoreDirOption,
    StoreUrlOption,
    err,
    eval_app,
    load_catalog,
    out,
    progress_callbacks,
    state,
)

if TYPE_CHECKING:
    from interviewer.evaluation.datasets import SkippedRow


@eval_app.command("retrieval")
def eval_retrieval_command(
    dataset: Annotated[Path | None, typer.Option("--dataset", help="query<TAB>pattern file.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Cut-off for recall@k.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_dir: StoreDirOption = None,
    fusion: FusionOption = "zscore",
    store_url: StoreUrlOption = None,
) -> None:
    """Print recall@1, recall@k and MRR of the retriever on a query set."""
    from interviewer.evaluation.progress import Progress
    from interviewer.evaluation.retrieval import run_retrieval_evaluation

    settings = state.settings(store_dir=store_dir, store_url=store_url)
    report = run_retrieval_evaluation(settings, dataset, k=k, fusion=fusion,
                                      progress=Progress(*progress_callbacks("search")))
    _print_report(report, as_json)


# Over 60 lines only for its option declarations: the work is run_grading_evaluation's (or, with --with-model,
# run_model_weight_evaluation's).
@eval_app.command("grading")
def eval_grading_command(
    dataset: Annotated[
        list[Path] | None, typer.Option("--dataset", help="CSV: question, reference_answer, student_answer, score "
                                        "(optional: question_id, kind, key_points). Repeat to pool several files.")
    ] = None,
    pack_files: Annotated[
        list[Path] | None, typer.Option("--pack", help="A pack file whose questions rows may name by question_id "
                                        "(the installed packs are always looked in). Repeatable.")
    ] = None,
    no_verifier: Annotated[
        bool, typer.Option("--no-verifier", help="Grade without the learned verifier (the rules check reversals).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", help="Write every row back with predicted_score.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Grade a random sample of N rows.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample.")] = 0,
    with_model: Annotated[
        bool, typer.Option("--with-model", help="Measure the model's verdicts: the same rows without and with them, "
                           "at weights 0 to 0.5, and the best weight (slow: about 3-7 s a row).")
    ] = False,
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (with --with-model).")] = None,
    write_calibration: Annotated[
        bool, typer.Option("--write-calibration", help="With --with-model: store the best weight for this model.")
    ] = False,
    weights_file: Annotated[
        Path | None, typer.Option("--weights-file", help="Where --write-calibration stores it (default: the data "
                                  "dir's model_weights.json).")
    ] = None,
    fit: Annotated[
        Path | None, typer.Option("--fit-calibration", help="Fit the score formula on this data; write it here.")
    ] = None,
    no_pack_questions: Annotated[
        bool,
        typer.Option("--no-pack-questions", help="Grade rows naming a pack question from their own columns only "
                     "(by default they are graded as an interview grades that question)."),
    ] = False,
    holdout: Annotated[
        int | None,
        typer.Option("--holdout-by-question", min=2, metavar="K",
                     help="Also fit on the other questions and score each held-out question (K folds over questions)."),
    ] = None,
) -> None:
    """Compare the grader with human scores: Pearson, Spearman, QWK, RMSE, MAE and the score distribution."""
    from interviewer.evaluation.grading import GradingEvaluationOptions, run_grading_evaluation
    from interviewer.evaluation.model_weight import run_model_weight_evaluation
    from interviewer.evaluation.progress import Progress
    from interviewer.resources import builtin_eval_dir

    settings = state.settings(model_path=model)
    paths = dataset or [builtin_eval_dir() / "grading-dev.csv"]
    options = GradingEvaluationOptions(
        datasets=paths, limit=limit, seed=seed, grader_seed=settings.seed, verifier=not no_verifier,
        pack_questions=not no_pack_questions, user_packs_dir=settings.user_packs_path, pack_files=pack_files or [],
        predictions=predictions, holdout_folds=holdout, fit_to=fit,
    )
    progress = Progress(*progress_callbacks("grade"))
    if with_model:
        write_to = (weights_file or settings.data_dir / "model_weights.json") if write_calibration else None
        _print_report(run_model_weight_evaluation(settings, options, model, write_to=write_to,
                                                  on_skipped=_print_skipped, progress=progress), as_json)
    else:
        _print_report(run_grading_evaluation(options, on_skipped=_print_skipped, progress=progress), as_json)


def _print_skipped(path: Path, row: SkippedRow) -> None:
    err.print(f"Skipped {path}:{row.line}: {row.reason}", markup=False)


@eval_app.command("follow-ups")
def eval_follow_ups_command(
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (default: the bundled one).")] = None,
    pack: Annotated[str, typer.Option("--pack", help="The pack whose questions are asked.")] = "genai-core",
    limit: Annotated[int, typer.Option("--limit", min=1, help="Questions to try.")] = 20,
    seed: Annotated[int, typer.Option("--seed", help="Which questions are sampled.")] = 0,
    write_calibration: Annotated[
        bool, typer.Option("--write-calibration", help="Store the counts in the data dir's model_weights.json.")
    ] = False,
    weights_file: Annotated[Path | None, typer.Option("--weights-file", help="Write to this file instead.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How often the model's follow-up questions pass the checks; an interview asks it for them only if enough do."""
    from interviewer.evaluation.follow_ups import run_follow_up_evaluation
    from interviewer.evaluation.progress import Progress

    settings = state.settings()
    report = run_follow_up_evaluation(
        settings, pack, model=model, limit=limit, seed=seed,
        write_to=weights_file or (settings.data_dir / "model_weights.json" if write_calibration else None),
        note=lambda text: err.print(text, markup=False), progress=Progress(*progress_callbacks("follow-up")),
    )
    _print_report(report, as_json)


@eval_app.command("pairs")
def eval_pairs_command(
    dataset: Annotated[
        Path | None,
        typer.Option("--dataset", help="CSV: question_id, right_answer, contradicting_answer, what_is_reversed."),
    ] = None,
    pack: Annotated[str, typer.Option("--pack", help="The pack the question ids belong to.")] = "genai-core",
    no_verifier: Annotated[
        bool, typer.Option("--no-verifier", help="Grade without the learned verifier (the rules check reversals).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Grade right answers and answers that reverse them: their means and how often they are 2 points apart."""
    from interviewer.evaluation.pairs import run_pairs_evaluation

    settings = state.settings()
    questions = {question.id: question for question in load_catalog(settings).get(pack).pack.questions}
    _print_report(run_pairs_evaluation(questions, dataset, verifier=not no_verifier, seed=settings.seed), as_json)


class _Report(Protocol):
    def as_json(self) -> dict[str, object]: ...

    def lines(self) -> list[str]: ...


def _print_report(report: _Report, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(report.as_json()))
        return
    for line in report.lines():
        out.print(line, markup=False)
