"""Question packs: the schema, the loader, and validation that points at the offending line.

A pack is a YAML file (knowledge/packs/*.yaml ships with the product; users drop their own into the packs
folder under the data dir). Every problem found in a file is reported as `file:line:column: message`, so a pack
author can jump straight to it. A broken user pack is reported and skipped; it never stops the others loading.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from interviewer.errors import PackError
from interviewer.text import reference_statements

PACK_SUFFIXES = (".yaml", ".yml")
SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
# A question written without key points is graded against its reference answer; its key points are the
# reference's sentences, and this tag marks it so grading, feedback and reports say it has no authored rubric.
REFERENCE_ONLY_TAG = "reference-only"
REFERENCE_PROBE = "What else would a complete answer say? Go one step further than you did."
_SLUG = re.compile(SLUG_PATTERN)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyPoint(_Strict):
    """One checkable claim a complete answer makes; the grading rubric is built from these."""

    id: str = Field(pattern=SLUG_PATTERN, description="Slug, unique within its question.")
    statement: str = Field(min_length=8, description="The claim, as one sentence.")
    weight: float = Field(default=1.0, gt=0, le=10, description="How much this point counts (relative).")
    probe: str = Field(
        min_length=8, description="A question that asks for this point without giving it away."
    )


class Misconception(_Strict):
    """A wrong claim candidates make about the question, and why it is wrong; an answer stating it loses points."""

    claim: str = Field(min_length=8, description="The wrong claim, stated as a candidate would state it.")
    why: str = Field(min_length=8, description="Why it is wrong: what is true instead.")


class Question(_Strict):
    id: str = Field(pattern=SLUG_PATTERN, description="Stable slug; history and review schedules key on it.")
    topic: str = Field(description="One of the pack's topic ids.")
    difficulty: Literal[1, 2, 3] = Field(description="1 junior, 2 mid-level, 3 senior.")
    kind: Literal["concept", "compare", "design", "debug"] = Field(
        default="concept", description="Definitional, comparative, design or debugging question."
    )
    question: str = Field(min_length=8, description="What the candidate is asked.")
    reference_answer: str = Field(min_length=8, description="The answer a strong candidate would give.")
    key_points: list[KeyPoint] = Field(
        default_factory=list, max_length=6,
        description="The rubric: 2 to 6 key points. Leave out to grade against the reference answer's sentences.",
    )
    follow_ups: list[str] = Field(
        default_factory=list, description="Deeper questions an interviewer may ask."
    )
    misconceptions: list[Misconception] = Field(
        default_factory=list, description="Wrong claims candidates make, each with why it is wrong (optional)."
    )
    tags: list[str] = Field(default_factory=list)
    sections: list[str] = Field(
        default_factory=list, description="Knowledge sections this question relies on, as 'file.md#Heading'."
    )

    @field_validator("follow_ups", "tags", "sections")
    @classmethod
    def _no_blank_entries(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("entries must not be empty")
        return [value.strip() for value in values]

    @field_validator("key_points")
    @classmethod
    def _two_or_none(cls, points: list[KeyPoint]) -> list[KeyPoint]:
        if len(points) == 1:
            raise ValueError("give 2 to 6 key points, or none to grade against the reference answer")
        return points

    @model_validator(mode="after")
    def _reference_only_rubric(self) -> Question:
        if not self.key_points:
            # Built without the length rules: a reference's clause ("push back") is what the answer is held to.
            self.key_points = [
                KeyPoint.model_construct(id=f"ref-{number}", statement=statement, weight=1.0, probe=REFERENCE_PROBE)
                for number, statement in enumerate(reference_statements(self.reference_answer), start=1)
            ]
            if REFERENCE_ONLY_TAG not in self.tags:
                self.tags = [*self.tags, REFERENCE_ONLY_TAG]
        return self

    @property
    def reference_only(self) -> bool:
        """True when the rubric is the reference answer's sentences, not key points an author wrote."""
        return REFERENCE_ONLY_TAG in self.tags

    def key_point(self, key_point_id: str) -> KeyPoint:
        for point in self.key_points:
            if point.id == key_point_id:
                return point
        raise KeyError(key_point_id)


class Topic(_Strict):
    id: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1)


class Pack(_Strict):
    name: str = Field(pattern=SLUG_PATTERN, description="Slug naming the pack, e.g. 'genai-core'.")
    title: str = Field(min_length=1)
    version: str = Field(description="The pack's own version, e.g. '1.2'.")
    description: str = Field(default="")
    topics: list[Topic] = Field(min_length=1)
    documents: list[str] = Field(
        default_factory=list, description="Reference documents the pack brings, relative to the pack file."
    )
    questions: list[Question] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    def topic_title(self, topic_id: str) -> str:
        return next((topic.title for topic in self.topics if topic.id == topic_id), topic_id)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        close = difflib.get_close_matches(question_id, [q.id for q in self.questions], n=3, cutoff=0.5)
        hint = (f"; did you mean {', '.join(close)}?" if close else "") + \
            f" (`interviewer packs show {self.name}` lists its question ids)"
        raise PackError(f"pack '{self.name}' has no question '{question_id}'{hint}", "Unknown question")

    def question_rows(self) -> list[dict[str, object]]:
        """One row per question, as `interviewer packs show` prints it."""
        return [{"id": q.id, "topic": q.topic, "difficulty": q.difficulty,
                 "key_points": 0 if q.reference_only else len(q.key_points),
                 "misconceptions": len(q.misconceptions), "reference_only": q.reference_only,
                 "question": q.question} for q in self.questions]


@dataclass(frozen=True)
class PackProblem:
    file: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class LoadedPack:
    pack: Pack
    path: Path
    builtin: bool

    def document_paths(self) -> list[Path]:
        return [(self.path.parent / document).resolve() for document in self.pack.documents]


class PackValidationError(PackError):
    def __init__(self, problems: Sequence[PackProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(str(problem) for problem in self.problems)
        super().__init__(shown, "Invalid question pack")


# --- locating problems in the YAML text -------------------------------------------------------------------


class _NodeLocator:
    """Maps a pydantic error location (('questions', 3, 'key_points', 0, 'weight')) to a line and column."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def locate(self, loc: Sequence[str | int], at_key: bool = False) -> tuple[int, int]:
        """The value's position, or with `at_key` the position of the last key itself (unknown fields)."""
        node = self.root
        if node is None:
            return 1, 1
        for index, part in enumerate(loc):
            last = index == len(loc) - 1
            child = self._key(node, part) if (at_key and last) else self._child(node, part)
            if child is None:
                break  # a missing field: point at the mapping that should hold it
            node = child
        return node.start_mark.line + 1, node.start_mark.column + 1

    @staticmethod
    def _key(node: yaml.Node, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    return key
        return None

    @staticmethod
    def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    return value
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            return node.value[part]
        return None


def _duplicate_keys(node: yaml.Node | None, path: Path) -> list[PackProblem]:
    """YAML silently keeps the last of two equal keys; a pack author almost certainly made a mistake."""
    problems: list[PackProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    mark = key.start_mark
                    problems.append(
                        PackProblem(path, mark.line + 1, mark.column + 1, f"duplicate key '{key.value}'")
                    )
                seen.add(key.value)
            problems.extend(_duplicate_keys(value, path))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            problems.extend(_duplicate_keys(item, path))
    return problems


def _describe_pydantic_error(error: Any) -> str:
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
    field = loc[-1] if loc else "pack"
    if not (isinstance(field, int) or _PLAIN_NAME.match(field)):
        field = _short(field)[1:-1]  # a key with newlines or escapes stays on one line and prints harmlessly
    kind = error["type"]
    if kind == "missing":
        return f"missing required field '{field}'"
    if kind == "extra_forbidden":
        return f"unknown field '{field}'"
    if kind == "literal_error" and field == "difficulty":
        return f"difficulty must be 1, 2 or 3, not {_short(error.get('input'))}"
    if kind == "string_pattern_mismatch":
        return (
            f"'{field}' must be a lowercase slug (letters, digits, '-', '_', '.'), not {_short(error.get('input'))}"
        )
    if kind in ("too_short", "too_long", "value_error") and field == "key_points":
        count = len(error.get("input") or [])
        return f"a question needs 2 to 6 key points (or none, to be graded against its reference answer), " \
            f"this one has {count}"
    if field == "weight":
        return f"weight must be a number greater than 0 and at most 10, not {_short(error.get('input'))}"
    return f"'{field}': {error['msg']}"


def _semantic_problems(pack: Pack, locator: _NodeLocator, path: Path) -> list[PackProblem]:
    problems: list[PackProblem] = []

    def add(loc: Sequence[str | int], message: str) -> None:
        line, column = locator.locate(loc)
        problems.append(PackProblem(path, line, column, message))

    topic_ids: set[str] = set()
    for index, topic in enumerate(pack.topics):
        if topic.id in topic_ids:
            add(("topics", index, "id"), f"duplicate topic id '{topic.id}'")
        topic_ids.add(topic.id)
    question_ids: set[str] = set()
    for q_index, question in enumerate(pack.questions):
        if question.id in question_ids:
            add(("questions", q_index, "id"), f"duplicate question id '{question.id}'")
        question_ids.add(question.id)
        if question.topic not in topic_ids:
            declared = ", ".join(sorted(topic_ids))
            add(
                ("questions", q_index, "topic"),
                f"topic '{question.topic}' is not declared in the pack's topics ({declared})",
            )
        point_ids: set[str] = set()
        for k_index, point in enumerate(question.key_points):
            if point.id in point_ids:
                add(
                    ("questions", q_index, "key_points", k_index, "id"),
                    f"duplicate key point id '{point.id}'",
                )
            point_ids.add(point.id)
    for d_index, document in enumerate(pack.documents):
        if not (path.parent / document).is_file():
            add(("documents", d_index), f"document '{document}' not found next to the pack")
    return problems


# libyaml's loader reads the built-in pack about 8x faster than the pure-Python one (0.08 s against 0.69 s), with
# the same safe constructors and the same line marks for error messages.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounds checked before anything recursive or expanding runs. The built-in pack is 0.6 MB, nests 6 levels deep and
# has about 12,000 nodes; a file past these bounds is a mistake or an attack (a deep `[[[[...` overflows the
# composer's recursion, a few chained aliases expand to billions of nodes).
MAX_PACK_BYTES = 4 * 1024 * 1024
MAX_NESTING = 64
MAX_EXPANDED_NODES = 500_000


class _PackLoader(_YAML_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader, with a value its constructors cannot convert (a 5,000-digit int, month 13, an empty
    `!!int`) reported at its own line instead of escaping as a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError, IndexError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read the value {_short(node.value)}: {exc}", node.start_mark
            ) from exc


_PLAIN_NAME = re.compile(r"^[\w.-]{1,60}$")


def _short(value: Any, limit: int = 60) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _structure_problem(text: str, path: Path) -> PackProblem | None:
    """Nesting beyond MAX_NESTING, aliases expanding past MAX_EXPANDED_NODES, or an alias inside its own anchor.

    Walks libyaml's event stream (iterative, no recursion), counting every node as the aliases would expand it.
    """
    expanded: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, height) of what it names
    open_anchors: set[str] = set()
    stack: list[list[Any]] = []  # open collections: [anchor, nodes so far, tallest child]
    total = 0

    def refuse(event: yaml.Event, message: str) -> PackProblem:
        mark = event.start_mark
        return PackProblem(path, mark.line + 1, mark.column + 1, message)

    for event in yaml.parse(text, Loader=_YAML_LOADER):
        size: tuple[int, int] | None = None
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_NESTING:
                return refuse(event, f"nested more than {MAX_NESTING} levels deep")
            stack.append([event.anchor, 1, 0])
            if event.anchor:
                open_anchors.add(event.anchor)
            total += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, tallest = stack.pop()
            size = (nodes, tallest + 1)
            if anchor:
                expanded[anchor] = size
                open_anchors.discard(anchor)
        elif isinstance(event, yaml.ScalarEvent):
            size = (1, 0)
            if event.anchor:
                expanded[event.anchor] = size
            total += 1
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor in open_anchors:
                return refuse(event, f"alias '*{event.anchor}' is inside its own anchor (a value cannot contain "
                                     "itself)")
            size = expanded.get(event.anchor, (1, 0))
            total += size[0]
            if len(stack) + size[1] > MAX_NESTING:
                return refuse(event, f"alias '*{event.anchor}' nests the pack more than {MAX_NESTING} levels deep")
        if total > MAX_EXPANDED_NODES:
            return refuse(event, f"aliases expand the pack past {MAX_EXPANDED_NODES:,} values; write it out plainly")
        if size is not None and stack:
            stack[-1][1] += size[0]
            stack[-1][2] = max(stack[-1][2], size[1])
    return None


def _yaml_problem(exc: yaml.YAMLError, text: str, path: Path) -> PackProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    position = getattr(exc, "position", None)
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    elif isinstance(position, int):  # a ReaderError: a character YAML does not allow
        before = text[:position]
        line, column = before.count("\n") + 1, position - before.rfind("\n")
    else:
        line, column = 1, 1
    reason = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    return PackProblem(path, line, column, f"invalid YAML: {reason}")


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, from one parse."""
    loader = _PackLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def validate_pack_text(text: str, path: Path) -> tuple[Pack | None, list[PackProblem]]:
    """Parse and validate a pack's text; returns the pack (if valid) and every problem found.

    Any text gives problems or a pack, never an exception, in time and memory bounded by MAX_PACK_BYTES.
    """
    if len(text) > MAX_PACK_BYTES:
        return None, [PackProblem(path, 1, 1, f"file too large ({len(text):,} characters; a pack may have at most "
                                              f"{MAX_PACK_BYTES // (1024 * 1024)} MB)")]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate: only text made in memory, never a file, can hold one
        before = text[: exc.start]
        return None, [PackProblem(path, before.count("\n") + 1, exc.start - before.rfind("\n"),
                                  f"character U+{ord(text[exc.start]):04X} is not valid text")]
    try:
        try:
            structure = _structure_problem(text, path)
            if structure is not None:
                return None, [structure]
            root, data = _parse(text)
        except yaml.YAMLError as exc:
            try:
                yaml.compose(text, Loader=yaml.SafeLoader)  # the pure-Python parser words syntax errors better
            except yaml.YAMLError as worded:
                raise worded from exc
            except RecursionError:
                pass
            raise
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, text, path)]
    if not isinstance(data, dict):
        return None, [
            PackProblem(path, 1, 1, "a pack must be a YAML mapping with name, title, topics, questions")
        ]
    locator = _NodeLocator(root)
    problems = _duplicate_keys(root, path)
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [p for p in error["loc"] if isinstance(p, str | int)]
            line, column = locator.locate(loc, at_key=error["type"] == "extra_forbidden")
            problems.append(PackProblem(path, line, column, _describe_pydantic_error(error)))
        return None, sorted(problems, key=lambda p: (p.line, p.column))
    problems.extend(_semantic_problems(pack, locator, path))
    problems.sort(key=lambda p: (p.line, p.column))
    return (None if problems else pack), problems


def validate_pack_file(path: Path) -> tuple[Pack | None, list[PackProblem]]:
    try:
        size = path.stat().st_size
        if size > MAX_PACK_BYTES:  # refused unread: a runaway file must not be pulled into memory
            return None, [PackProblem(path, 1, 1, f"file too large ({size:,} bytes; a pack may have at most "
                                                  f"{MAX_PACK_BYTES // (1024 * 1024)} MB)")]
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [PackProblem(path, 1, 1, "not a UTF-8 text file")]
    except OSError as exc:
        return None, [PackProblem(path, 1, 1, f"cannot read file: {exc.strerror}")]
    return validate_pack_text(text, path)


def load_pack(path: Path, builtin: bool = False) -> LoadedPack:
    """Load one pack or raise PackValidationError listing every problem."""
    pack, problems = validate_pack_file(path)
    if pack is None:
        raise PackValidationError(problems)
    return LoadedPack(pack=pack, path=path, builtin=builtin)


def pack_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PACK_SUFFIXES)


@dataclass(frozen=True)
class PackCatalog:
    """Every pack found: the valid ones, and the problems of the ones skipped."""

    packs: list[LoadedPack]
    skipped: list[PackValidationError]

    def get(self, name: str) -> LoadedPack:
        for loaded in self.packs:
            if loaded.pack.name == name or loaded.path.stem == name:
                return loaded
        for error in self.skipped:
            if error.problems and name in _names_of_broken_file(error.problems[0].file):
                first = error.problems[0]
                raise PackError(
                    f"the pack '{name}' was skipped because it is broken: {first}"
                    + (f" (and {len(error.problems) - 1} more problem(s))" if len(error.problems) > 1 else "")
                    + f"; check it with `interviewer packs validate {first.file}`", "Broken question pack")
        known = ", ".join(loaded.pack.name for loaded in self.packs) or "none"
        raise PackError(f"no pack named '{name}' (available: {known})", "Unknown pack")


def _names_of_broken_file(path: Path) -> set[str]:
    """What a pack that failed validation would be asked for by: its file name, and its `name:` if one parses."""
    names = {path.stem}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return names
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        names.add(data["name"])
    return names


def discover_packs(builtin_dir: Path, user_dir: Path | None, extra: Iterable[Path] = ()) -> PackCatalog:
    """Built-in packs, then the user's; a user pack with the same name as a built-in one replaces it."""
    by_name: dict[str, LoadedPack] = {}
    skipped: list[PackValidationError] = []
    sources = [(path, True) for path in pack_files(builtin_dir)]
    if user_dir is not None:
        sources += [(path, False) for path in pack_files(user_dir)]
    sources += [(path, False) for path in extra]
    for path, builtin in sources:
        try:
            loaded = load_pack(path, builtin=builtin)
        except PackValidationError as exc:
            skipped.append(exc)
            continue
        by_name[loaded.pack.name] = loaded
    return PackCatalog(packs=list(by_name.values()), skipped=skipped)


def check_section_references(loaded: LoadedPack, sections_by_file: dict[str, set[str]]) -> list[PackProblem]:
    """Every `file#Heading` a question cites must name a known document and one of its headings."""
    try:
        root = yaml.compose(loaded.path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        root = None
    locator = _NodeLocator(root)
    problems = []
    for q_index, question in enumerate(loaded.pack.questions):
        for s_index, reference in enumerate(question.sections):
            file_name, _, heading = reference.partition("#")
            known = sections_by_file.get(file_name)
            if known is None:
                message = f"section '{reference}': no document named '{file_name}'"
            elif heading and heading.casefold() not in known:
                message = f"section '{reference}': '{file_name}' has no heading '{heading}'"
            else:
                continue
            line, column = locator.locate(("questions", q_index, "sections", s_index))
            problems.append(PackProblem(loaded.path, line, column, message))
    return problems


def pack_json_schema() -> str:
    schema = Pack.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "interviewer question pack"
    return json.dumps(schema, indent=2)


def scaffold_pack(name: str) -> str:
    """A small valid pack to start from (`interviewer packs new NAME`)."""
    if not _SLUG.match(name):
        raise PackError(
            f"'{name}' is not a valid pack name: use lowercase letters, digits and '-', e.g. 'my-rag-pack'",
            "Invalid pack name",
        )
    return f"""\
# yaml-language-server: $schema=pack.schema.json   (write it with: interviewer packs schema > pack.schema.json)
name: {name}
title: {name.replace("-", " ").title()}
version: "1"
description: My own interview questions.
topics:
  - id: rag
    title: Retrieval-augmented generation
# documents: [notes/my-notes.md]   # optional reference documents, relative to this file
questions:
  - id: {name}-rag-why
    topic: rag
    difficulty: 1                 # 1 junior, 2 mid-level, 3 senior
    kind: concept                 # concept | compare | design | debug
    question: Why would you add retrieval to an LLM application instead of relying on the model alone?
    reference_answer: >-
      Retrieval grounds the model in documents it was not trained on, such as private or recent data, which
      reduces hallucination and lets answers cite their sources. It is cheaper to update than fine-tuning,
      because refreshing the index changes what the model knows without retraining.
    key_points:
      - id: fresh-private-data
        statement: Retrieval gives the model private or recent information that was not in its training data.
        weight: 2
        probe: What kind of information does a model lack that retrieval can supply?
      - id: grounding
        statement: Grounding answers in retrieved text reduces hallucination and allows citing sources.
        weight: 2
        probe: How does retrieval change the trustworthiness of the answers?
      - id: cheap-updates
        statement: Updating the index is cheaper and faster than fine-tuning to change what the model knows.
        weight: 1
        probe: How would you keep the system's knowledge up to date, and what would that cost?
    follow_ups:
      - How would you measure whether retrieval is actually helping your answers?
    tags: [rag, basics]
    sections: [rag.md#Retrieval-augmented generation]
"""
