"""The `interviewer` command line.

Every command loads Settings once (command-line options > INTERVIEWER_* environment > config file > defaults)
and imports heavy modules only inside the command that needs them, so `interviewer --help` stays instant.
An InterviewerError becomes a titled message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from interviewer.errors import InterviewerError, PackError

if TYPE_CHECKING:
    # pydantic-settings costs about a third of `interviewer --help`; commands import it when they run.
    from interviewer.config import Settings

app = typer.Typer(
    name="interviewer",
    help="An offline mock interviewer for LLM and generative-AI engineering interviews.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
packs_app = typer.Typer(help="List, show, validate and scaffold question packs.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure retrieval and grading quality.", no_args_is_help=True)
app.add_typer(packs_app, name="packs")
app.add_typer(config_app, name="config")
export_app = typer.Typer(help="Export what you missed for study elsewhere.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(export_app, name="export")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="A TOML config file (default: the platform config dir).")
]


class _State:
    config_file: Path | None = None

    def settings(self, **overrides: object) -> Settings:
        from interviewer.config import load_settings_with_origins

        return load_settings_with_origins(self.config_file, **overrides).settings


state = _State()


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    config: ConfigOption = None,
) -> None:
    """Run with no command to open the terminal UI (in a terminal) or a five-question plain interview (piped)."""
    state.config_file = config
    if ctx.invoked_subcommand is None:
        if _interactive():
            _open_tui(state.settings())
            return
        out.print("[bold]interviewer[/bold]: a practice interview, five questions. Type your answer; end it with a "
                  "line holding only '.'. `interviewer interview --help` lists the choices.")
        run_interview(plain=True)


# The full-screen front end, plugged in by the package that provides it (tui.entry, the `interviewer` script)
# before main() runs. This package never imports a UI; without one, or without a terminal, interviews are plain.
FullScreen = Callable[..., None]
full_screen: FullScreen | None = None


def _interactive() -> bool:
    """The full-screen UI needs a terminal on both ends; piped input or output keeps the plain mode."""
    return full_screen is not None and sys.stdin.isatty() and sys.stdout.isatty()


def _open_tui(settings: Settings, **options: object) -> None:
    assert full_screen is not None
    full_screen(settings, **options)


StoreUrlOption = Annotated[
    str | None, typer.Option("--store-url", help="A shared Chroma server, http://HOST:PORT (default: from settings).")
]
LlmUrlOption = Annotated[
    str | None,
    typer.Option("--llm-url", help="An OpenAI-compatible model server, http://HOST:PORT/v1 (default: from settings)."),
]


# --- config -----------------------------------------------------------------------------------------------


@config_app.command("show")
def config_show(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print every effective setting and where its value came from."""
    from interviewer.config import load_settings_with_origins

    loaded = load_settings_with_origins(state.config_file)
    values = loaded.settings.model_dump(mode="json")
    if loaded.settings.model_path is None:
        values["model_path"] = "(bundled SmolLM2-135M-Instruct)"
    if as_json:
        payload = {
            "config_file": str(loaded.config_file),
            "config_file_exists": loaded.config_file.is_file(),
            "settings": {name: {"value": values[name], "from": loaded.origins[name]} for name in values},
        }
        out.print_json(json.dumps(payload))
        return
    exists = "" if loaded.config_file.is_file() else "  (not present: defaults apply)"
    out.print(f"config file: {loaded.config_file}{exists}")
    width = max(len(name) for name in values)
    for name, value in values.items():
        out.print(f"{name.ljust(width)}  {value}  [dim]({loaded.origins[name]})[/dim]")


# --- packs ------------------------------------------------------------------------------------------------


def _catalog(settings: Settings):  # type: ignore[no-untyped-def]
    from interviewer.packs import discover_packs
    from interviewer.resources import builtin_packs_dir

    return discover_packs(builtin_packs_dir(), settings.user_packs_path)


def _known_sections(settings: Settings, extra_docs: list[Path]) -> dict[str, set[str]]:
    """file name -> its headings, over the built-in documents plus the given ones."""
    from interviewer.resources import builtin_docs_dir
    from interviewer.retrieval.documents import find_documents, load_document, section_titles

    sections: dict[str, set[str]] = {}
    for path, name in find_documents(builtin_docs_dir()):
        sections[name] = section_titles(load_document(path))
    for path in extra_docs:
        if path.is_file():
            sections[path.name] = section_titles(load_document(path))
    return sections


@packs_app.command("validate")
def packs_validate(
    paths: Annotated[list[Path], typer.Argument(help="Pack files (or folders of packs) to check.")],
) -> None:
    """Check pack files; print every problem as file:line:column: message."""
    from interviewer.packs import LoadedPack, check_section_references, pack_files, validate_pack_file

    settings = state.settings()
    files: list[Path] = []
    for path in paths:
        files.extend(pack_files(path) if path.is_dir() else [path])
    if not files:
        raise PackError("no .yaml pack files found in the given paths", "Nothing to validate")
    failed = 0
    for path in files:
        pack, problems = validate_pack_file(path)
        if pack is not None:
            loaded = LoadedPack(pack, path, builtin=False)
            problems = check_section_references(loaded, _known_sections(settings, loaded.document_paths()))
        for problem in problems:
            err.print(str(problem), markup=False)
        if problems:
            failed += 1
        else:
            assert pack is not None
            out.print(
                f"{path}: ok ({len(pack.questions)} questions, {len(pack.topics)} topics)", markup=False
            )
    if failed:
        err.print(f"{failed} of {len(files)} pack file(s) have problems", markup=False)
        raise typer.Exit(1)


@packs_app.command("list")
def packs_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the built-in and user packs with their topics; report packs that were skipped."""
    settings = state.settings()
    catalog = _catalog(settings)
    rows = []
    for loaded in catalog.packs:
        pack = loaded.pack
        counts = {topic.id: sum(q.topic == topic.id for q in pack.questions) for topic in pack.topics}
        rows.append(
            {
                "name": pack.name,
                "title": pack.title,
                "version": pack.version,
                "questions": len(pack.questions),
                "topics": counts,
                "origin": "built-in" if loaded.builtin else "user",
                "path": str(loaded.path),
            }
        )
    if as_json:
        out.print_json(json.dumps({"packs": rows, "skipped": [e.message for e in catalog.skipped]}))
    else:
        for row in rows:
            out.print(
                f"[bold]{row['name']}[/bold]  {row['title']}  v{row['version']}  "
                f"{row['questions']} questions  ({row['origin']})"
            )
            topics = row["topics"]
            assert isinstance(topics, dict)
            out.print("  topics: " + ", ".join(f"{t} ({n})" for t, n in topics.items()), markup=False)
        if not rows:
            out.print("No packs found.")
        out.print(f"[dim]Your own packs go in {settings.user_packs_path}[/dim]")
    for skipped in catalog.skipped:
        err.print(f"Skipped a broken pack:\n{skipped.message}", markup=False)


@packs_app.command("show")
def packs_show(
    name: Annotated[str, typer.Argument(help="Pack name (or file name).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List a pack's questions: id, topic, difficulty, key points, misconceptions, reference-only or not."""
    loaded = _catalog(state.settings()).get(name)
    rows = loaded.pack.question_rows()
    if as_json:
        out.print_json(json.dumps({"name": loaded.pack.name, "path": str(loaded.path), "questions": rows}))
        return
    out.print(f"{loaded.pack.name}  {loaded.pack.title}  ({len(rows)} questions, {loaded.path})", markup=False)
    out.print(f"  {'id':<44} {'topic':<20} diff  key pts  misconc.", markup=False, style="bold")
    for row in rows:
        points = "ref-only" if row["reference_only"] else row["key_points"]
        out.print(f"  {row['id']!s:<44} {row['topic']!s:<20} {row['difficulty']!s:>4}  {points!s:>7}  "
                  f"{row['misconceptions']!s:>8}", markup=False)


@packs_app.command("schema")
def packs_schema() -> None:
    """Print the pack JSON Schema (point your editor's YAML plugin at it)."""
    from interviewer.packs import pack_json_schema

    sys.stdout.write(pack_json_schema() + "\n")


@packs_app.command("new")
def packs_new(
    name: Annotated[str, typer.Argument(help="Pack name: lowercase letters, digits and '-'.")],
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: your packs folder).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a small valid pack to start from."""
    from interviewer.packs import scaffold_pack

    settings = state.settings()
    text = scaffold_pack(name)
    target = out_path or settings.user_packs_path / f"{name}.yaml"
    if target.exists() and not force:
        raise PackError(f"{target} already exists; pass --force to overwrite it", "Pack exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    out.print(
        f"Wrote {target}. Edit it, then check it with: interviewer packs validate {target}", markup=False
    )


# --- knowledge store --------------------------------------------------------------------------------------


@app.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Extra .md/.txt files or folders to add to the knowledge base."),
    ] = None,
    only: Annotated[
        bool, typer.Option("--only", help="Ingest only PATHS, not the built-in documents.")
    ] = False,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the store and build it again.")] = False,
    store_dir: Annotated[
        Path | None, typer.Option("--store", help="Store folder (default: from settings).")
    ] = None,
    store_url: StoreUrlOption = None,
) -> None:
    """Build or refresh the knowledge store (unchanged files are skipped)."""
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.ingest import default_roots, ingest

    settings = state.settings(store_dir=store_dir, store_url=store_url)
    extra = list(paths or [])
    if only and not extra:
        raise InterviewerError("--only needs at least one PATH to ingest", "Nothing to ingest")
    roots = extra if only else default_roots(_catalog(settings)) + extra
    embedder = default_embedder()

    if sys.stderr.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("Embedding chunks"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("embed", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = ingest(roots, settings.store_path, embedder, rebuild=rebuild, on_progress=on_progress,
                            store_url=settings.store_url)
    else:
        report = ingest(roots, settings.store_path, embedder, rebuild=rebuild, store_url=settings.store_url)
    for note in report.notes:
        err.print(f"Note: {note}", markup=False)
    for skipped in report.skipped:
        err.print(f"Skipped: {skipped}", markup=False)
    out.print(report.summary(), markup=False)


FusionOption = Annotated[
    str, typer.Option("--fusion", help="How dense and BM25 results are merged: zscore (default) or rrf.")
]


def _retriever(settings: Settings, fusion: str = "zscore"):  # type: ignore[no-untyped-def]
    from interviewer.wiring import build_retriever

    return build_retriever(settings, fusion)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look up.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many chunks to show.")] = 5,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Only this topic (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: a list of results.")] = False,
    store_dir: Annotated[
        Path | None, typer.Option("--store", help="Store folder (default: from settings).")
    ] = None,
    fusion: FusionOption = "zscore",
    store_url: StoreUrlOption = None,
) -> None:
    """Search the knowledge base (dense + BM25, fused)."""
    settings = state.settings(store_dir=store_dir, store_url=store_url)
    results = _retriever(settings, fusion).search(query, k=k, topics=topic or None)
    if as_json:
        sys.stdout.write(json.dumps([r.as_json() for r in results], indent=2, ensure_ascii=False) + "\n")
        return
    if not results:
        out.print("No matching reference material.")
    for rank, result in enumerate(results, start=1):
        out.print(
            f"[bold]{rank}. {result.source}[/bold]  [cyan]{result.heading}[/cyan]  [dim]score {result.score:.4f}[/dim]"
        )
        out.print(result.text, markup=False)
        out.print()


# --- grading --------------------------------------------------------------------------------------------------


def _grader(settings: Settings, model: Path | None, use_model: bool):  # type: ignore[no-untyped-def]
    from interviewer.wiring import build_grader

    return build_grader(settings, model, use_model, note=lambda text: err.print(text, markup=False))


def _print_grade(grade) -> None:  # type: ignore[no-untyped-def]
    from interviewer.plain import format_grade, printable

    for number, line in enumerate(format_grade(grade.model_dump(mode="json"))):
        out.print(printable(line), markup=False, style="bold" if number == 0 else None)


@app.command("grade")
def grade_command(
    pack: Annotated[str, typer.Option("--pack", help="Pack name.")],
    question: Annotated[str, typer.Option("--question", help="Question id.")],
    answer: Annotated[str | None, typer.Option("--answer", help="The answer text.")] = None,
    answer_file: Annotated[Path | None, typer.Option("--answer-file", help="Read the answer from a file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grade as JSON.")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (default: bundled).")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="Grade from evidence only.")] = False,
    store_url: StoreUrlOption = None,
    llm_url: LlmUrlOption = None,
) -> None:
    """Grade one answer against a question's rubric."""
    from interviewer.grading import grade_to_json

    if (answer is None) == (answer_file is None):
        raise InterviewerError("give exactly one of --answer or --answer-file", "No answer to grade")
    if answer_file is not None:
        try:
            answer = answer_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InterviewerError(f"cannot read {answer_file}: {exc}", "No answer to grade") from exc
    assert answer is not None
    settings = state.settings(model_path=model, store_url=store_url, llm_url=llm_url)
    target = _catalog(settings).get(pack).pack.question(question)
    grade = _grader(settings, model, use_model=not no_model).grade(target, answer)
    if as_json:
        sys.stdout.write(grade_to_json(grade) + "\n")
    else:
        _print_grade(grade)


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
    display, progress = _progress_callbacks("search")
    with display:
        report = evaluate_retrieval(_retriever(settings, fusion), cases, k=k, on_progress=progress("Searching"))
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


def _progress_callbacks(label: str):  # type: ignore[no-untyped-def]
    """A rich progress bar on a terminal, nothing otherwise; returns (context manager, callback factory)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext(), lambda _name: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)

    def factory(name: str):  # type: ignore[no-untyped-def]
        task = progress.add_task(name, total=None)
        return lambda done, total: progress.update(task, completed=done, total=total)

    return progress, factory


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
        questions = {q.id: q for loaded in _catalog(settings).packs for q in loaded.pack.questions}
        for pack_file in pack_files or []:
            questions.update({q.id: q for q in load_pack(pack_file).pack.questions})
        cases = with_pack_questions(cases, questions)
    if with_model:
        _measure_model_weight(settings, model, cases, f"{path.name} ({len(cases)} rows, seed {seed})", seed, as_json,
                              weights_file or settings.data_dir / "model_weights.json" if write_calibration else None)
        return
    # `--with-model` returned above: the model's say is measured there; this path grades from evidence.
    grader = Grader(embedder=default_embedder(), llm=None, seed=settings.seed,
                    verifier=None if no_verifier else default_verifier())
    started = _time.perf_counter()
    display, progress = _progress_callbacks("grade")
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


def _measure_model_weight(settings: Settings, model: Path | None, cases: list[Any], measured_on: str, seed: int,
                          as_json: bool, write_to: Path | None) -> None:
    """`eval grading --with-model`: agreement without and with the model's verdicts, and the weight they earn."""
    from interviewer.evaluation.model_weight import measure_model_weight
    from interviewer.grading.model_weight import lookup_weight, weights_files, write_weight
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.wiring import build_llm

    llm = build_llm(settings, model)
    current, _entry = lookup_weight(llm, weights_files(settings.data_dir))
    display, progress = _progress_callbacks("grade")
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
    questions = sample_questions(_catalog(settings).get(pack).pack.questions, limit, seed)
    llm = build_llm(settings, model)
    if not hasattr(llm, "chat_model"):
        raise ModelError("follow-ups are written by an in-process model only; pass --model FILE", "Cannot measure")
    from interviewer.agent.tools import ToolBox

    toolbox = ToolBox(RetrieverOnFirstSearch(settings, lambda text: err.print(text, markup=False)), None, pack,
                      sorted({question.topic for question in questions}))
    display, progress = _progress_callbacks("follow-up")
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
    questions = {question.id: question for question in _catalog(settings).get(pack).pack.questions}
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


# --- interview, history, reports ---------------------------------------------------------------------------


def _split_topics(topics: str | None) -> list[str]:
    return [topic.strip() for topic in (topics or "").split(",") if topic.strip()]


def run_interview(
    *, pack: str = "genai-core", topics: str | None = None, questions: int = 5, mode: str = "practice",
    difficulty: int = 2, time_limit: int | None = None, follow_ups: int | None = None, resume: str | None = None,
    model: Path | None = None, no_model: bool = False, quiet_tools: bool = False, plain: bool = False,
    store_url: str | None = None, llm_url: str | None = None,
) -> None:
    from interviewer.agent.planning import SessionPlan

    if mode not in ("practice", "exam"):
        raise InterviewerError("--mode must be practice or exam", "Unknown mode")
    if time_limit is not None and mode != "exam":
        raise InterviewerError("--time-limit applies to exam mode; add --mode exam", "Time limit without an exam")
    settings = state.settings(model_path=model, store_url=store_url, llm_url=llm_url)
    catalog = _catalog(settings)
    plan: SessionPlan | None = None
    if resume is None:  # a wrong pack or topic is reported before any model is loaded
        chosen = catalog.get(pack).pack
        plan = SessionPlan.model_validate({
            "pack": chosen.name, "topics": _split_topics(topics), "questions": questions,
            "mode": mode, "difficulty": difficulty, "time_limit_s": time_limit if mode == "exam" else None,
            "max_follow_ups": settings.max_follow_ups if follow_ups is None else follow_ups,
        })
        plan.check_topics(chosen)
    if not plain and _interactive():
        _open_tui(settings, plan=plan, resume=resume is not None,
                  resume_id=None if resume in (None, "latest") else resume, model=model, use_model=not no_model,
                  catalog=catalog)
        return
    _run_plain(settings, catalog, plan, resume=resume, model=model, no_model=no_model, quiet_tools=quiet_tools)


def _run_plain(settings: Settings, catalog: Any, plan: Any, *, resume: str | None, model: Path | None,
               no_model: bool, quiet_tools: bool) -> None:
    from interviewer.plain import PlainInterview, stdin_lines
    from interviewer.wiring import open_interview

    session = open_interview(settings, model, use_model=not no_model,
                             note=lambda text: err.print(text, markup=False), catalog=catalog)
    try:
        # Words wrap at the terminal's width; piped output keeps whole lines for scripts and screen readers.
        console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
        plain = PlainInterview(session, console, show_tools=not quiet_tools, echo_answers=not sys.stdin.isatty())
        if resume is not None:
            step, earlier = session.resume(None if resume == "latest" else resume)
            answered = sum(1 for item in earlier if item.type == "answer")
            out.print(f"Resuming session {step.session_id} ({answered} answers so far).", markup=False)
        else:
            assert plan is not None
            waiting = session.resumable()
            if waiting:
                err.print(f"Note: {len(waiting)} unfinished session{'s' if len(waiting) != 1 else ''} "
                          f"(newest {waiting[0]}); `interviewer interview --resume` continues it.", markup=False)
            step = session.start(plan)
            out.print(f"Session {step.session_id}.", markup=False)
        resume_hint = f"resume with `interviewer interview --resume {step.session_id}`"
        try:
            finished = plain.run(step, stdin_lines(sys.stdin))
        except KeyboardInterrupt:
            err.print(f"\nInterrupted. Every answer so far is saved; {resume_hint}.", markup=False)
            raise typer.Exit(130) from None
        except InterviewerError as exc:
            raise InterviewerError(f"{exc.message}. Every answer so far is saved; {resume_hint}.", exc.title) from exc
        except Exception as exc:  # noqa: BLE001 — an unexpected failure still tells the user their work is safe
            raise InterviewerError(f"{type(exc).__name__}: {exc}. Every answer so far is saved; {resume_hint}.",
                                   "Interview stopped") from exc
        if finished and plain.summary and plain.summary.get("questions_answered"):
            out.print(f"Report: interviewer report {step.session_id} --format md", markup=False)
    finally:
        session.close()


@app.command("interview")
def interview_command(
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain stdin/stdout instead of the full-screen UI (automatic when piped).")
    ] = False,
    pack: Annotated[str, typer.Option("--pack", help="Question pack.")] = "genai-core",
    topics: Annotated[str | None, typer.Option("--topics", help="Comma-separated topic ids (default: all).")] = None,
    questions: Annotated[int, typer.Option("--questions", min=1, max=100, help="Main questions.")] = 5,
    mode: Annotated[str, typer.Option("--mode", help="practice (hints) or exam (timed, no hints).")] = "practice",
    difficulty: Annotated[int, typer.Option("--difficulty", min=1, max=3, help="Starting difficulty.")] = 2,
    time_limit: Annotated[
        int | None, typer.Option("--time-limit", min=10, help="Exam mode: seconds per question.")
    ] = None,
    follow_ups: Annotated[
        int | None, typer.Option("--follow-ups", min=0, max=5, help="Follow-ups per question (default 2).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Resume a saved session: SESSION_ID, else the newest unfinished one.")
    ] = False,
    session_id: Annotated[str | None, typer.Argument(help="With --resume: which session.")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (default: bundled).")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="No language model: evidence-only grading.")] = False,
    quiet_tools: Annotated[bool, typer.Option("--quiet-tools", help="Do not print the interviewer's lookups.")] = False,
    store_url: StoreUrlOption = None,
    llm_url: LlmUrlOption = None,
) -> None:
    """Run an interview: questions, grades, follow-ups, hints and a summary. Answers end with a line '.'."""
    if session_id is not None and not resume:
        raise InterviewerError("a session id is only used with --resume", "Unexpected argument")
    run_interview(pack=pack, topics=topics, questions=questions, mode=mode, difficulty=difficulty,
                  time_limit=time_limit, follow_ups=follow_ups, resume=(session_id or "latest") if resume else None,
                  model=model, no_model=no_model, quiet_tools=quiet_tools, plain=plain, store_url=store_url,
                  llm_url=llm_url)


def _all_sessions() -> list[dict]:  # type: ignore[type-arg]
    """Every session in the history database, newest first."""
    from interviewer.records.history import History

    history = History(state.settings().history_path)
    try:
        return history.sessions()
    finally:
        history.close()


@app.command("history")
def history_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    disputes: Annotated[
        bool, typer.Option("--disputes", help="List the grades you disputed instead of the sessions.")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="With --disputes: the CSV `interviewer eval grading --dataset` reads.")
    ] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="With --disputes --csv: write to this file instead of stdout.")
    ] = None,
    verifier_pairs_file: Annotated[
        Path | None, typer.Option("--verifier-pairs", help="With --disputes: write the verifier training pairs "
                                  "your disputes of 'wrong' verdicts propose (JSON Lines, to review and add to "
                                  "knowledge/verifier/pairs.jsonl).")
    ] = None,
) -> None:
    """List past sessions with their questions, answers and grades (with --disputes: the grades you disputed)."""
    if (as_csv or out_file is not None) and not disputes:
        raise InterviewerError("--csv and --out apply to --disputes", "Unexpected option")
    if as_csv and as_json:
        raise InterviewerError("choose one of --csv and --json", "Two output formats")
    if out_file is not None and not as_csv:
        raise InterviewerError("--out writes the CSV; add --csv", "Unexpected option")
    if verifier_pairs_file is not None and not disputes:
        raise InterviewerError("--verifier-pairs applies to --disputes", "Unexpected option")
    if verifier_pairs_file is not None:
        _write_verifier_pairs(verifier_pairs_file)
        return
    if disputes:
        _print_disputes(as_json=as_json, as_csv=as_csv, out_file=out_file)
        return
    sessions = _all_sessions()
    if as_json:
        sys.stdout.write(json.dumps(sessions, indent=2, ensure_ascii=False) + "\n")
        return
    if not sessions:
        out.print("No sessions yet. Start one with `interviewer interview`.")
        return
    for session in sessions:
        main = [a for a in session["attempts"] if a["kind"] == "question"]
        scores = [a["overall"] for a in _final_attempts(session["attempts"]) if a["overall"] is not None]
        status = "finished" if session["finished_at"] else "unfinished"
        mean = f"mean {sum(scores) / len(scores):.1f}/5" if scores else "not graded"
        out.print(f"[bold]{session['id']}[/bold]  {session['started_at'][:16].replace('T', ' ')}  "
                  f"{session['pack']}  {session['mode']}  {len(main)} questions  {mean}  ({status})")
        for attempt in _final_attempts(session["attempts"]):
            score = f"{attempt['overall']:.1f}" if attempt["overall"] is not None else "  - "
            # The step id is what `interviewer dispute` takes.
            step = f"  ({attempt['turn']})" if attempt.get("turn") else ""
            out.print(f"    {score}  {attempt['topic']:<16} {attempt['question_id']}{step}", markup=False)
    _print_topic_trends(sessions)


def _write_verifier_pairs(target: Path) -> None:
    from interviewer.records.disputes import verifier_pairs
    from interviewer.records.history import History

    history = History(state.settings().history_path)
    try:
        pairs = verifier_pairs(history.disputes())
    finally:
        history.close()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs), encoding="utf-8")
    except OSError as exc:
        raise InterviewerError(f"cannot write {target}: {exc}", "Cannot write the pairs") from exc
    out.print(f"{len(pairs)} verifier pair(s) proposed by your disputes written to {target}; review the labels, "
              "then add them to knowledge/verifier/pairs.jsonl and run `make verifier`.", markup=False)


def _print_disputes(*, as_json: bool, as_csv: bool, out_file: Path | None) -> None:
    from interviewer.records.history import History

    history = History(state.settings().history_path)
    try:
        disputes = history.disputes()
    finally:
        history.close()
    if as_json:
        sys.stdout.write(json.dumps(disputes, indent=2, ensure_ascii=False) + "\n")
        return
    if not disputes:
        # With --csv the notice goes to stderr: stdout may be redirected into what should be a dataset.
        (err if as_csv else out).print(
            "No disputed grades. Dispute one with `interviewer dispute SESSION TURN SCORE --note '...'`.",
            markup=False,
        )
        return
    if as_csv:
        _write_disputes_csv(disputes, out_file)
        return
    for dispute in disputes:
        given = "  - " if dispute["overall"] is None else f"{dispute['overall']:.1f}"
        out.print(
            f"{given} -> {dispute['dispute_score']:.1f}  {dispute['question_id']}  "
            f"({dispute['session_id']} {dispute['turn']}, {dispute['disputed_at'][:16].replace('T', ' ')})",
            markup=False,
        )
        if dispute["dispute_note"]:
            out.print(f"    {dispute['dispute_note']}", markup=False)


def _write_disputes_csv(disputes: list[dict], out_file: Path | None) -> None:  # type: ignore[type-arg]
    import io

    from interviewer.records.disputes import grading_rows, write_grading_csv

    catalog = _catalog(state.settings())
    result = grading_rows(disputes, {loaded.pack.name: loaded.pack for loaded in catalog.packs})
    for reason in result.skipped:
        err.print(f"Skipped a dispute: {reason}", markup=False)
    if out_file is None:
        buffer = io.StringIO(newline="")
        write_grading_csv(result.rows, buffer)
        sys.stdout.write(buffer.getvalue())
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        with out_file.open("w", newline="", encoding="utf-8") as handle:
            write_grading_csv(result.rows, handle)
    except OSError as exc:
        raise InterviewerError(f"cannot write {out_file}: {exc.strerror}", "Disputes not written") from exc
    out.print(
        f"{len(result.rows)} disputed grade{'s' if len(result.rows) != 1 else ''} written to {out_file}; "
        f"check them with: interviewer eval grading --dataset {out_file}",
        markup=False,
    )


@app.command("dispute")
def dispute_command(
    session_id: Annotated[str, typer.Argument(help="The session (see `interviewer history`).")],
    turn: Annotated[str, typer.Argument(help="The step: q3 for the third question's answer, q3.f1 for its follow-up.")],
    score: Annotated[float, typer.Argument(help="The score you think is fair, 0 to 5 (one decimal).")],
    note: Annotated[str, typer.Option("--note", help="Why the grade is wrong.")] = "",
) -> None:
    """Dispute a grade: record the score you think is fair. The grade stays; the report shows both."""
    from interviewer.records.history import History

    history = History(state.settings().history_path)
    try:
        history.record_dispute(session_id, turn, score, note)
    finally:
        history.close()
    out.print(
        f"Recorded: you think {round(score, 1):.1f}/5 is fair for {turn} of session {session_id}. "
        "`interviewer history --disputes --csv` exports your disputes for `interviewer eval grading`.",
        markup=False,
    )


def _print_topic_trends(sessions: list[dict]) -> None:  # type: ignore[type-arg]
    """Per topic, oldest session first: how many questions, the mean, and the first and latest scores."""
    scores: dict[str, list[float]] = {}
    for session in reversed(sessions):
        for attempt in _final_attempts(session["attempts"]):
            if attempt["overall"] is not None:
                scores.setdefault(attempt["topic"], []).append(float(attempt["overall"]))
    if not scores:
        return
    out.print()
    out.print("[bold]By topic[/bold] (weakest first)")
    for topic, values in sorted(scores.items(), key=lambda item: sum(item[1]) / len(item[1])):
        trend = f"  {values[0]:.1f} -> {values[-1]:.1f}" if len(values) > 1 else ""
        out.print(f"    {sum(values) / len(values):.1f}  {topic:<16} {len(values)} answered{trend}", markup=False)


def _final_attempts(attempts: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    """Per question, the attempt holding its final grade (a follow-up's supersedes), else its last attempt."""
    from interviewer.records.report import attempts_by_question, last_graded_attempt

    return [last_graded_attempt(group) or group[-1] for group in attempts_by_question(attempts).values()]


@app.command("report")
def report_command(
    session_id: Annotated[str | None, typer.Argument(help="Session id (default: the most recent).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write a report of one session: every question, answer, grade, follow-up and what to study."""
    from interviewer.records.report import build_report, render_html, render_json, render_markdown

    renderers = {"md": render_markdown, "html": render_html, "json": render_json}
    if fmt not in renderers:
        raise InterviewerError("--format must be md, html or json", "Unknown format")
    sessions = _all_sessions()
    if not sessions:
        raise InterviewerError("there are no sessions yet", "Nothing to report")
    chosen = sessions[0] if session_id is None else next((s for s in sessions if s["id"] == session_id), None)
    if chosen is None:
        raise InterviewerError(f"no session '{session_id}' (see `interviewer history`)", "Unknown session")
    catalog = _catalog(state.settings())
    pack = next((loaded.pack for loaded in catalog.packs if loaded.pack.name == chosen["pack"]), None)
    text = renderers[fmt](build_report(chosen, pack))
    if out_file is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        out_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InterviewerError(f"cannot write {out_file}: {exc.strerror}", "Report not written") from exc
    out.print(f"Report written to {out_file}", markup=False)


@export_app.command("anki")
def export_anki_command(
    out_file: Annotated[Path, typer.Option("--out", help="The deck file to write.")] = Path("interviewer-missed.apkg"),
) -> None:
    """Turn the key points you missed into an Anki flashcard deck."""
    from interviewer.records.anki import export_missed_key_points

    sessions = _all_sessions()
    catalog = _catalog(state.settings())
    cards = export_missed_key_points(sessions, out_file, {loaded.pack.name: loaded.pack for loaded in catalog.packs})
    if cards == 0:
        out.print("Nothing to export: no missed key points in your history yet.")
    else:
        out.print(f"{cards} cards written to {out_file}", markup=False)


@app.command("bench")
def bench_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures and the CPU as JSON.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repeats and no full-corpus embedding (a check, "
                                                        "not a measurement).")] = False,
) -> None:
    """Measure speed on this machine and print one table: --help, TUI launch, ingest, retrieval, grading, a graph
    turn, tokens/s, peak RSS and the CPU. Takes a few minutes (--quick: about one)."""
    from rich.table import Table

    from interviewer.evaluation.bench import render_markdown, run_all

    report = run_all(quick=quick, status=(lambda line: err.print(line, markup=False)) if err.is_terminal
                     else (lambda _line: None))
    if as_json:
        out.print_json(json.dumps(report.as_json()))
    elif out.is_terminal:
        table = Table(title=f"interviewer bench{' --quick' if quick else ''} ({report.seconds:.0f} s)")
        table.add_column("what")
        table.add_column("result")
        for row in report.rows:
            table.add_row(row.what, row.text())
        out.print(table)
    else:
        out.print(render_markdown(report), markup=False)


def main() -> None:
    try:
        app()
    except InterviewerError as exc:
        err.print(f"[bold red]Error: {exc.title}[/bold red]")
        err.print(exc.message, markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)


if __name__ == "__main__":
    main()
