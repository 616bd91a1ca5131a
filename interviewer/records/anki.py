"""Anki export: every key point a candidate missed becomes a flashcard, written as an .apkg deck.

The only module that imports genanki, and only inside `export_missed_key_points`, so nothing else pays for it.
A card is made for each key point that was missing or partly covered in a question's final grade (the last
graded attempt for that question in a session, since a follow-up's grade supersedes the one before it), read back
into a `Grade` as the report reads it. Cards
are keyed on (pack, question id, key point id): the deck id, the note type id and each note's guid are stable,
so importing a newer export into Anki updates the cards already there instead of adding duplicates.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.errors import InterviewerError
from interviewer.grading.grade import Grade, KeyPointVerdict
from interviewer.packs import Pack, Question
from interviewer.records.report import WEAK_STATUSES, first_sentences, stored_grade, study_sections
from interviewer.records.sessions import QuestionAttempts, SessionRecord

# Fixed ids: Anki identifies decks and note types by id, so new ids on every export would make new decks.
DECK_ID = 1_730_418_201
MODEL_ID = 1_730_418_233
DECK_NAME = "Interviewer: missed key points"
MODEL_NAME = "Interviewer key point"

_FRONT = """<div class="probe">{{Probe}}</div>
{{#Question}}<div class="context">Question: {{Question}}</div>{{/Question}}"""
_BACK = """{{FrontSide}}
<hr id="answer">
<div class="point">{{KeyPoint}}</div>
{{#Reference}}<div class="reference">{{Reference}}</div>{{/Reference}}
{{#Study}}<div class="study">Study: {{Study}}</div>{{/Study}}
<div class="source">{{Source}}</div>"""
_CSS = """.card { font-family: system-ui, sans-serif; font-size: 18px; text-align: left; color: #1d1d1f; }
.context, .reference, .study, .source { margin-top: .8em; font-size: 15px; color: #555; }
.point { font-weight: 600; } .source { font-size: 12px; color: #888; }"""


class ExportError(InterviewerError):
    title = "Export problem"


@dataclass
class MissedKeyPoint:
    """One flashcard's content: a key point missed (or partly covered) at least once."""

    pack: str
    question_id: str
    key_point_id: str
    topic: str
    statement: str
    probe: str
    question: str
    reference: str = ""
    study: list[str] = field(default_factory=list)
    status: str = "missing"


def _pack_question(packs: Mapping[str, Pack], pack_name: str, question_id: str) -> Question | None:
    pack = packs.get(pack_name)
    if pack is None:
        return None
    return next((question for question in pack.questions if question.id == question_id), None)


def missed_key_points(
    sessions: Sequence[SessionRecord], packs: Mapping[str, Pack] | None = None
) -> list[MissedKeyPoint]:
    """The key points to turn into cards, one per (pack, question, key point), from the newest session's grade.

    A point missed once keeps its card even if a later session covered it: Anki's own scheduling retires a card
    the candidate keeps answering, which is better than dropping it from the deck.
    """
    packs = packs or {}
    found: dict[tuple[str, str, str], MissedKeyPoint] = {}
    # Newest first, so the first sighting of a key point carries the most recent wording and status.
    for session in sorted(sessions, key=lambda s: s.started_at, reverse=True):
        for asked in session.questions():
            final = asked.graded
            grade = stored_grade(final)
            if final is None or grade is None:
                continue
            pack_name = final.pack or session.pack
            question = _pack_question(packs, pack_name, asked.question_id)
            for point in grade.key_points:
                key = (pack_name, asked.question_id, point.key_point_id)
                if point.status in WEAK_STATUSES and key not in found:
                    found[key] = _card(pack_name, asked, question, grade, point)
    return sorted(found.values(), key=lambda card: (card.pack, card.question_id, card.key_point_id))


def _card(pack: str, asked: QuestionAttempts, question: Question | None, grade: Grade, point: KeyPointVerdict
          ) -> MissedKeyPoint:
    main = asked.main
    return MissedKeyPoint(
        pack=pack,
        question_id=asked.question_id,
        key_point_id=point.key_point_id,
        topic=main.topic or (question.topic if question else ""),
        statement=point.statement,
        probe=point.probe or _fallback_probe(question, point.key_point_id),
        question=question.question if question else main.prompt,
        reference=first_sentences(question.reference_answer) if question else "",
        study=study_sections(question, grade.citations),
        status=point.status,
    )


def _fallback_probe(question: Question | None, key_point_id: str) -> str:
    """A grade with an empty probe: the pack may still have one."""
    if question is None:
        return ""
    point = next((point for point in question.key_points if point.id == key_point_id), None)
    return point.probe if point else ""


def _field(text: str) -> str:
    # Anki fields are HTML: stored text is escaped so an answer or a pack cannot inject markup into the card.
    return html.escape(text, quote=False).replace("\n", "<br>")


def _tag(text: str) -> str:
    return "_".join(text.split())  # Anki tags are space-separated


def export_missed_key_points(
    sessions: Sequence[SessionRecord], out: Path, packs: Mapping[str, Pack] | None = None
) -> int:
    """Write an Anki deck of the missed key points to `out`; returns the number of cards (0: nothing written)."""
    cards = missed_key_points(sessions, packs)
    if not cards:
        return 0
    import genanki  # only here: exporting is rare and nothing else needs it

    model = genanki.Model(
        MODEL_ID,
        MODEL_NAME,
        fields=[
            {"name": "Probe"},
            {"name": "Question"},
            {"name": "KeyPoint"},
            {"name": "Reference"},
            {"name": "Study"},
            {"name": "Source"},
        ],
        templates=[{"name": "Recall the key point", "qfmt": _FRONT, "afmt": _BACK}],
        css=_CSS,
    )
    deck = genanki.Deck(DECK_ID, DECK_NAME)
    for card in cards:
        front = card.probe or f"What is the missing point about {card.key_point_id}?"
        deck.add_note(
            genanki.Note(
                model=model,
                fields=[
                    _field(front),
                    _field(card.question),
                    _field(card.statement),
                    _field(card.reference),
                    _field(", ".join(card.study)),
                    _field(f"{card.pack} / {card.question_id} / {card.key_point_id}"),
                ],
                guid=genanki.guid_for(card.pack, card.question_id, card.key_point_id),
                # One hierarchical tag (interviewer::pack::topic): browsable in Anki, and no clash with the user's own.
                tags=[_tag("::".join(part for part in ("interviewer", card.pack, card.topic) if part))],
            )
        )
    # Written beside the target and moved into place, so a failed export never leaves a half-written deck.
    partial = out.with_name(out.name + ".partial")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        genanki.Package(deck).write_to_file(str(partial))
        os.replace(partial, out)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write the Anki deck to {out}: {exc.strerror or exc}", "Anki export failed") from exc
    return len(cards)
