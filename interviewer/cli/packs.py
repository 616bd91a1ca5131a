"""`interviewer packs ...`: list, show, validate and scaffold question packs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interviewer.cli.common import (
    err,
    load_catalog,
    out,
    packs_app,
    progress_callbacks,
    state,
)
from interviewer.errors import PackError

if TYPE_CHECKING:
    from interviewer.config import Settings


# --- packs ------------------------------------------------------------------------------------------------


def known_sections(settings: Settings, extra_docs: list[Path]) -> dict[str, set[str]]:
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
    """Check pack files; print every problem as file:line:column: message, in one run, and warnings."""
    from interviewer.packs import pack_files, validate_pack_file

    settings = state.settings()
    files: list[Path] = []
    for path in paths:
        files.extend(pack_files(path) if path.is_dir() else [path])
    if not files:
        raise PackError("no .yaml pack files found in the given paths", "Nothing to validate")
    failed = 0
    for path in files:
        pack, problems = validate_pack_file(path, lambda documents: known_sections(settings, documents))
        for problem in problems:
            err.print(str(problem), markup=False)
        if pack is None:
            failed += 1
        else:
            warnings = sum(1 for problem in problems if problem.severity == "warning")
            counts = [(len(pack.questions), "question"), (len(pack.topics), "topic")] + (
                [(warnings, "warning")] if warnings else [])
            out.print(f"{path}: ok ({', '.join(f'{n} {noun}' + ('s' if n != 1 else '') for n, noun in counts)})",
                      markup=False)
    if failed:
        err.print(f"{failed} of {len(files)} pack file(s) have problems", markup=False)
        raise typer.Exit(1)


@packs_app.command("list")
def packs_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the built-in and user packs with their topics; report packs that were skipped."""
    settings = state.settings()
    catalog = load_catalog(settings)
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
    loaded = load_catalog(state.settings()).get(name)
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
    """Write a complete, commented example pack (and the notes document it cites) to start from."""
    from interviewer.packs import notes_file_name, scaffold_notes, scaffold_pack

    settings = state.settings()
    text = scaffold_pack(name)
    target = out_path or settings.user_packs_path / f"{name}.yaml"
    notes = target.with_name(notes_file_name(name))
    for path in (target, notes):
        if path.exists() and not force:
            raise PackError(f"{path} already exists; pass --force to overwrite it", "Pack exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    notes.write_text(scaffold_notes(name), encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    out.print(f"Wrote {target} and its notes, {notes.name}. Edit them, then check the pack with: "
              f"interviewer packs validate {target}", markup=False)


@packs_app.command("import")
def packs_import(
    path: Annotated[Path, typer.Argument(help="A .csv/.tsv file, a Markdown Q&A list (.md) or an Anki deck (.apkg).")],
    name: Annotated[
        str | None, typer.Option("--name", help="The pack's name, a slug (default: from the file name).")
    ] = None,
    topic: Annotated[str | None, typer.Option("--topic", help="Put every question under this one topic.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a pack of that name even if an import did not write it.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Turn questions you already have into a pack in your packs folder.

    CSV/TSV (question, answer; optional topic, difficulty, tags), Markdown (`## Question` headings or Q:/A: lines)
    or an Anki package (basic and cloze notes; media left out). Text files up to 20 MB, Anki packages up to 512 MB.
    Importing the same file again updates the pack in place: question ids come from the question text.
    """
    from interviewer.pack_import import import_file, summary_lines

    settings = state.settings()
    summary = import_file(path, packs_dir=settings.user_packs_path, name=name, topic=topic, force=force)
    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
        return
    for line in summary_lines(summary):
        out.print(line, markup=False)


@packs_app.command("check")
def packs_check(
    name: Annotated[str, typer.Argument(help="The pack's name (see `interviewer packs list`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print every check as JSON.")] = False,
) -> None:
    """Self-test a pack before practising: each reference answer should score >= 4.5, the question itself and
    "I don't know" 0, each misconception <= 1.5. Lists the questions that fail and what to reword."""
    from dataclasses import replace

    from rich.table import Table
    from rich.text import Text

    from interviewer.evaluation.pack_check import check_pack
    from interviewer.wiring import build_grader

    settings = state.settings()
    loaded = load_catalog(settings).get(name)
    # Evidence only, without citations: the check is about scores, and needs neither the model nor the store.
    grader = replace(build_grader(settings, None, use_model=False), retriever=None)
    context, progress = progress_callbacks("Checking")
    with context:
        report = check_pack(grader, loaded.pack.name, loaded.pack.questions, on_progress=progress("Grading"))
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        failing = report.failing_questions()
        out.print(f"{report.pack}: {report.questions - len(failing)} of {report.questions} questions pass "
                  f"({len(report.results)} checks, {len(report.failures)} failed)", markup=False)
        if report.failures:
            table = Table("score", "should be", "what to change", show_lines=True)
            table.columns[0].justify = "right"
            table.columns[2].ratio = 1
            for result in report.failures:
                # The id on its own line above the reason: ids are long, and a narrow column would cut them.
                table.add_row(f"{result.score:.1f}", result.expected,
                              Text.assemble((f"{result.question_id} ({result.kind})", "bold"), "\n", result.fix))
            out.print(table)
    if report.failures:
        raise typer.Exit(1)
