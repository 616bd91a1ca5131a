"""History: past sessions, per-topic trends, the weakest topics and key points, reviews due; one session's
transcript and feedback; its report written to a file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Sparkline, Static

from interviewer.errors import InterviewerError
from tui.backend import Backend, InterviewRequest
from tui.widgets.grade_text import score_style

SHORT_SESSION = 3  # "practise anyway" when nothing is due
MOST_DUE = 10


def final_attempts(attempts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per question, the attempt holding its final grade (a follow-up's supersedes), else its last attempt."""
    from interviewer.records.report import attempts_by_question, last_graded_attempt

    return [last_graded_attempt(group) or group[-1] for group in attempts_by_question(attempts).values()]


def topic_series(sessions: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Per topic, every final score, oldest first."""
    scores: dict[str, list[float]] = {}
    for session in reversed(sessions):
        for attempt in final_attempts(session["attempts"]):
            if attempt["overall"] is not None:
                scores.setdefault(attempt["topic"], []).append(float(attempt["overall"]))
    return scores


def export_report(screen: Screen[Any], backend: Backend, session_id: str) -> list[Path]:
    """Write the session's report as Markdown and HTML in the data dir's reports/ folder; tell the user where."""
    from interviewer.records.report import build_report, render_html, render_markdown

    session = backend.history().session(session_id)
    if session is None:
        screen.notify(f"No session {session_id} in the history.", title="Nothing to export", severity="error",
                      markup=False)
        return []
    pack = next((loaded.pack for loaded in backend.catalog().packs if loaded.pack.name == session["pack"]), None)
    report = build_report(session, pack)
    folder = backend.settings.data_dir / "reports"
    written = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, render in ((".md", render_markdown), (".html", render_html)):
            path = folder / f"{session_id}{suffix}"
            path.write_text(render(report), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        screen.notify(f"Cannot write to {folder}: {exc.strerror}", title="Report not written", severity="error",
                      markup=False)
        return []
    screen.notify("Written: " + ", ".join(str(path) for path in written), title="Report exported", markup=False,
                  timeout=10)
    return written


class HistoryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("enter", "open_session", "Open session", show=False)]

    def __init__(self, backend: Backend, now: datetime | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.now = now
        self._due: dict[str, int] = {}
        self._session_ids: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="history"):
            yield Label(Text("Sessions (Enter opens one)", style="bold"))
            yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
            yield Label(Text("Topics, weakest first: mean and trend", style="bold"))
            yield Vertical(id="trends")
            yield Label(Text("Key points missed most often", style="bold"))
            yield Static("", id="weak-points")
            with Vertical(id="reviews", classes="panel"):
                yield Static("", id="due-text")
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Practise what is due", variant="primary", id="practise-due")
                    yield Button("Practise anyway", id="practise-anyway")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        table.add_columns("session", "started", "pack", "mode", "questions", "mean", "status")
        self.load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def load(self) -> None:
        try:
            history = self.backend.history()
            sessions = history.sessions()
            catalog = self.backend.catalog()
            statements = {point.id: point.statement for loaded in catalog.packs
                          for question in loaded.pack.questions for point in question.key_points}
            packs = sorted({session["pack"] for session in sessions})
            missed = [(statements.get(kp, kp), count) for pack in packs
                      for kp, count in history.missed_key_points(pack, limit=5)]
            due = {pack: len(history.due_reviews(pack, self.now)) for pack in packs}
        except InterviewerError as exc:
            self.app.call_from_thread(self.notify, exc.message, title=exc.title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, sessions, missed, due)

    def _show(self, sessions: list[dict[str, Any]], missed: list[tuple[str, int]], due: dict[str, int]) -> None:
        table = self.query_one("#sessions", DataTable)
        table.clear()
        self._session_ids = []
        for session in sessions:
            finals = [a for a in final_attempts(session["attempts"]) if a["overall"] is not None]
            mean = sum(a["overall"] for a in finals) / len(finals) if finals else None
            table.add_row(
                Text(session["id"]), Text(str(session["started_at"])[:16].replace("T", " ")), Text(session["pack"]),
                Text(session["mode"]), Text(str(len({a["question_id"] for a in session["attempts"]}))),
                Text(f"{mean:.1f}" if mean is not None else "–", style=score_style(mean) if mean is not None else ""),
                Text("finished" if session["finished_at"] else "unfinished"),
            )
            self._session_ids.append(session["id"])
        if not sessions:
            table.add_row(Text("No sessions yet: start one from Home."), *[Text("")] * 6)
        trends = self.query_one("#trends", Vertical)
        trends.remove_children()
        series = topic_series(sessions)
        for topic, values in sorted(series.items(), key=lambda item: sum(item[1]) / len(item[1])):
            mean = sum(values) / len(values)
            label = Text(f"{topic:<22}", style="bold")
            label.append(f"{mean:.1f}", style=score_style(mean))
            label.append(f"  {len(values)} answered")
            if len(values) > 1:
                label.append(f"  {values[0]:.1f} → {values[-1]:.1f}")
            trends.mount(Horizontal(Static(label, classes="trend-label"),
                                    Sparkline(values if len(values) > 1 else values * 2, classes="trend-line"),
                                    classes="trend"))
        if not series:
            trends.mount(Static("No graded answers yet."))
        weak = Text()
        for number, (statement, count) in enumerate(missed):
            weak.append(("\n" if number else "") + f"missed {count}×  ")
            weak.append(statement)
        self.query_one("#weak-points", Static).update(weak or Text("Nothing missed yet."))
        self._due = due
        total = sum(due.values())
        due_text = (f"{total} question{'s' if total != 1 else ''} due for review" if total
                    else "Nothing is due for review. Practise anyway: a short session of "
                         f"{SHORT_SESSION} questions.")
        self.query_one("#due-text", Static).update(Text(due_text))
        self.query_one("#practise-due", Button).display = total > 0

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#sessions")
    def action_open_session(self) -> None:
        table = self.query_one("#sessions", DataTable)
        if not self._session_ids or table.cursor_row >= len(self._session_ids):
            return
        self.app.push_screen(SessionScreen(self.backend, self._session_ids[table.cursor_row]))

    @on(Button.Pressed, "#practise-due")
    def _practise_due(self) -> None:
        pack = max(self._due, key=lambda name: self._due[name])
        self._practise(pack, min(MOST_DUE, self._due[pack]))

    @on(Button.Pressed, "#practise-anyway")
    def _practise_anyway(self) -> None:
        self._practise(next(iter(self._due), "genai-core"), SHORT_SESSION)

    def _practise(self, pack: str, questions: int) -> None:
        from interviewer.agent.planning import SessionPlan

        plan = SessionPlan(pack=pack, questions=max(1, questions),
                           max_follow_ups=self.backend.settings.max_follow_ups)
        self.app.open_interview(InterviewRequest(plan=plan))  # type: ignore[attr-defined]


class SessionScreen(Screen[None]):
    """One past session: its questions and grades; Enter opens a grade's full feedback."""

    BINDINGS = [Binding("escape", "back", "Back"), Binding("e", "export", "Export report")]

    def __init__(self, backend: Backend, session_id: str) -> None:
        super().__init__()
        self.backend, self.session_id = backend, session_id
        self._entries: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        from tui.widgets.transcript import Transcript

        with Vertical(id="session-view"):
            yield Label(Text(f"Session {self.session_id}: Enter on a question opens its feedback", style="bold"))
            yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)
            yield Transcript(id="transcript")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        from interviewer.agent.state import Event
        from tui.widgets.transcript import Transcript

        table = self.query_one("#attempts", DataTable)
        table.add_columns("score", "topic", "question")
        session = self.backend.history().session(self.session_id)
        if session is None:
            self.notify(f"No session {self.session_id} in the history.", title="Unknown session",
                        severity="error", markup=False)
            return
        attempts = session["attempts"]
        for final in final_attempts(attempts):
            answers = [a["answer"] for a in attempts if a["question_id"] == final["question_id"]]
            main = next((a for a in attempts if a["question_id"] == final["question_id"]
                         and a["kind"] == "question"), final)
            score = final["overall"]
            table.add_row(Text(f"{score:.1f}" if score is not None else "–",
                               style=score_style(score) if score is not None else ""),
                          Text(final["topic"]), Text(main["prompt"][:90]))
            self._entries.append({"turn": final.get("turn") or "", "grade": final["grade"], "answers": answers,
                                  "question": main["prompt"]})
        if session.get("transcript"):
            self.query_one(Transcript).add_events([Event.model_validate(item) for item in session["transcript"]])
        else:
            self.query_one(Transcript).display = False
        table.focus()

    @on(DataTable.RowSelected, "#attempts")
    def _open(self) -> None:
        from tui.screens.feedback import FeedbackScreen

        row = self.query_one("#attempts", DataTable).cursor_row
        if row >= len(self._entries):
            return
        entry = self._entries[row]
        if entry["grade"] is None:
            self.notify("This answer was not graded (the session stopped before it was).", title="No grade",
                        markup=False)
            return
        session = self.backend.history().session(self.session_id) or {}
        self.app.push_screen(FeedbackScreen(self.backend, self.session_id, entry,
                                            practice=session.get("mode") == "practice"))

    def action_export(self) -> None:
        export_report(self, self.backend, self.session_id)

    def action_back(self) -> None:
        self.app.pop_screen()
