"""From cards to a pack on disk: the pack rules, stable ids, topics, the notes document, the YAML, the safe write.

Owns everything that does not depend on the source format. A question's id comes from its normalised text (first
words + a hash), so importing the same file again rewrites the pack in place and keeps each question's history.
The answers also go into a Markdown notes file beside the pack, one `## ` heading per question, and each question
cites its heading (`sections`), so feedback and citations point at the learner's own answers. Both files are
written to a staging folder, loaded back with the pack loader and the section check, and only then renamed into
the packs folder: a failed import leaves the previous pack untouched.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from interviewer.errors import PackImportError
from interviewer.pack_import.cards import (
    DEFAULT_DIFFICULTY,
    MIN_TEXT,
    ReadResult,
    Skip,
    clean,
    excerpt,
    short_hash,
    slugify,
)
from interviewer.packs import MAX_PACK_BYTES, PackValidationError, load_pack

NOTES_SUFFIX = "-notes.md"
# The first line of a generated file: only a file starting with it is overwritten without --force.
PACK_MARK = "# Imported with `interviewer packs import`"
NOTES_MARK = "<!-- Imported with `interviewer packs import`"
_ID_WORDS = 6
_HEADING_LIMIT = 90
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")  # as interviewer/retrieval/documents.py reads headings
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class PlannedQuestion:
    id: str
    topic: str
    difficulty: int
    question: str
    answer: str
    tags: list[str]
    heading: str
    where: str


@dataclass
class Plan:
    """The pack to write, and what was left out on the way."""

    name: str
    title: str
    source: str
    format: str
    topics: dict[str, str] = field(default_factory=dict)  # topic id -> title, in first-seen order
    questions: list[PlannedQuestion] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def notes_name(self) -> str:
        return f"{self.name}{NOTES_SUFFIX}"


@dataclass(frozen=True)
class Written:
    pack_path: Path
    notes_path: Path
    previous_ids: list[str] | None  # the question ids of the pack this import replaced, if any


def normalise_question(text: str) -> str:
    """What makes two questions the same one: case, Unicode forms and spacing do not count."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def question_id(normalised: str) -> str:
    """`what-is-retrieval-augmented-generation-3f2a9c1d`: readable, and the same for the same question."""
    words = slugify(normalised, limit=200).split("-")[:_ID_WORDS]
    stem = "-".join(word for word in words if word)[:32].rstrip("-")
    return f"{stem or 'q'}-{short_hash(normalised)}"


def topic_id(name: str) -> str:
    return slugify(name, limit=40) or f"topic-{short_hash(name, 6)}"


def _rule_problem(question: str, answer: str) -> str | None:
    """The pack rule a question breaks (interviewer/packs.py: both texts at least 8 characters), if any."""
    if not question:
        return "empty question"
    if not answer:
        return "empty answer"
    if len(question) < MIN_TEXT:
        return f"question shorter than {MIN_TEXT} characters"
    if len(answer) < MIN_TEXT:
        return f"answer shorter than {MIN_TEXT} characters"
    return None


def plan_pack(read: ReadResult, *, name: str, title: str, source: str, topic: str | None,
              fallback_topic: str) -> Plan:
    """Apply the pack rules to the cards: too-short and duplicate questions are skipped, the rest get ids,
    topics and unique note headings. `topic` forces one topic; cards without one get `fallback_topic`."""
    plan = Plan(name=name, title=title, source=source, format=read.format, skipped=list(read.skipped))
    first_seen: dict[str, str] = {}  # normalised question -> where it was first read
    taken_ids: set[str] = set()
    taken_headings: set[str] = {plan.title.casefold()}
    for card in read.cards:
        question, answer = clean(card.question), clean(card.answer)
        problem = _rule_problem(question, answer)
        if problem is not None:
            plan.skipped.append(Skip(card.where, problem, excerpt(question or answer)))
            continue
        normalised = normalise_question(question)
        if normalised in first_seen:
            plan.skipped.append(Skip(f"{card.where} (same as {first_seen[normalised]})", "duplicate question",
                                     excerpt(question)))
            continue
        first_seen[normalised] = card.where
        topic_name = topic or card.topic or fallback_topic
        slug = topic_id(topic_name)
        plan.topics.setdefault(slug, topic_name)
        plan.questions.append(PlannedQuestion(
            id=_unique(question_id(normalised), taken_ids), topic=slug,
            difficulty=card.difficulty or DEFAULT_DIFFICULTY, question=question, answer=answer,
            tags=card.tags, heading=_heading(question, taken_headings), where=card.where))
    return plan


def _unique(value: str, taken: set[str]) -> str:
    """`value`, or `value-2`, `value-3`...: the first id not taken. Only two different questions whose hashes
    collide get a suffix, so ids stay stable in practice."""
    candidate, number = value, 1
    while candidate in taken:
        number += 1
        candidate = f"{value}-{number}"
    taken.add(candidate)
    return candidate


def _heading(question: str, taken: set[str]) -> str:
    """The question on one line, shortened, unique in the notes file regardless of case (headings are cited
    case-insensitively). Trailing '#' is dropped: the heading parser strips it, and the citation must match."""
    flat = " ".join(question.split()).rstrip("# ") or "Question"
    if len(flat) > _HEADING_LIMIT:
        flat = flat[: _HEADING_LIMIT - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    heading, number = flat, 1
    while heading.casefold() in taken:
        number += 1
        heading = f"{flat} ({number})"
    taken.add(heading.casefold())
    return heading


# --- the notes document --------------------------------------------------------------------------------------


def _answer_markdown(answer: str) -> str:
    """An answer as it can sit under its `## ` heading: its own headings become bold lines (else they would end
    the cited section), and an unclosed code fence is closed (else it would swallow the next headings)."""
    lines, fence = [], None
    for line in answer.split("\n"):
        opening = _FENCE.match(line)
        if opening:
            fence = None if fence else opening.group(1)
        elif fence is None and (heading := _MD_HEADING.match(line)):
            line = f"**{heading.group(2)}**"
        lines.append(line)
    if fence:
        lines.append(fence)
    return "\n".join(lines)


def notes_markdown(plan: Plan) -> str:
    parts = [f"{NOTES_MARK} from {plan.source}; importing it again rewrites this file. -->", "",
             f"# {plan.title}", ""]
    for question in plan.questions:
        parts += [f"## {question.heading}", "", _answer_markdown(question.answer), ""]
    return "\n".join(parts)


# --- the pack YAML ----------------------------------------------------------------------------------------------


class _PackDumper(yaml.SafeDumper):
    """safe_dump's dumper, with multi-line answers written as `|` blocks a person can read and edit, and list
    items indented under their key as in the scaffold pack."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_PackDumper.add_representer(str, _represent_str)


def pack_yaml(plan: Plan) -> str:
    questions = []
    for q in plan.questions:
        entry: dict[str, object] = {"id": q.id, "topic": q.topic, "difficulty": q.difficulty,
                                    "question": q.question, "reference_answer": q.answer}
        if q.tags:
            entry["tags"] = q.tags
        entry["sections"] = [f"{plan.notes_name}#{q.heading}"]
        questions.append(entry)
    data = {
        "name": plan.name, "title": plan.title, "version": "1",
        "description": f"Imported from {plan.source} ({plan.format}).",
        "topics": [{"id": slug, "title": title} for slug, title in plan.topics.items()],
        "documents": [plan.notes_name],
        "questions": questions,
    }
    header = (f"{PACK_MARK} from {plan.source}; importing it again rewrites this file and {plan.notes_name}.\n"
              "# To keep your edits, rename the pack (`name:` and the file) before changing it here.\n")
    # No key points: each question is graded against its reference answer (the loader tags it reference-only).
    return header + yaml.dump(data, Dumper=_PackDumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                              default_flow_style=False)


# --- writing ------------------------------------------------------------------------------------------------------


def _check_replaceable(path: Path, mark: str, source: str, force: bool) -> None:
    """Only a file an earlier import of the same source wrote is replaced without --force: never someone's own
    pack or notes, nor the import of another file that happens to have the same name (deck.csv, deck.apkg)."""
    if force or not path.exists():
        return
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
    except OSError as exc:
        raise PackImportError(f"cannot read {path} to check it before replacing it: {exc.strerror}") from exc
    if not first.startswith(mark):
        raise PackImportError(f"{path} already exists and was not made by `packs import`; choose another name with "
                              "--name, or pass --force to replace it")
    if not first.startswith(f"{mark} from {source};"):
        earlier = first[len(mark):].removeprefix(" from ").split(";", 1)[0].strip() or "another file"
        raise PackImportError(f"{path} holds the import of {earlier}, not {source}; choose another name with --name, "
                              "or pass --force to replace it")


def _previous_ids(path: Path) -> list[str] | None:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list):
        return None
    return [str(q["id"]) for q in questions if isinstance(q, dict) and "id" in q]


def _check_staged(pack_path: Path, notes_path: Path) -> None:
    """Load the staged pack as `packs list` will, and find every heading it cites in the staged notes, read the
    way citations read them (interviewer/retrieval/documents.py)."""
    from interviewer.retrieval.documents import load_document, section_titles

    try:
        loaded = load_pack(pack_path)
    except PackValidationError as exc:
        raise PackImportError(f"the generated pack does not load ({exc.problems[0]}); nothing was written") from exc
    headings = section_titles(load_document(notes_path))
    for question in loaded.pack.questions:
        for reference in question.sections:
            file_name, _, heading = reference.partition("#")
            if file_name != notes_path.name or heading.casefold() not in headings:
                raise PackImportError(f"the generated pack cites '{reference}', which {notes_path.name} does not "
                                      "hold; nothing was written")


def write_pack(plan: Plan, packs_dir: Path, *, force: bool = False) -> Written:
    """Write the pack and its notes into `packs_dir`, replacing an earlier import of the same name."""
    pack_path, notes_path = packs_dir / f"{plan.name}.yaml", packs_dir / plan.notes_name
    pack_text, notes_text = pack_yaml(plan), notes_markdown(plan)
    if len(pack_text.encode("utf-8")) > MAX_PACK_BYTES:
        raise PackImportError(f"the pack would be {len(pack_text.encode('utf-8')) / 1e6:.1f} MB, more than the "
                              f"{MAX_PACK_BYTES // (1024 * 1024)} MB a pack may hold; split {plan.source} into "
                              "smaller files and import each under its own --name")
    try:
        packs_dir.mkdir(parents=True, exist_ok=True)
        _check_replaceable(pack_path, PACK_MARK, plan.source, force)
        _check_replaceable(notes_path, NOTES_MARK, plan.source, force)
        previous = _previous_ids(pack_path) if pack_path.exists() else None
        # Staged inside the packs folder so the renames stay on one file system; pack_files() reads only the
        # folder's own .yaml files, so a staging folder left by a crash is never taken for a pack.
        staging = Path(tempfile.mkdtemp(prefix=".import-", dir=packs_dir))
        try:
            (staging / notes_path.name).write_text(notes_text, encoding="utf-8")
            (staging / pack_path.name).write_text(pack_text, encoding="utf-8")
            _check_staged(staging / pack_path.name, staging / notes_path.name)
            os.replace(staging / notes_path.name, notes_path)
            os.replace(staging / pack_path.name, pack_path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as exc:
        raise PackImportError(f"cannot write the pack into {packs_dir}: {exc.strerror or exc}") from exc
    return Written(pack_path=pack_path, notes_path=notes_path, previous_ids=previous)
