"""The interview: the turn bar, the transcript, the answer panel, and the keys that act on the turn.

The screen only handles events. The answer panel (tui/widgets/answer_panel.py) owns the editor and the
conversation with the engine, its workers and whether a step is running; it posts what the engine sends back, and
the screen shows it: the transcript, the turn bar and its countdown, the summary and the dialogs. What the screen
reads back later (the last grade, for F4 and F9, and the summary) it keeps in its grade book, not in the
transcript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.backend import Backend, InterviewRequest
from tui.grade_book import GradeBook
from tui.screens.dialogs import ConfirmScreen, ErrorScreen
from tui.widgets.answer_panel import AnswerPanel
from tui.widgets.countdown import Countdown
from tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from interviewer.agent.state import Turn


class InterviewScreen(Screen[None]):
    BINDINGS = [
        # Not a priority binding: the key then queues behind the keystrokes typed before it, so a fast
        # "type, ctrl+s" never submits half an answer.
        Binding("ctrl+s", "submit", "Submit", id="submit", tooltip="Send the answer to be graded"),
        Binding("f2", "hint", "Hint", id="hint", tooltip="A hint (practice mode; costs 0.5 points)"),
        Binding("f3", "model_answer", "Answer", id="model_answer",
                tooltip="The model answer of the question just graded (practice mode)"),
        Binding("f4", "feedback", "Feedback", id="feedback", tooltip="The full feedback on the last grade"),
        Binding("f5", "skip", "Skip", id="skip", tooltip="Skip this question (asks first)"),
        # F6 and F7 belong to the editor (select line, select all).
        Binding("f9", "dispute", "Disagree", id="dispute", tooltip="Record the score you think is fair"),
        Binding("f8", "end", "End", id="end", tooltip="End the session and see the summary (asks first)"),
    ]

    def __init__(self, backend: Backend, request: InterviewRequest, clock: Callable[[], float]) -> None:
        super().__init__()
        self.backend = backend
        self.clock = clock
        self.grade_book = GradeBook()
        # Built here, not in compose, so the app and the tests can ask about the session before the first paint.
        self.answer_panel = AnswerPanel(backend, request, clock, id="answer-panel")

    # The app (Home, quit) and the tests ask the screen about the session; the answer panel is what knows.
    @property
    def turn(self) -> Turn | None:
        return self.answer_panel.turn

    @property
    def session_id(self) -> str | None:
        return self.answer_panel.session_id

    @property
    def busy(self) -> bool:
        return self.answer_panel.busy

    @property
    def finished(self) -> bool:
        return self.answer_panel.finished

    @property
    def _models_ready(self) -> bool:  # the snapshot tests wait for the stage line to settle on it
        return self.answer_panel.models_ready

    def compose(self) -> ComposeResult:
        with Horizontal(id="turn-bar"):
            yield Static("Opening the interview…", id="turn-header")
            yield Countdown(self.clock, id="countdown")
        yield Transcript(hide_current_question=True, id="transcript")
        yield self.answer_panel
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Countdown).stop()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # An exam has no hints or model answers: their keys leave the footer rather than refuse when pressed.
        if action in ("hint", "model_answer") and self.turn is not None and self.turn.mode == "exam":
            return False
        return True

    # --- what the engine says ------------------------------------------------------------------------------

    @on(AnswerPanel.EventsArrived)
    def _events_arrived(self, message: AnswerPanel.EventsArrived) -> None:
        self.query_one(Transcript).add_events(message.events)
        self.grade_book.add_events(message.events)

    @on(AnswerPanel.StepArrived)
    def _step_arrived(self, message: AnswerPanel.StepArrived) -> None:
        step = message.step
        transcript = self.query_one(Transcript)
        for events in (message.earlier, step.events):
            transcript.add_events(events)
            self.grade_book.add_events(events)
        self.answer_panel.settle(step)
        if step.finished:
            from tui.screens.summary import SummaryScreen

            self.query_one(Countdown).stop()
            transcript.reveal_all()
            self.app.push_screen(SummaryScreen(self.backend, step.session_id, step.summary or {},
                                               self.grade_book.summary_text))
        elif step.turn is not None:
            self._show_turn(step.turn)

    def _show_turn(self, turn: Turn) -> None:
        parts = [f"{turn.number} of {turn.of}", turn.topic_title, f"difficulty {turn.difficulty}", turn.mode]
        if turn.mode == "practice":
            parts.append(f"hints {turn.hints_left}")
        self.query_one("#turn-header", Static).update(Text(" · ".join(parts), style="bold"))
        if self.answer_panel.ask(turn):
            self.query_one(Countdown).start(turn.time_limit_s)
        self.refresh_bindings()  # the hint and model-answer keys depend on the turn's mode

    @on(AnswerPanel.StepFailed)
    def _step_failed(self, message: AnswerPanel.StepFailed) -> None:
        saved = " Your answer is saved." if self.answer_panel.settle_failure() else ""

        def after(retry: bool | None) -> None:
            if retry:
                self.answer_panel.retry(message.retry)
            else:
                self.answer_panel.set_stage(
                    "Stopped. Retry from the command palette, or quit: the session resumes later.")

        self.app.push_screen(ErrorScreen(message.title, message.message + saved, can_retry=True), after)

    @on(Countdown.TimeUp)
    def _time_up(self) -> None:
        self.notify("Time is up. Finish your sentence and submit: the answer is kept and marked late.",
                    title="Time", severity="warning", markup=False)

    # --- the keys ------------------------------------------------------------------------------------------

    def action_submit(self) -> None:
        self.answer_panel.submit()

    def action_hint(self) -> None:
        from interviewer.agent.state import Action

        turn = self.turn
        if not self.answer_panel.can_act() or turn is None:
            return
        if turn.mode == "exam":
            self.notify("Hints are not available in exam mode.", title="No hints", markup=False)
        elif turn.hints_left <= 0:
            self.notify("No hints left for this question.", title="No hints", markup=False)
        else:
            self.answer_panel.send(Action(type="hint"), "Finding a hint…")

    def action_model_answer(self) -> None:
        from interviewer.agent.state import Action

        turn = self.turn
        if not self.answer_panel.can_act() or turn is None:
            return
        if not turn.can_show_answer:
            reason = ("Model answers are in the report after an exam." if turn.mode == "exam"
                      else "No question has been graded yet.")
            self.notify(reason, title="No model answer", markup=False)
            return
        self.answer_panel.send(Action(type="show_answer"), "Fetching the model answer…")

    def action_skip(self) -> None:
        from interviewer.agent.state import Action

        if not self.answer_panel.can_act():
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.answer_panel.send(Action(type="skip"), "Skipping…")

        self.app.push_screen(ConfirmScreen("Skip this question?", "It scores 0 and comes back for review."),
                             confirmed)

    def action_end(self) -> None:
        from interviewer.agent.state import Action

        if not self.answer_panel.can_act():
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.answer_panel.send(Action(type="end"), "Ending the session…")

        self.app.push_screen(ConfirmScreen(
            "End the session now?",
            "Graded answers are kept; the unanswered questions are dropped. What you typed stays in the editor."),
            confirmed)

    def action_feedback(self) -> None:
        from tui.screens.feedback import FeedbackScreen

        entry = self._last_grade()
        if entry is not None and self.session_id is not None:
            mode = self.turn.mode if self.turn is not None else "practice"
            self.app.push_screen(FeedbackScreen(self.backend, self.session_id, entry, practice=mode == "practice"))

    def action_dispute(self) -> None:
        from tui.screens.dialogs import DisputeScreen

        entry = self._last_grade()
        if entry is not None and self.session_id is not None:
            self.app.push_screen(DisputeScreen(self.backend, self.session_id, entry["turn"],
                                               float(entry["grade"]["overall"])))

    def _last_grade(self) -> dict[str, Any] | None:
        entry = self.grade_book.last_grade
        if entry is None:
            self.notify("No answer has been graded yet.", title="No grade", markup=False)
        return entry
