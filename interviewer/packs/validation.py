"""Validating a pack: the schema's problems and the pack's own rules (ids, topics, documents, sections) in one
pass, each at its `file:line:column`, plus warnings about what will grade badly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from interviewer.packs.reading import (
    MAX_PACK_BYTES,
    PLAIN_NAME,
    NodeLocator,
    PackProblem,
    duplicate_keys,
    parse_yaml,
    short,
    structure_problem,
    yaml_problem,
)
from interviewer.packs.schema import Pack

if TYPE_CHECKING:
    from interviewer.packs.catalog import LoadedPack


def _describe_pydantic_error(error: Any) -> str:
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
    field = loc[-1] if loc else "pack"
    if not (isinstance(field, int) or PLAIN_NAME.match(field)):
        field = short(field)[1:-1]  # a key with newlines or escapes stays on one line and prints harmlessly
    kind = error["type"]
    if kind == "missing":
        return f"missing required field '{field}'"
    if kind == "extra_forbidden":
        return f"unknown field '{field}'"
    if kind == "literal_error" and field == "difficulty":
        return f"difficulty must be 1, 2 or 3, not {short(error.get('input'))}"
    if kind == "string_pattern_mismatch":
        return (
            f"'{field}' must be a lowercase slug (letters, digits, '-', '_', '.'), not {short(error.get('input'))}"
        )
    if kind in ("too_short", "too_long", "value_error") and field == "key_points":
        count = len(error.get("input") or [])
        return f"a question needs 2 to 6 key points (or none, to be graded against its reference answer), " \
            f"this one has {count}"
    if field == "weight":
        return f"weight must be a number greater than 0 and at most 10, not {short(error.get('input'))}"
    return f"'{field}': {error['msg']}"


def _semantic_problems(pack: Pack, locator: NodeLocator, path: Path) -> list[PackProblem]:
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
            structure = structure_problem(text, path)
            if structure is not None:
                return None, [structure]
            root, data = parse_yaml(text)
        except yaml.YAMLError as exc:
            try:
                yaml.compose(text, Loader=yaml.SafeLoader)  # the pure-Python parser words syntax errors better
            except yaml.YAMLError as worded:
                raise worded from exc
            except RecursionError:
                pass
            raise
    except yaml.YAMLError as exc:
        return None, [yaml_problem(exc, text, path)]
    if not isinstance(data, dict):
        return None, [
            PackProblem(path, 1, 1, "a pack must be a YAML mapping with name, title, topics, questions")
        ]
    locator = NodeLocator(root)
    problems = duplicate_keys(root, path)
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


def check_section_references(loaded: LoadedPack, sections_by_file: dict[str, set[str]]) -> list[PackProblem]:
    """Every `file#Heading` a question cites must name a known document and one of its headings."""
    try:
        root = yaml.compose(loaded.path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        root = None
    locator = NodeLocator(root)
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


