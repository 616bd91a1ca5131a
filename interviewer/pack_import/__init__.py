"""Importing questions a learner already has into a question pack: `interviewer packs import FILE`.

Formats, chosen by the file's extension:
- .csv / .tsv / .tab (and .txt holding tab-separated rows or Anki's "Notes in Plain Text" export): columns
  question and answer (header names matched loosely: Front/Back, Q/A, prompt/response...), optional topic,
  difficulty and tags; a file without a header uses its first two columns.
- .md / .markdown (and other .txt): `## Question` headings with the answer below, or `Q:` / `A:` line pairs.
- .apkg / .colpkg: an Anki package; basic notes give front -> back, cloze notes one question per deletion number.

Limits, checked before anything is read: a text file may be at most MAX_TEXT_BYTES (20 MB), an Anki package at most
MAX_PACKAGE_BYTES (512 MB; only its collection is read, never its media). This module owns choosing the reader and
these checks; readers (tabular, markdown, anki) turn a file into cards, writer.py applies the pack rules and writes
the pack and its notes, summary.py reports.
"""

from __future__ import annotations

import re
from pathlib import Path

from interviewer.errors import PackImportError
from interviewer.pack_import.cards import ReadResult, Skip, decode_text, slugify, title_from_stem
from interviewer.pack_import.summary import (
    ImportSummary,
    SkippedRow,
    group_by_reason,
    next_commands,
    summary_lines,
)
from interviewer.pack_import.writer import Plan, Written, plan_pack, write_pack
from interviewer.text import reference_is_a_rubric

__all__ = ["MAX_PACKAGE_BYTES", "MAX_TEXT_BYTES", "ImportSummary", "PackImportError", "import_file",
           "summary_lines"]

MAX_TEXT_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_BYTES = 512 * 1024 * 1024
TABULAR_SUFFIXES = (".csv", ".tsv", ".tab")
MARKDOWN_SUFFIXES = (".md", ".markdown")
ANKI_SUFFIXES = (".apkg", ".colpkg")
_KNOWN = ", ".join((*TABULAR_SUFFIXES, *MARKDOWN_SUFFIXES, ".txt", *ANKI_SUFFIXES))


def import_file(path: Path, *, packs_dir: Path, name: str | None = None, topic: str | None = None,
                force: bool = False) -> ImportSummary:
    """Read `path`, write the pack `name` (default: from the file name) and its notes into `packs_dir`.

    Raises PackImportError, with one line saying what is wrong, for a file that cannot be imported: unknown type,
    unreadable, too large, binary, not an Anki package, or without a single usable question.
    """
    suffix = path.suffix.lower()
    _check_file(path, suffix)
    read = _read(path, suffix)
    pack_name = _pack_name(name, path)
    forced_topic = topic.strip() if topic and topic.strip() else None
    plan = plan_pack(read, name=pack_name, title=read.title or title_from_stem(path.stem), source=path.name,
                     topic=forced_topic, fallback_topic=title_from_stem(path.stem))
    if not plan.questions:
        raise PackImportError(_nothing_usable(path, plan))
    written = write_pack(plan, packs_dir, force=force)
    return _summary(plan, read, written)


def _check_file(path: Path, suffix: str) -> None:
    try:
        if path.is_dir():
            raise PackImportError(f"{path} is a folder; give one file ({_KNOWN})")
        size = path.stat().st_size
        with path.open("rb"):  # readable at all (permissions), before anything is parsed
            pass
    except OSError as exc:
        raise PackImportError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if suffix not in (*TABULAR_SUFFIXES, *MARKDOWN_SUFFIXES, ".txt", *ANKI_SUFFIXES):
        raise PackImportError(f"{path}: cannot import '{suffix or 'no extension'}' files; import one of {_KNOWN}")
    limit = MAX_PACKAGE_BYTES if suffix in ANKI_SUFFIXES else MAX_TEXT_BYTES
    if size > limit:
        raise PackImportError(f"{path} is {size / (1024 * 1024):.0f} MB, more than the {limit // (1024 * 1024)} MB "
                              "an import reads; split it into smaller files")


def _read(path: Path, suffix: str) -> ReadResult:
    if suffix in ANKI_SUFFIXES:
        from interviewer.pack_import.anki import read_anki

        return read_anki(path)
    from interviewer.pack_import.markdown import read_markdown
    from interviewer.pack_import.tabular import read_tabular

    label = "Markdown" if suffix in MARKDOWN_SUFFIXES else "CSV/TSV" if suffix in TABULAR_SUFFIXES else "plain"
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PackImportError(f"cannot read {path}: {exc.strerror or exc}") from exc
    text, encoding = decode_text(raw, path, label)
    tabular = suffix in TABULAR_SUFFIXES or (suffix == ".txt" and _looks_tabular(text))
    read = read_tabular(text, path) if tabular else read_markdown(text)
    if encoding:
        read.notices.insert(0, Skip("the whole file", f"read as {encoding} (it is not UTF-8)"))
    return read


def _looks_tabular(text: str) -> bool:
    """A .txt file is tab-separated rows (Anki's text export) when most of its first lines hold a tab."""
    lines = [line for line in text.split("\n", 40)[:40] if line.strip()]
    if lines and lines[0].startswith(("#separator:", "#html:")):
        return True
    return bool(lines) and sum("\t" in line for line in lines) * 2 > len(lines)


_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _pack_name(name: str | None, path: Path) -> str:
    pack_name = slugify(name if name is not None else path.stem)
    if not pack_name or not _SLUG.match(pack_name):
        given = f"--name '{name}'" if name is not None else f"the file name '{path.stem}'"
        raise PackImportError(f"cannot make a pack name from {given}; pass --name with letters and digits, "
                              "e.g. --name my-questions")
    if pack_name in _builtin_names():
        raise PackImportError(f"'{pack_name}' is the name of a built-in pack; choose another with --name")
    return pack_name


def _builtin_names() -> set[str]:
    """Names a user pack must not take: it would replace the built-in pack of that name."""
    from interviewer.packs import pack_files
    from interviewer.resources import builtin_packs_dir

    names: set[str] = set()
    try:
        for file in pack_files(builtin_packs_dir()):
            names.add(file.stem)
            with file.open(encoding="utf-8", errors="replace") as handle:
                head = handle.read(4096)
            names.update(re.findall(r"^name:\s*['\"]?([a-z0-9._-]+)", head, re.MULTILINE))
    except OSError:  # an installation without its knowledge/ folder: nothing to protect
        pass
    return names


def _nothing_usable(path: Path, plan: Plan) -> str:
    if not plan.skipped:
        hint = ("use '## Question' headings with the answer below, or Q:/A: lines"
                if plan.format == "markdown" else "each row needs a question and an answer")
        return f"found no questions in {path}: {hint}"
    reasons = "; ".join(f"{group.count} {group.reason} (e.g. {group.examples[0]})"
                        for group in group_by_reason(plan.skipped))
    return f"no usable questions in {path}: {reasons}"


def _summary(plan: Plan, read: ReadResult, written: Written) -> ImportSummary:
    ids = [question.id for question in plan.questions]
    previous = set(written.previous_ids or [])
    topics = {slug: sum(q.topic == slug for q in plan.questions) for slug in plan.topics}
    return ImportSummary(
        pack=plan.name, title=plan.title, source=plan.source, format=plan.format,
        pack_path=str(written.pack_path), notes_path=str(written.notes_path),
        imported=len(ids), topics=topics, skipped=len(plan.skipped),
        skipped_reasons=group_by_reason(plan.skipped),
        skipped_rows=[SkippedRow(where=s.where, reason=s.reason, text=s.text) for s in plan.skipped],
        notices=group_by_reason(read.notices), media_skipped=read.media_skipped,
        terse_answers=sum(not reference_is_a_rubric(q.answer) for q in plan.questions),
        replaced=written.previous_ids is not None,
        added=sum(i not in previous for i in ids), kept=sum(i in previous for i in ids),
        removed=len(previous - set(ids)), next_commands=next_commands(plan.name),
    )
