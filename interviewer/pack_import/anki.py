"""Anki packages (.apkg, .colpkg): a zip holding a SQLite collection of notes, note types and decks.

Owns opening the package (only the collection is unpacked, into a temporary folder; media files stay in the zip),
reading the legacy collection schema (`col.models` / `col.decks` JSON, `notes.flds` split on \\x1f, `cards.did`),
and turning a note into questions: a basic note's front and back fields, one question per cloze number of a cloze
note. HTML is reduced to text; images and sounds are counted and left out. The newer collection.anki21b format
(zstd-compressed, another schema) is refused with the one fix that works: export again for older Anki versions.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interviewer.errors import PackImportError
from interviewer.pack_import.cards import Card, ReadResult, Skip, excerpt, html_to_text, role_of

# The collection is read from a copy on disk; a package whose collection claims more than this is refused before
# unpacking (a 2,000-note deck's collection is about 2 MB).
MAX_COLLECTION_BYTES = 200 * 1024 * 1024
# {{c1::answer}} or {{c1::answer::hint}}; the answer stops at the first "::" so the hint is separate.
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)
# Anki's own review-state tags say nothing about the subject.
_STATE_TAGS = frozenset({"leech", "marked"})
# Fields appended to the answer when a note type has them ("Back Extra" on cloze notes).
_EXTRA_FIELDS = frozenset({"extra", "back extra", "notes", "note", "more", "additional", "details", "example"})
_DEFAULT_DECK = "Default"


@dataclass(frozen=True)
class _NoteType:
    name: str
    cloze: bool
    fields: tuple[str, ...]


@dataclass(frozen=True)
class _Note:
    nid: int
    fields: list[str]
    tags: list[str]
    deck: str | None
    note_type: _NoteType | None


def read_anki(path: Path) -> ReadResult:
    """Cards from an Anki package; notes that give no usable question are skipped with their note id."""
    with tempfile.TemporaryDirectory(prefix="interviewer-anki-") as folder:
        notes = _read_collection(_extract_collection(path, Path(folder)), path)
    result = ReadResult(format="anki", title=_common_deck(notes))
    for note in notes:
        _read_note(note, result)
    return result


def _collection_member(names: set[str], path: Path) -> str:
    if "collection.anki21b" in names:
        # Such a package also holds a collection.anki2 that only says "please update Anki": never read that one.
        raise PackImportError(f"{path} uses Anki's newer package format (collection.anki21b), which cannot be read "
                              "here; in Anki, export the deck again with \"Support older Anki versions\" ticked")
    for name in ("collection.anki21", "collection.anki2"):
        if name in names:
            return name
    raise PackImportError(f"{path} is a zip archive but not an Anki package: it holds no collection.anki2 or "
                          "collection.anki21")


def _extract_collection(path: Path, folder: Path) -> Path:
    target = folder / "collection.sqlite"
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(_collection_member(set(archive.namelist()), path))
            if info.file_size > MAX_COLLECTION_BYTES:
                raise PackImportError(f"{path}: the collection inside is {info.file_size / 1e6:.0f} MB, more than "
                                      f"the {MAX_COLLECTION_BYTES // (1024 * 1024)} MB an import reads")
            with archive.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1024 * 1024)
    except zipfile.BadZipFile as exc:
        raise PackImportError(f"{path} is not a zip archive, so not an Anki package; in Anki use File > Export > "
                              "\"Anki Deck Package (.apkg)\"") from exc
    except (zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
        raise PackImportError(f"{path}: cannot unpack the collection inside ({exc}); the package is damaged") from exc
    return target


def _read_collection(collection: Path, path: Path) -> list[_Note]:
    damaged = f"{path}: the collection inside is not a readable Anki database"
    try:
        db = sqlite3.connect(collection)
    except sqlite3.Error as exc:
        raise PackImportError(f"{damaged} ({exc})") from exc
    try:
        row = db.execute("SELECT models, decks FROM col").fetchone()
        if row is None:
            raise PackImportError(f"{damaged} (it has no collection record)")
        note_types = _note_types(json.loads(row[0] or "{}"))
        decks = {str(key): str(deck.get("name", "")) for key, deck in json.loads(row[1] or "{}").items()}
        deck_of: dict[int, str] = {}
        for nid, did in db.execute("SELECT nid, did FROM cards ORDER BY nid, ord"):
            deck_of.setdefault(nid, decks.get(str(did), ""))
        return [_Note(nid, str(fields).split("\x1f"), [t for t in str(tags).split() if t.lower() not in _STATE_TAGS],
                      deck_of.get(nid), note_types.get(str(mid)))
                for nid, mid, fields, tags in db.execute("SELECT id, mid, flds, tags FROM notes ORDER BY id")]
    except sqlite3.Error as exc:
        raise PackImportError(f"{damaged} ({exc})") from exc
    except (ValueError, TypeError, AttributeError) as exc:  # JSON that is not the note types and decks
        raise PackImportError(f"{damaged} (its note types or decks are damaged: {exc})") from exc
    finally:
        db.close()


def _note_types(models: dict[str, Any]) -> dict[str, _NoteType]:
    types = {}
    for key, model in models.items():
        fields = sorted(model.get("flds", []), key=lambda f: f.get("ord", 0))
        types[str(key)] = _NoteType(name=str(model.get("name", "")), cloze=model.get("type") == 1,
                                    fields=tuple(str(f.get("name", "")) for f in fields))
    return types


def _common_deck(notes: list[_Note]) -> str | None:
    """The deck path all notes share ("Interview" for Interview::RAG and Interview::LLMs), as the pack title."""
    paths = [note.deck.split("::") for note in notes if note.deck and note.deck != _DEFAULT_DECK]
    if not paths:
        return None
    common = paths[0]
    for parts in paths[1:]:
        while common and parts[: len(common)] != common:
            common = common[:-1]
    return " / ".join(common) or None


def _topic(note: _Note) -> str | None:
    """The note's deck (its last part), else its first tag (last part), else none."""
    if note.deck and note.deck != _DEFAULT_DECK:
        return note.deck.split("::")[-1].strip() or None
    return next((tag.split("::")[-1] for tag in note.tags if tag.split("::")[-1]), None)


def _read_note(note: _Note, result: ReadResult) -> None:
    where = f"note nid:{note.nid}"
    kind = note.note_type
    if kind is not None and kind.name.lower().startswith("image occlusion"):
        result.skipped.append(Skip(where, "image occlusion note (the question is an image)", ""))
        return
    pairs, media = (_cloze_pairs if kind is not None and kind.cloze else _basic_pair)(note, where, result)
    result.media_skipped += media
    kept = 0
    for question, answer in pairs:
        if media and not answer:
            result.skipped.append(Skip(where, "answer is only an image or a sound", excerpt(question)))
        elif media and not question:
            result.skipped.append(Skip(where, "question is only an image or a sound", excerpt(answer)))
        else:
            kept += 1
            result.cards.append(Card(question=question, answer=answer, where=where, topic=_topic(note),
                                     tags=list(note.tags)))
    if media and kept:
        result.notices.append(Skip(where, "images or sounds left out", excerpt(pairs[0][0])))


def _field_roles(note: _Note) -> tuple[int, int | None, list[int]]:
    """(question field, answer field, extra fields) by the note type's field names, else by position."""
    names = note.note_type.fields if note.note_type else ()
    roles: dict[str, int] = {}
    extras = []
    for index, name in enumerate(names[: len(note.fields)]):
        role = role_of(name)
        if role in ("question", "answer"):
            roles.setdefault(role, index)
        elif " ".join(name.casefold().split()) in _EXTRA_FIELDS:
            extras.append(index)
    question = roles.get("question", 0)
    others = [index for index in range(len(note.fields)) if index != question and index not in extras]
    return question, roles.get("answer", others[0] if others else None), extras


def _extra_text(note: _Note, extras: list[int]) -> tuple[str, int]:
    texts, media = [], 0
    for index in extras:
        text, found = html_to_text(note.fields[index])
        media += found
        if text:
            texts.append(text)
    return "\n\n".join(texts), media


def _basic_pair(note: _Note, where: str, result: ReadResult) -> tuple[list[tuple[str, str]], int]:
    question_index, answer_index, extras = _field_roles(note)
    question, question_media = html_to_text(note.fields[question_index])
    if answer_index is None:
        result.skipped.append(Skip(where, "note has a single field (no answer)", excerpt(question)))
        return [], question_media
    answer, answer_media = html_to_text(note.fields[answer_index])
    extra, extra_media = _extra_text(note, extras)
    if answer and extra:
        answer = f"{answer}\n\n{extra}"
    return [(question, answer)], question_media + answer_media + extra_media


def _cloze_pairs(note: _Note, where: str, result: ReadResult) -> tuple[list[tuple[str, str]], int]:
    """One (question, answer) per cloze number: that number's deletions hidden ("[…]", or "[hint]"), the others
    shown; the answer is the whole text with every deletion filled in, then the extra fields."""
    index = next((i for i, text in enumerate(note.fields) if _CLOZE.search(text)), None)
    if index is None:
        shown, media = html_to_text(note.fields[0] if note.fields else "")
        result.skipped.append(Skip(where, "cloze note without a {{c1::…}} deletion", excerpt(shown)))
        return [], media
    text = note.fields[index]
    extras = [i for i in range(len(note.fields)) if i != index]
    filled, media = html_to_text(_CLOZE.sub(lambda m: m.group(2), text))
    extra, extra_media = _extra_text(note, extras)
    answer = f"{filled}\n\n{extra}" if extra else filled
    pairs = []
    for number in sorted({int(match.group(1)) for match in _CLOZE.finditer(text)}):
        def hide(match: re.Match[str], number: int = number) -> str:
            if int(match.group(1)) != number:
                return match.group(2)
            return f"[{match.group(3).strip()}]" if match.group(3) and match.group(3).strip() else "[…]"

        question, _ = html_to_text(_CLOZE.sub(hide, text))
        pairs.append((question, answer))
    return pairs, media + extra_media
