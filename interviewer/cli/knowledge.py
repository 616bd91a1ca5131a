"""`interviewer ingest` and `interviewer search`: build the knowledge store and query it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from interviewer.cli.common import (
    FusionOption,
    StoreDirOption,
    StoreUrlOption,
    app,
    err,
    load_catalog,
    open_retriever,
    out,
    state,
)
from interviewer.errors import InterviewerError

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
    store_dir: StoreDirOption = None,
    store_url: StoreUrlOption = None,
) -> None:
    """Build or refresh the knowledge store (unchanged files are skipped)."""
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.ingest import default_roots, ingest

    settings = state.settings(store_dir=store_dir, store_url=store_url)
    extra = list(paths or [])
    if only and not extra:
        raise InterviewerError("--only needs at least one PATH to ingest", "Nothing to ingest")
    catalog = load_catalog(settings)
    roots = extra if only else default_roots(catalog) + extra
    section_topics = catalog.section_topics()
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
                            store_url=settings.store_url, section_topics=section_topics)
    else:
        report = ingest(roots, settings.store_path, embedder, rebuild=rebuild, store_url=settings.store_url,
                        section_topics=section_topics)
    for note in report.notes:
        err.print(f"Note: {note}", markup=False)
    for skipped in report.skipped:
        err.print(f"Skipped: {skipped}", markup=False)
    out.print(report.summary(), markup=False)


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to look up.")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="How many chunks to show.")] = 5,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Only this topic (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: a list of results.")] = False,
    store_dir: StoreDirOption = None,
    fusion: FusionOption = "zscore",
    store_url: StoreUrlOption = None,
) -> None:
    """Search the knowledge base (dense + BM25, fused)."""
    settings = state.settings(store_dir=store_dir, store_url=store_url)
    results = open_retriever(settings, fusion).search(query, k=k, topics=topic or None)
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
