"""`interviewer eval ...`: measure retrieval, grading, follow-ups and answer pairs on datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from interviewer.cli.common import (
    FusionOption,
    StoreUrlOption,
    err,
    eval_app,
    load_catalog,
    open_retriever,
    out,
    progress_callbacks,
    state,
)

if TYPE_CHECKING:
    from interviewer.config import Settings


# --- evaluation -------------------------------------------------------------------------------------------


@eval_app.command("retrieval")
def eval_retrieval_command(
    dataset: Annotated[Path | None, typer.Option("--dataset", help="query<TAB>pattern file.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="Cut-off for recall@k.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    store_dir: Annotated[
        Path | None, typer.Option("--store", help="Store folder (default: from settings).")
    ] = None,
    fusion: FusionOption = "zscore",
    store_url: StoreUrlOption = None,
) -> None:
    """Print recall@1, recall@k and MRR of the retriever on a query set."""
    from interviewer.evaluation.retrieval import (
        default_retrieval_dataset,
        evaluate_retrieval,
        load_retrieval_dataset,
    )

    settings = state.settings(store_dir=store_dir, store_url=store_url)
    cases = load_retrieval_dataset(dataset or default_retrieval_dataset())
    display, progress = progress_callbacks("search")
    with display:
        report = evaluate_retrieval(open_retriever(settings, fusion), cases, k=k, on_progress=progress("Searching"))
    if as_json:
        out.print_json(json.dumps(report.as_json()))
        return
    out.print(
        f"queries {report.cases}  recall@1 {report.recall_at_1:.3f}  recall@{k} {report.recall_at_k:.3f}  "
        f"MRR {report.mrr:.3f}",
        markup=False,
    )
    for miss in report.misses:
        out.print(f"  miss (line {miss['line']}): {miss['query']}  -> top: {miss['top']}", markup=False)


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
    import time as _time

    from interviewer.evaluation.grading import (
        SkippedRow,
        evaluate_grades,
        fit_calibrations,
        grade_cases,
        holdout_by_question,
        load_grading_dataset,
        sample,
        with_pack_questions,
        write_predictions,
    )
    from interviewer.grading import Grader
    from interviewer.grading.verifier import default_verifier
    from interviewer.packs import load_pack
    from interviewer.resources import builtin_eval_dir
    from interviewer.retrieval.embeddings import default_embedder

    settings = state.settings(model_path=model)
    paths = dataset or [builtin_eval_dir() / "grading-dev.csv"]
    path = paths[0]
    skipped: list[SkippedRow] = []
    loaded_cases = []
    for one in paths:
        found: list[SkippedRow] = []
        loaded_cases.extend(load_grading_dataset(one, found))
        for row in found:
            err.print(f"Skipped {one}:{row.line}: {row.reason}", markup=False)
        skipped.extend(found)
    cases = sample(loaded_cases, limit, seed)
    if not no_pack_questions:
        questions = {q.id: q for loaded in load_catalog(settings).packs for q in loaded.pack.questions}
        for pack_file in pack_files or []:
            questions.update({q.id: q for q in load_pack(pack_file).pack.questions})
        cases = with_pack_questions(cases, questions)
    if with_model:
        measure_model_weight(settings, model, cases, f"{path.name} ({len(cases)} rows, seed {seed})", seed, as_json,
                              weights_file or settings.data_dir / "model_weights.json" if write_calibration else None)
        return
    # `--with-model` returned above: the model's say is measured there; this path grades from evidence.
    grader = Grader(embedder=default_embedder(), llm=None, seed=settings.seed,
                    verifier=None if no_verifier else default_verifier())
    started = _time.perf_counter()
    display, progress = progress_callbacks("grade")
    with display:
        grades = grade_cases(grader, cases, use_model=False, on_progress=progress("Grading answers"),
                             on_embed_progress=progress("Embedding answers"))
    report = evaluate_grades(cases, grades, _time.perf_counter() - started)
    if predictions is not None:
        write_predictions(predictions, cases, grades)
    payload = report.as_json()
    payload["skipped_rows"] = [{"line": row.line, "reason": row.reason} for row in skipped]
    held = None
    if holdout is not None:
        held, _held_grades = holdout_by_question(grader, cases, grades, folds=holdout, seed=seed, use_model=False)
        payload["holdout_by_question"] = held.as_json()
    if fit is not None:
        calibration = fit_calibrations(grader, cases, grades, seed=seed,
                                       fitted_on=", ".join(one.name for one in paths))
        fit.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")
        payload["calibration_written"] = str(fit)
        payload["calibration_cross_validated"] = {
            **calibration.fit_figures,
            **(calibration.reference_only.fit_figures if calibration.reference_only else {}),
        }
    if as_json:
        out.print_json(json.dumps(payload))
        return
    metrics = report.metrics
    out.print(
        f"rows {report.rows}  Pearson {metrics['pearson']:.3f}  Spearman {metrics['spearman']:.3f}  "
        f"QWK {metrics['qwk']:.3f}  RMSE {metrics['rmse']:.3f}  MAE {metrics['mae']:.3f}  "
        f"({'evidence only' if report.evidence_only else 'with model verdicts'}, "
        f"{'no verifier' if grader.verifier is None else grader.verifier.model_id}, {report.seconds:.1f}s)",
        markup=False,
    )
    for name, distribution in (("predicted", report.predicted_distribution), ("human", report.human_distribution)):
        out.print(f"  {name:<9} " + "  ".join(f"{k}: {distribution.get(k, 0)}" for k in range(6)), markup=False)
    if report.guards:
        out.print("  guards: " + ", ".join(f"{k} {v}" for k, v in sorted(report.guards.items())), markup=False)
    out.print(f"  flagged injection attempts: {report.flagged}", markup=False)
    if skipped:
        out.print(f"  skipped rows: {len(skipped)} (listed on stderr)", markup=False)
    if report.kinds:
        kinds = report.kinds
        out.print(
            f"  strong answers {kinds['strong_answers']:.0f}: mean {kinds['strong_mean']:.2f}, under 2.5: "
            f"{kinds['strong_under_2_5']:.0f}   wrong answers {kinds['wrong_answers']:.0f}: mean "
            f"{kinds['wrong_mean']:.2f}, at 3 or more: {kinds['wrong_at_least_3']:.0f}   strong and wrong 2+ apart: "
            f"{kinds['share_apart']:.0%} of {kinds['questions_with_both']:.0f} questions",
            markup=False,
        )
    if held is not None:
        figures = held.metrics
        out.print(
            f"held out by question ({held.folds} folds over {held.questions} questions, calibration fitted on the "
            f"other folds): Pearson {figures['pearson']:.3f}  Spearman {figures['spearman']:.3f}  "
            f"QWK {figures['qwk']:.3f}  RMSE {figures['rmse']:.3f}  MAE {figures['mae']:.3f}  ({held.seconds:.1f}s)",
            markup=False,
        )
        for name, values in held.spread().items():
            out.print(f"  per fold {name:<8} min {values['min']:.3f}  max {values['max']:.3f}  "
                      f"sd {values['std']:.3f}", markup=False)
    if fit is not None:
        out.print(f"Calibration written to {fit} (5-fold held-out: {payload['calibration_cross_validated']})",
                  markup=False)


def measure_model_weight(settings: Settings, model: Path | None, cases: list[Any], measured_on: str, seed: int,
                          as_json: bool, write_to: Path | None) -> None:
    """`eval grading --with-model`: agreement without and with the model's verdicts, and the weight they earn."""
    from interviewer.evaluation.model_weight import measure_model_weight
    from interviewer.grading.model_weight import lookup_weight, weights_files, write_weight
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.wiring import build_llm

    llm = build_llm(settings, model)
    current, _entry = lookup_weight(llm, weights_files(settings.data_dir))
    display, progress = progress_callbacks("grade")
    with display:
        report = measure_model_weight(default_embedder(), llm, cases, seed=seed,
                                      on_progress=progress("Grading with the model"))
    payload = report.as_json()
    payload["weight_in_use"] = current
    if write_to is not None:
        write_weight(write_to, report.entry(measured_on))
        payload["weight_written"] = str(write_to)
    if as_json:
        out.print_json(json.dumps(payload))
        return
    out.print(f"{report.model} ({report.key}) on {measured_on}: the model was asked about {report.model_rows} rows "
              f"({report.model_failures} failed), {report.seconds_per_row:.2f} s a row; {report.seconds:.0f} s in all",
              markup=False)
    for weight, figures in report.figures.items():
        label = "evidence only" if weight == 0 else f"model weight {weight:.1f}"
        out.print(f"  {label:<17} Pearson {figures['pearson']:.3f}  Spearman {figures['spearman']:.3f}  "
                  f"QWK {figures['qwk']:.3f}  RMSE {figures['rmse']:.3f}  MAE {figures['mae']:.3f}", markup=False)
    out.print(f"best weight {report.best:.1f} (in use now: {current:.2f})"
              + (f"; written to {payload['weight_written']}" if write_to is not None else ""), markup=False)


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
    from interviewer.errors import ModelError
    from interviewer.evaluation.follow_ups import measure_follow_ups, sample_questions
    from interviewer.grading.model_weight import MIN_FOLLOW_UP_ACCEPTANCE, model_key, write_weight
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.wiring import RetrieverOnFirstSearch, build_llm

    settings = state.settings()
    questions = sample_questions(load_catalog(settings).get(pack).pack.questions, limit, seed)
    llm = build_llm(settings, model)
    if not hasattr(llm, "chat_model"):
        raise ModelError("follow-ups are written by an in-process model only; pass --model FILE", "Cannot measure")
    from interviewer.agent.tools import ToolBox

    toolbox = ToolBox(RetrieverOnFirstSearch(settings, lambda text: err.print(text, markup=False)), None, pack,
                      sorted({question.topic for question in questions}))
    display, progress = progress_callbacks("follow-up")
    with display:
        report = measure_follow_ups(llm.chat_model(), toolbox, default_embedder(), questions, model=llm.model_id,
                                    key=model_key(llm), on_progress=progress("Writing follow-ups"))
    payload = report.as_json()
    target = weights_file or (settings.data_dir / "model_weights.json" if write_calibration else None)
    if target is not None:
        write_weight(target, report.entry(f"{pack}, {len(questions)} questions, seed {seed}"))
        payload["written"] = str(target)
    if as_json:
        out.print_json(json.dumps(payload))
        return
    tried = len(report.trials)
    out.print(f"{report.model}: {report.accepted} of {tried} follow-ups passed the checks "
              f"({report.seconds_per_follow_up:.1f} s each); asked in interviews: "
              f"{'yes' if tried and report.accepted / tried >= MIN_FOLLOW_UP_ACCEPTANCE else 'no'}", markup=False)
    for reason, count in report.reasons().most_common():
        out.print(f"  rejected {count}x: {reason}", markup=False)
    if target is not None:
        out.print(f"written to {target}", markup=False)


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
    from interviewer.evaluation.grading import PAIR_GAP, evaluate_pairs, load_answer_pairs
    from interviewer.grading import Grader
    from interviewer.grading.verifier import default_verifier
    from interviewer.resources import builtin_eval_dir
    from interviewer.retrieval.embeddings import default_embedder

    settings = state.settings()
    questions = {question.id: question for question in load_catalog(settings).get(pack).pack.questions}
    pairs = load_answer_pairs(dataset or builtin_eval_dir() / "contradiction-pairs.csv", questions)
    report = evaluate_pairs(Grader(embedder=default_embedder(), llm=None, seed=settings.seed,
                                   verifier=None if no_verifier else default_verifier()), pairs)
    if as_json:
        out.print_json(json.dumps(report.as_json()))
        return
    out.print(
        f"pairs {report.pairs}  right answers {report.mean_right:.2f}  contradicting answers "
        f"{report.mean_contradicting:.2f}  {report.share_apart:.0%} at least {PAIR_GAP:g} points apart  "
        f"reversal caught in {report.share_caught:.0%}  (evidence only, {report.seconds:.1f}s)",
        markup=False,
    )
    for close in report.close:
        out.print(f"  close (line {close['line']}, {close['question_id']}): {close['right']:.1f} vs "
                  f"{close['contradicting']:.1f}  {close['what_is_reversed']}", markup=False)
