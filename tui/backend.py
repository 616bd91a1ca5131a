"""The UI's handle on the core: what it opens, when, and on which thread.

The interview engine (InterviewSession and the models behind it) costs seconds to open, so the screens never
open it themselves: they ask the Backend from a worker thread, and the Backend opens it once. The engine is
used by one thread at a time (the lock): reading a question ahead for the grader while the candidate types,
then grading the answer, never overlap. The UI keeps its own History connection for reading; the interview
writes through the engine's.

Tests pass `open_session` to run the UI over fakes; everything else is the same code a user runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.config import Settings
from interviewer.records.drafts import DraftStore

if TYPE_CHECKING:
    from interviewer.agent.planning import SessionPlan
    from interviewer.agent.session import InterviewSession
    from interviewer.packs import PackCatalog
    from interviewer.records.history import History

Note = Callable[[str], None]
SessionOpener = Callable[[Settings, Note, Any], "InterviewSession"]


@dataclass
class InterviewRequest:
    """What the command line asked for: start this plan, or resume a session (None: the newest unfinished)."""

    plan: SessionPlan | None = None
    resume: bool = False
    resume_id: str | None = None


@dataclass
class Backend:
    settings: Settings
    model: Path | None = None
    use_model: bool = True
    open_session: SessionOpener | None = None
    preloaded_catalog: PackCatalog | None = None  # the packs, when the caller has read them already
    notes: list[str] = field(default_factory=list)  # what opening the engine had to say (a missing model, ...)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._session: InterviewSession | None = None
        self._catalog: PackCatalog | None = self.preloaded_catalog
        self._history: History | None = None
        self.drafts = DraftStore(self.settings.data_dir / "drafts")

    # --- light: safe to call on the UI thread --------------------------------------------------------------

    def history(self) -> History:
        from interviewer.records.history import History

        if self._history is None:
            self._history = History(self.settings.history_path)
        return self._history

    @property
    def session(self) -> InterviewSession | None:
        return self._session

    def store_problem(self) -> str | None:
        from interviewer.wiring import store_status

        return store_status(self.settings)

    def model_problem(self) -> str | None:
        from interviewer.wiring import model_status

        if not self.use_model:
            return "no model (--no-model): grades come from evidence only"
        return model_status(self.settings, self.model)

    def unfinished_sessions(self) -> list[dict[str, Any]]:
        """Unfinished sessions, newest first, with how far each got (from the history: no engine needed)."""
        history = self.history()
        found = []
        for session_id in history.unfinished_session_ids():
            saved = history.session(session_id)
            if saved is None:
                continue
            answered = len({a.question_id for a in saved.attempts if a.kind == "question"})
            found.append({**saved.model_dump(), "answered": answered, "planned": saved.plan.get("questions", 0)})
        return found

    # --- heavy: call from a worker thread ------------------------------------------------------------------

    def catalog(self) -> PackCatalog:
        from interviewer.packs import discover_packs
        from interviewer.resources import builtin_packs_dir

        with self._open_lock:  # Home and the interview may both ask at start; the packs are read once
            if self._catalog is None:
                self._catalog = discover_packs(builtin_packs_dir(), self.settings.user_packs_path)
            return self._catalog

    def catalog_question(self, question_id: str) -> Any:
        """The installed question with that id (any pack), or None."""
        for loaded in self.catalog().packs:
            for question in loaded.pack.questions:
                if question.id == question_id:
                    return question
        return None

    def reload_catalog(self) -> PackCatalog:
        with self._open_lock:
            self._catalog = None
        return self.catalog()

    def engine(self) -> InterviewSession:
        """The interview engine, opened on first use (packs, grader, models, checkpoints)."""
        catalog = self.catalog()
        with self._open_lock:
            if self._session is None:
                if self.open_session is not None:
                    self._session = self.open_session(self.settings, self.notes.append, catalog)
                else:
                    from interviewer.wiring import open_interview

                    self._session = open_interview(self.settings, self.model, use_model=self.use_model,
                                                   note=self.notes.append, catalog=catalog)
            return self._session

    def open_in_background(self) -> None:
        """Start opening the engine now, on another thread, so it overlaps the app's own start-up."""

        def open_quietly() -> None:
            try:
                self.engine()
            except Exception:  # noqa: BLE001 — the interview screen opens it again and reports the failure
                pass

        threading.Thread(target=open_quietly, name="open-engine", daemon=True).start()

    def build_store(self, on_progress: Callable[[int, int], None]) -> str:
        from interviewer.wiring import build_store

        report = build_store(self.settings, self.catalog(), on_progress)
        return str(report.summary())

    def reference_roots(self) -> list[Path]:
        from interviewer.retrieval.ingest import default_roots

        return default_roots(self._catalog)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._history is not None:
            self._history.close()
