"""One interview, driven from outside: start or resume it, send the candidate's actions, read what happened.

Both front ends (the plain terminal and the full-screen UI) use this class; neither touches the graph. Every
step is checkpointed synchronously in an SQLite file in the data dir before `send` returns, so a session killed
at any moment resumes from its last completed step, and the answer that step saved is already in the history.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interviewer.agent.graph import build_graph
from interviewer.agent.nodes import InterviewDeps
from interviewer.agent.planning import SessionPlan
from interviewer.agent.state import Action, Event, Turn
from interviewer.errors import InterviewerError


class SessionError(InterviewerError):
    title = "Session problem"


@dataclass
class Step:
    """What one call produced: new transcript events, then either the next turn or the end of the session."""

    session_id: str
    events: list[Event] = field(default_factory=list)
    turn: Turn | None = None
    finished: bool = False
    summary: dict[str, Any] | None = None


def open_checkpoints(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, check_same_thread=False, timeout=10)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")  # a checkpoint written is a checkpoint kept, power loss or not
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SessionError(
            f"the saved-sessions file {path} cannot be read ({exc}). Move it aside to start afresh; your answers "
            "and grades are kept separately in the history database.",
            "Saved sessions unreadable",
        ) from exc
    return connection


def _unfinished(snapshot: Any) -> bool:
    """Whether a saved session has more to run. Not `snapshot.next`: a process killed after a node's writes were
    saved but before the checkpoint that follows them leaves `next` empty (LangGraph counts that node as done), and
    such a session, say one killed right after looking up the references for an answer, resumes from those writes.
    Only the summary sets `finished`."""
    return bool(snapshot.values) and not snapshot.values.get("finished")


class InterviewSession:
    def __init__(self, deps: InterviewDeps, checkpoints: Path) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        self.deps = deps
        self._connection = open_checkpoints(checkpoints)
        self._saver = SqliteSaver(self._connection)
        self.graph = build_graph(deps).compile(checkpointer=self._saver)
        self.session_id: str | None = None
        self._pack_name: str | None = None
        self._seen = 0

    def close(self) -> None:
        self._connection.close()

    def _config(self, session_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": session_id}}

    def start(self, plan: SessionPlan, session_id: str | None = None) -> Step:
        plan.check_topics(self.deps.pack(plan.pack))
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self._seen = 0
        return self._run({"session_id": self.session_id, "plan": plan.model_dump(mode="json"), "transcript": []})

    def resumable(self) -> list[str]:
        """Unfinished sessions that have a saved step to resume from, newest first."""
        result = []
        for session_id in self.deps.history.unfinished_session_ids():
            snapshot = self.graph.get_state(self._config(session_id))
            if _unfinished(snapshot):
                result.append(session_id)
            elif snapshot.values and snapshot.values.get("finished"):
                self._archive(session_id, snapshot.values.get("transcript", []))  # stopped before archiving
        return result

    def resume(self, session_id: str | None = None) -> tuple[Step, list[Event]]:
        """Continue a saved session (the newest unfinished one by default).

        Returns the next step and the transcript so far. A session stopped between steps (say, killed while an
        answer was being graded) first finishes that step, from the answer already saved.
        """
        if session_id is None:
            candidates = self.resumable()
            if not candidates:
                raise SessionError("there is no unfinished session to resume", "Nothing to resume")
            session_id = candidates[0]
        snapshot = self.graph.get_state(self._config(session_id))
        if not snapshot.values:
            saved = self.deps.history.session(session_id)
            if saved is not None and saved.finished_at:
                raise SessionError(f"session '{session_id}' is already finished", "Session finished")
            raise SessionError(f"no saved session '{session_id}' (see `interviewer history`)", "Unknown session")
        if not _unfinished(snapshot):
            self._archive(session_id, snapshot.values.get("transcript", []))  # in case it stopped before archiving
            raise SessionError(f"session '{session_id}' is already finished", "Session finished")
        self.session_id = session_id
        earlier = [Event.model_validate(item) for item in snapshot.values.get("transcript", [])]
        self._seen = len(earlier)
        if snapshot.interrupts:
            return self._step(snapshot), earlier
        return self._run(None), earlier

    def send(self, action: Action, on_events: Callable[[list[Event]], None] | None = None) -> Step:
        """Hand the candidate's action to the graph and run it to the next turn or the end.

        `on_events` receives transcript events as each step produces them (the grade before the follow-up is
        written, say), so a front end can show them at once; the returned Step holds the rest.
        """
        from langgraph.types import Command

        if self.session_id is None:
            raise SessionError("no session is running")
        return self._run(Command(resume=action.model_dump(mode="json")), on_events)

    def prepare(self, turn: Turn) -> None:
        """Answer-independent grading work for the turn's question; run it while the candidate types.

        It touches only the grader (never the checkpoints), so it may run on another thread until `send`.
        """
        assert self._pack_name is not None, "prepare() needs a turn from start(), resume() or send()"
        self.deps.grader.prepare(self.deps.pack(self._pack_name).question(turn.question_id))

    def read_draft(self, turn: Turn, draft: str) -> None:
        """Have the grader read the finished sentences of the answer being typed to `turn` (Grader.read_draft), so
        the grade after it is sent waits only for the newest. Like `prepare`, it touches only the grader."""
        assert self._pack_name is not None, "read_draft() needs a turn from start(), resume() or send()"
        question = self.deps.pack(self._pack_name).question(turn.question_id)
        self.deps.grader.read_draft(question, draft, turn.key_point_id if turn.kind == "follow-up" else None)

    def transcript(self) -> list[Event]:
        """The whole transcript so far (from the checkpoint, or from the history once the session is archived)."""
        assert self.session_id is not None
        items = self.graph.get_state(self._config(self.session_id)).values.get("transcript")
        if items is None:
            saved = self.deps.history.session(self.session_id)
            items = (saved.transcript if saved else None) or []
        return [Event.model_validate(item) for item in items]

    def _run(self, graph_input: Any, on_events: Callable[[list[Event]], None] | None = None) -> Step:
        assert self.session_id is not None
        config = self._config(self.session_id)
        # durability="sync": the checkpoint is on disk before the next step starts, so kill -9 loses nothing.
        for values in self.graph.stream(graph_input, config, stream_mode="values", durability="sync"):
            transcript = values.get("transcript", []) if isinstance(values, dict) else []
            if on_events is not None and len(transcript) > self._seen:
                on_events([Event.model_validate(item) for item in transcript[self._seen:]])
                self._seen = len(transcript)
        snapshot = self.graph.get_state(config)
        step = self._step(snapshot)
        if step.finished:
            self._archive(self.session_id, snapshot.values.get("transcript", []))
        return step

    def _archive(self, session_id: str, transcript: list[dict[str, Any]]) -> None:
        """A finished session's transcript moves into the history; its checkpoints are no longer needed."""
        self.deps.history.save_transcript(session_id, transcript)
        self._saver.delete_thread(session_id)

    def _step(self, snapshot: Any) -> Step:
        assert self.session_id is not None
        transcript = snapshot.values.get("transcript", [])
        self._pack_name = snapshot.values.get("plan", {}).get("pack", self._pack_name)
        new = [Event.model_validate(item) for item in transcript[self._seen:]]
        self._seen = len(transcript)
        turn = Turn.model_validate(snapshot.interrupts[0].value) if snapshot.interrupts else None
        return Step(self.session_id, new, turn, bool(snapshot.values.get("finished")), snapshot.values.get("summary"))
