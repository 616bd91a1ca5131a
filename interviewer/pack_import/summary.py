"""What an import reports: the summary `interviewer packs import` prints (as text, or as JSON with --json).

Owns grouping the skipped rows by reason (with a few examples each, so a 2,000-card deck with 300 image-only
answers prints one line, not 300) and the wording of the text summary.
"""

from __future__ import annotations

from pydantic import BaseModel

from interviewer.pack_import.cards import Skip
from interviewer.text import RUBRIC_SENTENCES, RUBRIC_WORDS

_EXAMPLES = 4


class SkippedRow(BaseModel):
    where: str
    reason: str
    text: str = ""


class ReasonGroup(BaseModel):
    """Rows left out (or changed) for one reason: how many, and the first few, as `line 5 "What is…"`."""

    reason: str
    count: int
    examples: list[str]


class ImportSummary(BaseModel):
    pack: str
    title: str
    source: str
    format: str
    pack_path: str
    notes_path: str
    imported: int
    topics: dict[str, int]
    skipped: int
    skipped_reasons: list[ReasonGroup]
    skipped_rows: list[SkippedRow]
    notices: list[ReasonGroup]
    media_skipped: int
    # Imported answers too terse to grade on their sentences (text.reference_is_a_rubric): each question is matched
    # against its answer as a whole, which cannot see an answer that reverses it.
    terse_answers: int = 0
    replaced: bool  # an earlier import of the same name was rewritten in place
    added: int
    kept: int
    removed: int
    next_commands: list[str]


def _example(skip: Skip) -> str:
    return f'{skip.where} "{skip.text}"' if skip.text else skip.where


def group_by_reason(skips: list[Skip]) -> list[ReasonGroup]:
    """One group per reason, in the order the reasons first occur."""
    groups: dict[str, list[Skip]] = {}
    for skip in skips:
        groups.setdefault(skip.reason, []).append(skip)
    return [ReasonGroup(reason=reason, count=len(found), examples=[_example(s) for s in found[:_EXAMPLES]])
            for reason, found in groups.items()]


def next_commands(pack: str) -> list[str]:
    return [f"interviewer packs show {pack}", "interviewer ingest", f"interviewer interview --pack {pack}"]


def _group_line(group: ReasonGroup) -> str:
    more = group.count - len(group.examples)
    return f"  {group.reason} ({group.count}): " + "; ".join(group.examples) + (f"; and {more} more" if more else "")


def summary_lines(summary: ImportSummary) -> list[str]:
    """The summary as a person reads it: what was imported, what was not and why, where it went, what next."""
    plural = "s" if summary.imported != 1 else ""
    lines = [f"Imported {summary.imported} question{plural} from {summary.source} ({summary.format}) into the pack "
             f"'{summary.pack}'."]
    if summary.replaced:
        lines.append(f"  It replaces the earlier import in place: {summary.kept} kept, {summary.added} new, "
                     f"{summary.removed} no longer in the file.")
    lines.append("  Topics: " + ", ".join(f"{topic} ({count})" for topic, count in summary.topics.items()))
    if summary.terse_answers:
        lines.append(f"  {summary.terse_answers} of {summary.imported} answers are too short to grade on their "
                     f"sentences (under {RUBRIC_SENTENCES} sentences, or two under {RUBRIC_WORDS} words): such a "
                     "question is matched against its answer as a whole, and an answer that reverses it can score "
                     "like a right one. Add key points to the ones that matter; "
                     f"`interviewer packs validate {summary.pack_path}` lists them.")
    if summary.skipped:
        lines.append(f"Skipped {summary.skipped}:")
        lines.extend(_group_line(group) for group in summary.skipped_reasons)
    if summary.notices:
        lines.append("Imported with a change:")
        lines.extend(_group_line(group) for group in summary.notices)
    if summary.media_skipped:
        lines.append(f"Media skipped: {summary.media_skipped} image(s) or sound(s); only text is imported.")
    lines += [f"Pack:  {summary.pack_path}", f"Notes: {summary.notes_path} (the answers; questions cite them)",
              "Next:"]
    notes = {"interviewer ingest": "   (adds the notes to the knowledge store, so feedback can quote them)"}
    lines += [f"  {command}{notes.get(command, '')}" for command in summary.next_commands]
    return lines
