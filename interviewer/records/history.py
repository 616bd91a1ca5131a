"""The candidate's history: sessions, answers, grades and the spaced-repetition schedule, in SQLite.

One database file in the data dir, in WAL mode so a crash never corrupts what was already written and a
reader (the history view) never blocks the writer (the interview). Every answer is written as soon as it is
given, before it is graded, so a failed grade never loses it.

Reads come back as typed records: a `SessionRecord` holds its `AttemptRecord`s, grouped per question by
`SessionRecord.questions()` (whose `final` attempt holds the question's final grade, since a follow-up's grade
supersedes the one before it), and `topic_trends` reduces sessions to per-topic score series. Records dump to the
JSON `interviewer history --json` prints, and that JSON validates back into them.

A candidate who thinks a grade is wrong can dispute it: the fair score they would give and a note are kept on the
graded attempt (`record_dispute`), beside the grade rather than instead of it, so the report shows both and the
disputes can be exported to refit the grading calibration (see disputes.py).

Review scheduling is SM-2 (SuperMemo 2): a grade of 3/5 or better is a successful recall and pushes the next
review out (1 day, 6 days, then the previous interval times an easiness factor that good grades raise and weak
ones lower); a grade under 3 starts the question over at 1 day. SM-2 is simple, well understood and needs no
training data, which FSRS would.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from interviewer.errors import InterviewerError
from interviewer.records.sessions import (
    AttemptRecord,
    DisputeRecord,
    SessionRecord,
)

SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    pack TEXT NOT NULL,
    mode TEXT NOT NULL,
    plan TEXT NOT NULL,           -- JSON: topics, difficulty, number of questions, ...
    transcript TEXT               -- JSON: the finished session's transcript (hints, follow-ups, tool calls)
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id),
    pack TEXT NOT NULL,
    question_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,           -- 'question' or 'follow-up'
    key_point_id TEXT,            -- what a follow-up asked about
    prompt TEXT NOT NULL,         -- what the candidate was asked
    answer TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    hints INTEGER NOT NULL DEFAULT 0,
    late INTEGER NOT NULL DEFAULT 0,
    overall REAL,                 -- NULL until graded (or when grading was unavailable)
    grade TEXT,                   -- the Grade as JSON
    model_id TEXT,
    prompt_version TEXT,
    turn TEXT,                    -- the interview step that asked it, e.g. 'q3' or 'q3.f1' (see record_answer)
    dispute_score REAL,           -- the score the candidate thinks is fair; NULL unless they disputed the grade
    dispute_note TEXT,
    disputed_at TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_session ON attempts(session_id);
CREATE INDEX IF NOT EXISTS attempts_by_question ON attempts(pack, question_id);
CREATE TABLE IF NOT EXISTS reviews (
    pack TEXT NOT NULL,
    question_id TEXT NOT NULL,
    repetitions INTEGER NOT NULL,
    interval_days REAL NOT NULL,
    easiness REAL NOT NULL,
    due_at TEXT NOT NULL,
    last_score REAL NOT NULL,
    last_event TEXT,              -- what last moved the schedule, so replaying that step does not move it twice
    PRIMARY KEY (pack, question_id)
);
"""
# Columns added since version 1: version 2 made interview steps safe to replay and kept finished transcripts,
# version 3 keeps disputed grades. Each is added when missing, so a database of any earlier version is brought up
# to date in place.
_ADDED_COLUMNS = [
    ("attempts", "turn", "TEXT"),
    ("reviews", "last_event", "TEXT"),
    ("sessions", "transcript", "TEXT"),
    ("attempts", "dispute_score", "REAL"),
    ("attempts", "dispute_note", "TEXT"),
    ("attempts", "disputed_at", "TEXT"),
]
_INDEXES = "CREATE UNIQUE INDEX IF NOT EXISTS attempts_by_turn ON attempts(session_id, turn);"
# A dispute note is a sentence or a paragraph; the cap keeps a pasted essay out of every report and export.
DISPUTE_NOTE_LIMIT = 2000


class HistoryError(InterviewerError):
    title = "History problem"


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReviewState:
    pack: str
    question_id: str
    repetitions: int
    interval_days: float
    easiness: float
    due_at: datetime
    last_score: float


def sm2_next(previous: ReviewState | None, score: float, pack: str, question_id: str, when: datetime) -> ReviewState:
    """The SM-2 step: a 0-5 score in, the next review state out."""
    quality = max(0, min(5, round(score)))
    repetitions = previous.repetitions if previous else 0
    interval = previous.interval_days if previous else 0.0
    easiness = previous.easiness if previous else 2.5
    if quality < 3:
        repetitions, interval = 0, 1.0
    else:
        repetitions += 1
        interval = 1.0 if repetitions == 1 else 6.0 if repetitions == 2 else round(interval * easiness, 1)
    easiness = max(1.3, easiness + 0.1 - (5 - quality) * (0.08 + (5 - quality) * 0.02))
    return ReviewState(
        pack, question_id, repetitions, interval, round(easiness, 3), when + timedelta(days=interval), float(score)
    )


def _grade_object(decoded: Any) -> dict[str, Any] | None:
    # A grade is stored as a JSON object; anything else (a damaged row) reads as no grade.
    return decoded if isinstance(decoded, dict) else None


class History:
    """The history database. Open with `History(path)` (or `with History(path) as history:`, which closes it);
    every write commits at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # each commit is on disk: an answer survives power loss
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            for table, column, kind in _ADDED_COLUMNS:
                present = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            self._db.executescript(_INDEXES)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"the history database {path} cannot be opened ({exc}). Move it aside to start a new history; "
                "nothing in it is deleted by interviewer.",
                "History unreadable",
            ) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- sessions ---

    def start_session(
        self, pack: str, mode: str, plan: dict[str, Any], session_id: str | None = None, when: datetime | None = None
    ) -> str:
        session_id = session_id or uuid.uuid4().hex[:12]
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO sessions (id, started_at, pack, mode, plan) VALUES (?, ?, ?, ?, ?)",
                (session_id, (when or now_utc()).isoformat(), pack, mode, json.dumps(plan, sort_keys=True)),
            )
        return session_id

    def finish_session(self, session_id: str, when: datetime | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE sessions SET finished_at = ? WHERE id = ?", ((when or now_utc()).isoformat(), session_id)
            )

    def save_transcript(self, session_id: str, transcript: list[dict[str, Any]]) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sessions SET transcript = ? WHERE id = ?", (json.dumps(transcript), session_id))

    def sessions(self) -> list[SessionRecord]:
        """Every session, newest first, with its attempts (grades decoded) and, once finished, its transcript."""
        rows = self._db.execute("SELECT * FROM sessions ORDER BY started_at DESC, rowid DESC").fetchall()
        return [self._session(row) for row in rows]

    def session(self, session_id: str) -> SessionRecord | None:
        """One session as `sessions()` gives it, or None."""
        row = self._db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return self._session(row) if row is not None else None

    def latest_session(self) -> SessionRecord | None:
        """The most recently started session, or None when there is none."""
        row = self._db.execute("SELECT * FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT 1").fetchone()
        return self._session(row) if row is not None else None

    def _session(self, row: sqlite3.Row) -> SessionRecord:
        session = dict(row)
        session["plan"] = json.loads(session["plan"])
        session["transcript"] = json.loads(session["transcript"]) if session["transcript"] else None
        session["attempts"] = self.attempts(session["id"])
        return SessionRecord.model_validate(session)

    def unfinished_session_ids(self) -> list[str]:
        rows = self._db.execute(
            "SELECT id FROM sessions WHERE finished_at IS NULL ORDER BY started_at DESC, rowid DESC"
        )
        return [row["id"] for row in rows]

    # --- attempts ---

    def record_answer(
        self,
        session_id: str,
        pack: str,
        question_id: str,
        topic: str,
        prompt: str,
        answer: str,
        *,
        kind: str = "question",
        key_point_id: str | None = None,
        hints: int = 0,
        late: bool = False,
        when: datetime | None = None,
        turn: str | None = None,
    ) -> int:
        """Save an answer before it is graded; returns the attempt id to attach the grade to.

        `turn` names the interview step; saving the same turn of a session again (a step replayed after a crash)
        returns the attempt already saved instead of adding a second one.
        """
        with self._transaction() as db:
            if turn is not None:
                row = db.execute(
                    "SELECT id FROM attempts WHERE session_id = ? AND turn = ?", (session_id, turn)
                ).fetchone()
                if row is not None:
                    return int(row["id"])
            cursor = db.execute(
                "INSERT INTO attempts (session_id, pack, question_id, topic, kind, key_point_id, prompt, answer, "
                "answered_at, hints, late, turn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    pack,
                    question_id,
                    topic,
                    kind,
                    key_point_id,
                    prompt,
                    answer,
                    (when or now_utc()).isoformat(),
                    hints,
                    int(late),
                    turn,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def record_grade(
        self, attempt_id: int, grade_json: str, overall: float, model_id: str | None, prompt_version: str
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE attempts SET grade = ?, overall = ?, model_id = ?, prompt_version = ? WHERE id = ?",
                (grade_json, overall, model_id, prompt_version, attempt_id),
            )

    def attempts(self, session_id: str) -> list[AttemptRecord]:
        rows = self._db.execute("SELECT * FROM attempts WHERE session_id = ? ORDER BY id", (session_id,))
        result = []
        for row in rows:
            attempt = dict(row)
            attempt["grade"] = _grade_object(json.loads(attempt["grade"])) if attempt["grade"] else None
            attempt["late"] = bool(attempt["late"])
            result.append(AttemptRecord.model_validate(attempt))
        return result

    # --- disputed grades ---

    def record_dispute(
        self, session_id: str, turn: str, fair_score: float, note: str = "", when: datetime | None = None
    ) -> None:
        """Keep the score the candidate thinks is fair (0-5, one decimal) and their note on a graded attempt.

        The attempt is the one `turn` of the session asked (e.g. 'q3' or 'q3.f1'). Disputing it again replaces
        the earlier dispute; the grade itself is never changed.
        """
        if not 0 <= fair_score <= 5:  # also refuses NaN, which no comparison holds for
            raise HistoryError(f"a fair score is between 0 and 5, not {fair_score}", "Dispute not recorded")
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, overall, grade FROM attempts WHERE session_id = ? AND turn = ?", (session_id, turn)
            ).fetchone()
            if row is None:
                known = db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is not None
                where = f"session '{session_id}' has no answer at step '{turn}'" if known else (
                    f"there is no session '{session_id}'"
                )
                raise HistoryError(f"{where} (see `interviewer history`)", "Dispute not recorded")
            if row["overall"] is None and row["grade"] is None:
                raise HistoryError(
                    f"the answer at step '{turn}' of session '{session_id}' has no grade to dispute",
                    "Dispute not recorded",
                )
            db.execute(
                "UPDATE attempts SET dispute_score = ?, dispute_note = ?, disputed_at = ? WHERE id = ?",
                (
                    round(float(fair_score), 1),
                    note.strip()[:DISPUTE_NOTE_LIMIT],
                    (when or now_utc()).isoformat(),
                    row["id"],
                ),
            )

    def disputes(self) -> list[DisputeRecord]:
        """Every disputed attempt, newest dispute first: where it was asked, the answer, the grade and the dispute."""
        rows = self._db.execute(
            "SELECT session_id, turn, pack, question_id, topic, kind, key_point_id, prompt, answer, overall, "
            "dispute_score, dispute_note, disputed_at, grade FROM attempts WHERE dispute_score IS NOT NULL "
            "ORDER BY disputed_at DESC, id DESC"
        )
        disputes = []
        for row in rows:
            dispute = dict(row)
            try:
                dispute["grade"] = _grade_object(json.loads(dispute["grade"])) if dispute["grade"] else None
            except ValueError:
                dispute["grade"] = None  # a damaged grade still lists its dispute
            disputes.append(DisputeRecord.model_validate(dispute))
        return disputes

    def asked_question_ids(self, pack: str) -> set[str]:
        rows = self._db.execute("SELECT DISTINCT question_id FROM attempts WHERE pack = ?", (pack,))
        return {row["question_id"] for row in rows}

    def topic_scores(self, pack: str) -> dict[str, list[float]]:
        """Graded main-question scores per topic, oldest first (for trends and weak topics)."""
        scores: dict[str, list[float]] = {}
        rows = self._db.execute(
            "SELECT topic, overall FROM attempts WHERE pack = ? AND kind = 'question' AND overall IS NOT NULL "
            "ORDER BY id",
            (pack,),
        )
        for row in rows:
            scores.setdefault(row["topic"], []).append(float(row["overall"]))
        return scores

    def missed_key_points(self, pack: str, topic: str | None = None, limit: int = 5) -> list[tuple[str, int]]:
        """Key-point statements most often missing or partly covered, with how often.

        Each question of each session counts once, by its final grade (after any follow-ups).
        """
        query = (
            "SELECT grade FROM attempts a WHERE pack = ? AND grade IS NOT NULL AND id = (SELECT MAX(id) FROM "
            "attempts b WHERE b.session_id = a.session_id AND b.question_id = a.question_id AND b.grade IS NOT NULL)"
        )
        params: list[str] = [pack]
        if topic is not None:
            query += " AND topic = ?"
            params.append(topic)
        counts: dict[str, int] = {}
        for row in self._db.execute(query, params):
            for point in json.loads(row["grade"]).get("key_points", []):
                if point.get("status") != "covered":
                    counts[point["statement"]] = counts.get(point["statement"], 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]

    # --- reviews ---

    def review_state(self, pack: str, question_id: str) -> ReviewState | None:
        row = self._db.execute(
            "SELECT * FROM reviews WHERE pack = ? AND question_id = ?", (pack, question_id)
        ).fetchone()
        if row is None:
            return None
        return ReviewState(
            row["pack"],
            row["question_id"],
            row["repetitions"],
            row["interval_days"],
            row["easiness"],
            datetime.fromisoformat(row["due_at"]),
            row["last_score"],
        )

    def schedule_review(
        self, pack: str, question_id: str, score: float, when: datetime | None = None, event: str | None = None
    ) -> ReviewState:
        """Move the question's SM-2 schedule on by one graded answer.

        `event` names what graded it (e.g. 'SESSION/q3'); the same event applied twice moves it only once.
        """
        previous = self.review_state(pack, question_id)
        if event is not None and previous is not None and self._last_event(pack, question_id) == event:
            return previous
        state = sm2_next(previous, score, pack, question_id, when or now_utc())
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO reviews (pack, question_id, repetitions, interval_days, easiness, due_at, "
                "last_score, last_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pack,
                    question_id,
                    state.repetitions,
                    state.interval_days,
                    state.easiness,
                    state.due_at.isoformat(),
                    state.last_score,
                    event,
                ),
            )
        return state

    def _last_event(self, pack: str, question_id: str) -> str | None:
        row = self._db.execute(
            "SELECT last_event FROM reviews WHERE pack = ? AND question_id = ?", (pack, question_id)
        ).fetchone()
        return row["last_event"] if row else None

    def due_reviews(self, pack: str, when: datetime | None = None) -> list[ReviewState]:
        """Questions due for review, most overdue (then weakest) first."""
        moment = (when or now_utc()).isoformat()
        rows = self._db.execute(
            "SELECT question_id FROM reviews WHERE pack = ? AND due_at <= ? ORDER BY due_at, last_score",
            (pack, moment),
        )
        states = [self.review_state(pack, row["question_id"]) for row in rows]
        return [state for state in states if state is not None]
