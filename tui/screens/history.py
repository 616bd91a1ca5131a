"""History: past sessions, per-topic trends, the weakest topics and key points, reviews due; one session's
transcript and feedback; its report written to a file."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Sparkline, Static

from interviewer.errors import InterviewerError
from tui.backend import Backend, InterviewRequest
from tui.report_export import export_session_report
from tui.widgets.grade_text import score_style

if TYPE_CHECKING:
    from interviewer.records.sessions import SessionRecord

SHORT_SESSION = 3  # "practise anyway" when nothing is due
MOST_DUE = 10


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
            packs = sorted({session.pack for session in sessions})
            missed = [(statements.get(kp, kp), count) for pack in packs
                      for kp, count in history.missed_key_points(pack, limit=5)]
            due = {pack: len(history.due_reviews(pack, self.now)) for pack in packs}
        except InterviewerError as exc:
            self.app.call_from_thread(self.notify, exc.message, title=exc.title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, sessions, missed, due)

    def _show(self, sessions: list[SessionRecord], missed: list[tuple[str, int]], due: dict[str, int]) -> None:
        from interviewer.records.sessions import topic_trends

        table = self.query_one("#sessions", DataTable)
        table.clear()
        self._session_ids = []
        for session in sessions:
            mean = session.mean_score()
            table.add_row(
                Text(session.id), Text(session.started_at[:16].replace("T", " ")), Text(session.pack),
                Text(session.mode), Text(str(len({a.question_id for a in session.attempts}))),
                Text(f"{mean:.1f}" if mean is not None else "–", style=score_style(mean) if mean is not None else ""),
                Text("finished" if session.finished_at else "unfinished"),
            )
            self._session_ids.append(session.id)
        if not sessions:
            table.add_row(Text("No sessions yet: start one from Home."), *[Text("")] * 6)
        trends = self.query_one("#trends", Vertical)
        trends.remove_children()
        series = topic_trends(sessions)
        for trend in series:
            values = trend.scores
            label = Text(f"{trend.topic:<22}", style="bold")
            label.append(f"{trend.mean:.1f}", style=score_style(trend.mean))
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
        from tui.app import interviewer_app

        plan = SessionPlan(pack=pack, questions=max(1, questions),
                           max_follow_ups=self.backend.settings.max_follow_ups)
        interviewer_app(self).open_interview(InterviewRequest(plan=plan))


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
        for question in session.questions():
            final, main = question.final, question.main
            score = final.overall
            table.add_row(Text(f"{score:.1f}" if score is not None else "–",
                               style=score_style(score) if score is not None else ""),
                          Text(final.topic), Text(main.prompt[:90]))
            self._entries.append({"turn": final.turn or "", "grade": final.grade,
                                  "answers": [attempt.answer for attempt in question.attempts],
                                  "question": main.prompt})
        if session.transcript:
            self.query_one(Transcript).add_events([Event.model_validate(item) for item in session.transcript])
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
        session = self.backend.history().session(self.session_id)
        self.app.push_screen(FeedbackScreen(self.backend, self.session_id, entry,
                                            practice=session is not None and session.mode == "practice"))

    def action_export(self) -> None:
        export_session_report(self, self.backend, self.session_id)

    def action_back(self) -> None:
        self.app.pop_screen()
