from __future__ import annotations

import sqlite3
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from interviewer.packs import Pack
from interviewer.records.anki import export_missed_key_points, missed_key_points
from interviewer.records.history import History
from interviewer.records.sessions import SessionRecord
from tests.grade_dicts import ATTENTION, LLM, grade_attempt, make_grade, starter_pack

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return starter_pack()


def run_session(history: History, pack: Pack, when: datetime, answers: list[tuple[str, dict[str, str]]]) -> str:
    """A finished session: each (question, key point statuses) answered once and graded."""
    session_id = history.start_session("starter", "practice", {"questions": len(answers)}, when=when)
    for question_id, statuses in answers:
        question = pack.question(question_id)
        attempt = history.record_answer(
            session_id, "starter", question_id, question.topic, question.question, "An <b>answer</b>.", when=when
        )
        grade_attempt(history, attempt, make_grade(pack, question_id, statuses, 2.0))
    history.finish_session(session_id, when=when + timedelta(minutes=10))
    return session_id


def notes_in(apkg: Path) -> list[tuple[str, str]]:
    """(guid, fields) of every note in an .apkg, read the way Anki would: a zip holding a SQLite collection."""
    with zipfile.ZipFile(apkg) as archive:
        name = next(n for n in archive.namelist() if n in ("collection.anki21", "collection.anki2"))
        collection = apkg.parent / "collection.sqlite"
        collection.write_bytes(archive.read(name))
    db = sqlite3.connect(collection)
    try:
        return [(row[0], row[1]) for row in db.execute("SELECT guid, flds FROM notes ORDER BY sfld")]
    finally:
        db.close()


def test_missed_key_points_become_one_card_each_across_sessions(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    run_session(history, pack, T0, [(ATTENTION, {"formula": "missing", "quadratic-cost": "partly"})])
    # later: the formula is missed again (one card, not two), and a point of another question is missed
    run_session(history, pack, T0 + timedelta(days=1), [(ATTENTION, {"formula": "missing"}),
                                                         (LLM, {"scale": "partly"})])
    sessions = history.sessions()
    out = tmp_path / "exports" / "deck" / "missed.apkg"

    assert export_missed_key_points(sessions, out, {"starter": pack}) == 3
    notes = notes_in(out)
    assert len(notes) == 3 and len({guid for guid, _ in notes}) == 3
    fields = {flds.split("\x1f")[0]: flds.split("\x1f") for _, flds in notes}
    formula = pack.question(ATTENTION).key_point("formula")
    probe, question, statement, reference, study, source = fields[formula.probe]
    assert question == pack.question(ATTENTION).question
    assert statement == formula.statement
    assert reference.startswith("Attention(Q, K, V) = softmax(QK^T / sqrt(d_k)) V.")
    assert "transformers.md#Scaled dot-product attention" in study
    assert source == f"starter / {ATTENTION} / formula"


def test_re_exporting_keeps_the_same_note_ids(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    run_session(history, pack, T0, [(LLM, {"scale": "missing", "base-vs-chat": "partly"})])
    first, second = tmp_path / "first.apkg", tmp_path / "second.apkg"
    export_missed_key_points(history.sessions(), first, {"starter": pack})
    run_session(history, pack, T0 + timedelta(days=2), [(LLM, {"scale": "missing"})])
    export_missed_key_points(history.sessions(), second, {"starter": pack})
    # Anki matches imported notes by guid: same guids mean updated cards, not duplicates
    assert {guid for guid, _ in notes_in(first)} == {guid for guid, _ in notes_in(second)}


def test_the_final_grade_decides_and_fields_are_escaped(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    session_id = history.start_session("starter", "practice", {}, when=T0)
    question = pack.question(LLM)
    first = history.record_answer(session_id, "starter", LLM, "llm-basics", "Explain <LLMs> & co", "x", when=T0)
    grade_attempt(history, first, make_grade(pack, LLM, {"scale": "missing", "base-vs-chat": "missing"}, 1.0))
    follow = history.record_answer(session_id, "starter", LLM, "llm-basics", question.key_point("scale").probe,
                                   "billions of parameters", kind="follow-up", key_point_id="scale", when=T0)
    grade_attempt(history, follow, make_grade(pack, LLM, {"base-vs-chat": "missing"}, 2.0))
    sessions = history.sessions()
    # the follow-up covered 'scale', so only base-vs-chat is left; without the pack the asked prompt is the context
    (card,) = missed_key_points(sessions)
    assert card.key_point_id == "base-vs-chat" and card.question == "Explain <LLMs> & co" and card.reference == ""
    out = tmp_path / "deck.apkg"
    assert export_missed_key_points(sessions, out) == 1
    ((_, flds),) = notes_in(out)
    assert "Explain &lt;LLMs&gt; &amp; co" in flds.split("\x1f")


def test_nothing_missed_writes_nothing(tmp_path: Path, pack: Pack) -> None:
    history = History(tmp_path / "history.sqlite")
    run_session(history, pack, T0, [(LLM, {})])
    session_id = history.start_session("starter", "practice", {}, when=T0 + timedelta(days=1))
    history.record_answer(session_id, "starter", ATTENTION, "transformers", "Q?", "not graded yet", when=T0)
    out = tmp_path / "deck.apkg"
    sessions: list[SessionRecord] = history.sessions()
    assert export_missed_key_points(sessions, out, {"starter": pack}) == 0
    assert not out.exists()
    assert export_missed_key_points([], out) == 0 and not out.exists()

