"""Validating a pack: the schema's problems and the pack's own rules (ids, topics, documents, sections) in one
pass, each at its `file:line:column`, plus warnings about what will grade badly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interviewer.packs.reading import (
    MAX_PACK_BYTES,
    PLAIN_NAME,
    NodeLocator,
    PackProblem,
    Severity,
    duplicate_keys,
    parse_yaml,
    short,
    structure_problem,
    yaml_problem,
)
from interviewer.packs.schema import Pack
from interviewer.packs.warnings import pack_warnings

# Document paths -> each file name's headings (casefolded): what the sections of a pack may cite.
SectionsFor = Callable[[list[Path]], dict[str, set[str]]]


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


def _entries(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a YAML list with their positions; anything else in it the schema has already reported."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _rule_problems(data: dict[str, Any], path: Path) -> list[tuple[tuple[str | int, ...], str]]:
    """The pack's own rules, read from the raw data so they are reported in the same run as schema problems:
    unique topic, question and key point ids, declared topics, documents present beside the pack."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    topic_ids: set[str] = set()
    for index, topic in _entries(data.get("topics")):
        topic_id = _text(topic.get("id"))
        if topic_id in topic_ids:
            found.append((("topics", index, "id"), f"duplicate topic id '{topic_id}'"))
        topic_ids.add(topic_id)
    question_ids: set[str] = set()
    declared = ", ".join(sorted(t for t in topic_ids if t))
    for q_index, question in _entries(data.get("questions")):
        question_id = _text(question.get("id"))
        if question_id and question_id in question_ids:
            found.append((("questions", q_index, "id"), f"duplicate question id '{question_id}'"))
        question_ids.add(question_id)
        topic_id = _text(question.get("topic"))
        if topic_id and topic_id not in topic_ids:
            found.append((("questions", q_index, "topic"),
                          f"topic '{topic_id}' is not declared in the pack's topics ({declared})"))
        point_ids: set[str] = set()
        for k_index, point in _entries(question.get("key_points")):
            point_id = _text(point.get("id"))
            if point_id and point_id in point_ids:
                found.append((("questions", q_index, "key_points", k_index, "id"),
                              f"duplicate key point id '{point_id}'"))
            point_ids.add(point_id)
    documents = data.get("documents")
    for d_index, document in enumerate(documents if isinstance(documents, list) else []):
        if isinstance(document, str) and not (path.parent / document).is_file():
            found.append((("documents", d_index), f"document '{document}' not found next to the pack"))
    return found


def _section_problems(data: dict[str, Any], sections_by_file: dict[str, set[str]]
                      ) -> list[tuple[tuple[str | int, ...], str, Severity]]:
    """Every `file#Heading` a question cites must name a known document (an error) and one of its headings (a
    warning: the question still works, its citations do not)."""
    found: list[tuple[tuple[str | int, ...], str, Severity]] = []
    for q_index, question in _entries(data.get("questions")):
        references = question.get("sections")
        for s_index, reference in enumerate(references if isinstance(references, list) else []):
            if not isinstance(reference, str):
                continue
            file_name, _, heading = reference.strip().partition("#")
            known = sections_by_file.get(file_name)
            loc = ("questions", q_index, "sections", s_index)
            if known is None:
                found.append((loc, f"section '{reference}': no document named '{file_name}'", "error"))
            elif heading and heading.casefold() not in known:
                found.append((loc, f"section '{reference}': '{file_name}' has no heading '{heading}'", "warning"))
    return found


def validate_pack_text(text: str, path: Path, sections_for: SectionsFor | None = None
                       ) -> tuple[Pack | None, list[PackProblem]]:
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
    return _validated(data, root, path, sections_for)


def _validated(data: dict[str, Any], root: yaml.Node | None, path: Path,
               sections_for: SectionsFor | None) -> tuple[Pack | None, list[PackProblem]]:
    """Every problem of a file that parses, in one run: schema, the pack's rules, sections; then warnings."""
    locator = NodeLocator(root)
    problems = duplicate_keys(root, path)

    def add(loc: Sequence[str | int], message: str, severity: Severity = "error") -> None:
        line, column = locator.locate(loc)
        problems.append(PackProblem(path, line, column, message, severity))

    pack: Pack | None = None
    try:
        pack = Pack.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = [p for p in error["loc"] if isinstance(p, str | int)]
            line, column = locator.locate(where, at_key=error["type"] == "extra_forbidden")
            problems.append(PackProblem(path, line, column, _describe_pydantic_error(error)))
    for loc, message in _rule_problems(data, path):
        add(loc, message)
    if sections_for is not None:
        documents = data.get("documents")
        paths = [(path.parent / d).resolve() for d in (documents if isinstance(documents, list) else [])
                 if isinstance(d, str)]
        for loc, message, severity in _section_problems(data, sections_for(paths)):
            add(loc, message, severity)
    if pack is not None:
        for loc, message in pack_warnings(pack):
            add(loc, message, "warning")
    unique = sorted(set(problems), key=lambda p: (p.line, p.column, p.severity, p.message))
    return (None if any(p.severity == "error" for p in unique) else pack), unique


def validate_pack_file(path: Path, sections_for: SectionsFor | None = None) -> tuple[Pack | None, list[PackProblem]]:
    """The pack in a file (None when it has errors) and every problem and warning; `sections_for` (document
    paths -> their headings by file name) also checks the sections questions cite."""
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
    return validate_pack_text(text, path, sections_for)
