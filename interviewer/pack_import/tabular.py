"""CSV and TSV files, and Anki's "Notes in Plain Text" export: one question per row.

Owns the delimiter (the extension's, else the one that splits the first rows into the same 2+ columns), the header
(names matched loosely: "Front", "Q", "prompt" are the question column), and what a row that does not fit the header
becomes (a skipped row with its line number, never a guess).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.errors import PackImportError
from interviewer.pack_import.cards import (
    ROLE_NAMES,
    Card,
    ReadResult,
    Skip,
    excerpt,
    maybe_html_to_text,
    parse_difficulty,
    role_of,
    split_tags,
)

_SNIFF_BYTES = 64 * 1024
# Anki's text export starts with lines like "#separator:tab" and "#tags column:3".
_DIRECTIVE = re.compile(r"^#(separator|html|tags column|deck column|notetype column|guid column|columns|notetype|"
                        r"deck|tags):(.*)$")
_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " ", "colon": ":"}


@dataclass
class _Directives:
    separator: str | None = None
    columns: str | None = None  # the raw "#columns:" value, split once the separator is known
    reserved: dict[str, int] = field(default_factory=dict)  # "tags"/"deck"/"guid"/"notetype" -> 0-based column
    lines: int = 0


@dataclass(frozen=True)
class _Columns:
    """Which column holds what; `width` is how many fields a row should have."""

    question: int
    answer: int
    width: int
    topic: int | None = None
    difficulty: int | None = None
    tags: int | None = None
    header: bool = True


def read_tabular(text: str, path: Path) -> ReadResult:
    """Cards from a CSV/TSV text; rows that do not fit are skipped with their line number."""
    directives, body = _read_directives(text)
    delimiter = directives.separator or _choose_delimiter(body, path.suffix.lower())
    rows = _rows(body, delimiter, path, directives.lines)
    columns = _columns(rows, directives, delimiter, path)
    kind = "anki text export" if directives.lines else ("tsv" if delimiter == "\t" else "csv")
    result = ReadResult(format=kind)
    data = rows[1:] if columns.header and not directives.columns else rows
    if data and _unclosed_quote(body, data[-1][1]):
        line, cells = data.pop()
        result.skipped.append(Skip(f"line {line}", "a quote opened on this row never closes (the rest of the file "
                                                   "was read into it)", excerpt(" ".join(cells))))
    for line, cells in data:
        _read_row(line, cells, columns, result)
    return result


def _unclosed_quote(body: str, last: list[str]) -> bool:
    """csv reads an unclosed quote to the end of the file as one field, without an error: an odd number of
    quote characters and a last row spanning lines is that (escaped quotes "" come in pairs)."""
    return body.count('"') % 2 == 1 and any("\n" in cell for cell in last)


def _read_directives(text: str) -> tuple[_Directives, str]:
    directives = _Directives()
    lines = text.split("\n")
    while directives.lines < len(lines) and (match := _DIRECTIVE.match(lines[directives.lines].strip())):
        key, value = match.group(1), match.group(2).strip()
        if key == "separator":
            directives.separator = _SEPARATORS.get(value.lower(), value[:1] or None)
        elif key == "columns":
            directives.columns = value
        elif key.endswith(" column") and value.isdigit() and int(value) > 0:
            directives.reserved[key.removesuffix(" column")] = int(value) - 1  # Anki counts columns from 1
        directives.lines += 1
    return directives, "\n".join(lines[directives.lines:])


def _choose_delimiter(body: str, suffix: str) -> str:
    """The extension's delimiter for .tsv; for .csv/.txt the first candidate giving 2+ columns on most rows."""
    if suffix in (".tsv", ".tab"):
        return "\t"
    candidates = ",;\t|" if suffix == ".csv" else "\t,;|"
    sample = body[:_SNIFF_BYTES]
    if len(body) > _SNIFF_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut row would look ragged
    fallback: tuple[int, str] = (0, candidates[0])
    for delimiter in candidates:
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
                      if any(cell.strip() for cell in row)][:50]
        except csv.Error:
            continue
        if not counts:
            continue
        width, rows_of_width = Counter(counts).most_common(1)[0]
        if width >= 2 and rows_of_width >= 0.8 * len(counts):
            return delimiter
        fallback = max(fallback, (sum(count >= 2 for count in counts), delimiter))
    return fallback[1]


def _rows(body: str, delimiter: str, path: Path, offset: int) -> list[tuple[int, list[str]]]:
    """(line where the row starts, its fields) of every non-blank row; a row may span lines inside quotes."""
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    ended = 0  # the line the previous row ended on
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((offset + ended + 1, cells))
            ended = reader.line_num
    except csv.Error as exc:
        raise PackImportError(f"{path}, line {offset + ended + 1}: cannot read the row ({exc}); a quote opened "
                              "there may never be closed") from exc
    return rows


def _columns(rows: list[tuple[int, list[str]]], directives: _Directives, delimiter: str, path: Path) -> _Columns:
    if directives.columns:
        return _from_header(directives.columns.split(delimiter), path)
    if directives.reserved:
        return _from_anki_layout(rows, directives.reserved, path)
    if not rows:
        raise PackImportError(f"{path} has no rows: nothing to import")
    first = rows[0][1]
    if any(role_of(cell) for cell in first):
        return _from_header(first, path)
    if len(first) < 2:
        raise PackImportError(f"{path} has one column: put each question and its answer in two columns "
                              "(question, answer), with a header row naming them")
    return _Columns(question=0, answer=1, width=len(first), header=False)


def _from_header(cells: list[str], path: Path) -> _Columns:
    roles: dict[str, int] = {}
    for index, cell in enumerate(cells):
        role = role_of(cell)
        if role is not None:
            roles.setdefault(role, index)  # the first of two "answer" columns is the answer
    for needed in ("question", "answer"):
        if needed not in roles:
            names = ", ".join(sorted(ROLE_NAMES[needed])[:6])
            raise PackImportError(f"{path}: the header ({', '.join(c.strip() for c in cells)}) names no {needed} "
                                  f"column; call one '{needed}' (also understood: {names}, …)")
    return _Columns(question=roles["question"], answer=roles["answer"], width=len(cells), topic=roles.get("topic"),
                    difficulty=roles.get("difficulty"), tags=roles.get("tags"))


def _from_anki_layout(rows: list[tuple[int, list[str]]], reserved: dict[str, int], path: Path) -> _Columns:
    """Anki's export without "#columns:": the note's fields are the columns not taken by guid/type/deck/tags."""
    width = max((len(cells) for _, cells in rows), default=0)
    fields = [index for index in range(width) if index not in reserved.values()]
    if len(fields) < 2:
        raise PackImportError(f"{path}: the notes have fewer than two fields; nothing to use as question and answer")
    return _Columns(question=fields[0], answer=fields[1], width=width, topic=reserved.get("deck"),
                    tags=reserved.get("tags"), header=False)


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _read_row(line: int, cells: list[str], columns: _Columns, result: ReadResult) -> None:
    where = f"line {line}"
    shown = excerpt(_cell(cells, columns.question) or " ".join(cells))
    if len(cells) > columns.width:  # even an empty extra field means the fields before it may have shifted
        result.skipped.append(Skip(f"{where} ({len(cells)} fields, the header has {columns.width})",
                                   "ragged row: more fields than the header (quote a field that holds the "
                                   "delimiter)", shown))
        return
    if len(cells) <= max(columns.question, columns.answer):
        result.skipped.append(Skip(f"{where} ({len(cells)} field{'s' if len(cells) != 1 else ''}, the header has "
                                   f"{columns.width})", "ragged row: fewer fields than the header", shown))
        return
    question, question_media = maybe_html_to_text(cells[columns.question])
    answer, answer_media = maybe_html_to_text(cells[columns.answer])
    result.media_skipped += question_media + answer_media
    if question_media + answer_media:
        result.notices.append(Skip(where, "images or sounds left out", excerpt(question)))
    difficulty = None
    if written := _cell(cells, columns.difficulty):
        difficulty = parse_difficulty(written)
        if difficulty is None:
            result.notices.append(Skip(where, "difficulty not understood (1-3, easy/medium/hard or "
                                              "junior/mid/senior), 2 used", written))
    topic = _cell(cells, columns.topic)
    result.cards.append(Card(question=question, answer=answer, where=where,
                             topic=topic.split("::")[-1].strip() or None if topic else None,
                             difficulty=difficulty, tags=split_tags(_cell(cells, columns.tags))))
