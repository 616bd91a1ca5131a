"""The interview: the transcript, the question, the answer editor, and the keys that act on the turn.

Everything the engine does (open, start, resume, send, prepare) runs in a thread worker; the screen only shows
what comes back. A submitted answer leaves the editor at once and is in the history before grading starts, so a
failure or a crash never loses it; Retry picks the session up from its last saved step. The draft being typed is
saved every two seconds, and on quit.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static, TextArea

from interviewer.errors import InterviewerError
from tui.backend import Backend, InterviewRequest
from tui.messages import EventsArrived, StepArrived, StepFailed
from tui.screens.dialogs import ConfirmScreen, ErrorScreen
from tui.widgets.countdown import Countdown
from tui.widgets.transcript import Transcript

if TYPE_CHECKING:
    from interviewer.agent.state import Action, Turn

DRAFT_SAVE_SECONDS = 2.0


def turn_key(turn: Turn) -> str:
    return f"{turn.number}:{turn.kind}:{turn.key_point_id or ''}"


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
        self.request = request
        self.clock = clock
        self.turn: Turn | None = None
        self.session_id: str | None = None
        self.busy = False
        self.finished = False
        self._pending_text = ""  # the answer being sent, until the engine has recorded it
        self._answer_recorded = False
        self._saved_draft = ""
        self._summary_text = ""
        self._models_ready = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="turn-bar"):
            yield Static("Opening the interview…", id="turn-header")
            yield Countdown(self.clock, id="countdown")
        yield Transcript(hide_current_question=True, id="transcript")
        yield Static("", id="prompt")
        yield TextArea("", id="answer", soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
        yield Static("", id="stage")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(Countdown).stop()
        editor = self.query_one("#answer", TextArea)
        editor.border_title = "Your answer (ctrl+s submits)"
        editor.focus()
        self.set_stage("Loading the question pack and the models…")
        self.set_interval(DRAFT_SAVE_SECONDS, self.save_draft)
        self.open_and_start()

    # --- what the candidate sees ---------------------------------------------------------------------------

    def set_stage(self, text: str) -> None:
        self.query_one("#stage", Static).update(Text(text))

    def show_turn(self, turn: Turn) -> None:
        new_turn = self.turn is None or turn_key(turn) != turn_key(self.turn)
        self.turn = turn
        parts = [f"{turn.number} of {turn.of}", turn.topic_title, f"difficulty {turn.difficulty}", turn.mode]
        if turn.mode == "practice":
            parts.append(f"hints {turn.hints_left}")
        self.query_one("#turn-header", Static).update(Text(" · ".join(parts), style="bold"))
        self.refresh_bindings()
        label = "Follow-up" if turn.kind == "follow-up" else f"Question {turn.number}"
        if turn.written_by_model:
            label += " (the interviewer model's wording)"
        prompt = Text(f"{label}: ", style="bold")
        prompt.append(turn.prompt)
        self.query_one("#prompt", Static).update(prompt)
        if not new_turn:
            return
        self.query_one(Countdown).start(turn.time_limit_s)
        self._started_at = self.clock()
        editor = self.query_one("#answer", TextArea)
        draft = self.backend.drafts.load(turn.session_id, turn_key(turn))
        if draft is not None and not editor.text.strip():
            editor.load_text(draft.text)
            self._saved_draft = draft.text
            self.notify("Your unsent answer was restored.", title="Draft restored", markup=False)
        editor.focus()
        self.prepare_turn(turn)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # An exam has no hints or model answers: their keys leave the footer rather than refuse when pressed.
        if action in ("hint", "model_answer") and self.turn is not None and self.turn.mode == "exam":
            return False
        return True

    # --- engine work, off the UI thread --------------------------------------------------------------------

    def _post_events(self, events: Any) -> None:
        self.post_message(EventsArrived(list(events)))

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def open_and_start(self) -> None:
        try:
            session = self.backend.engine()
            self.app.call_from_thread(self.show_notes)
            with self.backend.lock:
                if self.request.resume:
                    step, earlier = session.resume(self.request.resume_id)
                else:
                    assert self.request.plan is not None
                    step, earlier = session.start(self.request.plan), []
            self.post_message(StepArrived(step, earlier))
        except InterviewerError as exc:
            self.post_message(StepFailed(exc.title, exc.message, "open"))
        except Exception as exc:  # noqa: BLE001 — shown once, with Retry; the traceback helps nobody here
            self.post_message(StepFailed("Interview could not start", f"{type(exc).__name__}: {exc}", "open"))

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def send_action(self, action: Action) -> None:
        session = self.backend.engine()
        # Only an answer or a skip is graded, and the grader may still be reading the question ahead; a hint or end
        # does not wait for that (the model, when a hint needs it, has its own lock).
        guard = self.backend.lock if action.type in ("answer", "skip") else nullcontext()
        try:
            with guard:
                step = session.send(action, on_events=self._post_events)
            self.post_message(StepArrived(step))
        except InterviewerError as exc:
            self.post_message(StepFailed(exc.title, exc.message, "resume"))
        except Exception as exc:  # noqa: BLE001 — the session is saved; Retry continues it
            self.post_message(StepFailed("Grading failed", f"{type(exc).__name__}: {exc}", "resume"))

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def resume_after_failure(self) -> None:
        try:
            session = self.backend.engine()
            with self.backend.lock:
                step, _ = session.resume(self.session_id)
            self.post_message(StepArrived(step))
        except InterviewerError as exc:
            self.post_message(StepFailed(exc.title, exc.message, "resume"))
        except Exception as exc:  # noqa: BLE001
            self.post_message(StepFailed("Grading failed", f"{type(exc).__name__}: {exc}", "resume"))

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_turn(self, turn: Turn) -> None:
        session = self.backend.session
        if session is None:
            return
        first = not self._models_ready
        if first:  # the first read-ahead loads the embedding model and the LLM: say so, it takes seconds
            self.app.call_from_thread(self._stage_unless_busy, "Loading the models while you read…")
        try:
            with self.backend.lock:
                session.prepare(turn)
        except Exception:  # noqa: BLE001 — reading ahead is an optimisation; grading reports real failures
            pass
        if first:
            self.app.call_from_thread(self._models_loaded, turn)
        self._models_ready = True

    def _models_loaded(self, turn: Turn) -> None:
        # Said before the flag is set, so whoever waits for the flag sees the stage line settled; and only while
        # the question it was read for is still on screen (an answer sent fast may be graded before it).
        if self.turn is turn:
            self._stage_unless_busy("Models ready.")

    def _stage_unless_busy(self, text: str) -> None:
        if not self.busy:
            self.set_stage(text)

    # --- what the engine says ------------------------------------------------------------------------------

    def on_events_arrived(self, message: EventsArrived) -> None:
        self.query_one(Transcript).add_events(message.events)
        for item in message.events:
            if item.type == "answer":
                self._answer_recorded = True
                if self.session_id:
                    self.backend.drafts.discard(self.session_id)  # the history has it now
                self.set_stage("Grading your answer…")
            elif item.type == "grade":
                self.set_stage("Preparing what comes next…")
            elif item.type == "tool-call":
                self.set_stage("The interviewer is looking something up…")
            elif item.type == "summary":
                self._summary_text = item.text

    def show_notes(self) -> None:
        """What the engine had to say while it worked (a missing model, a store it could not open), once each."""
        while self.backend.notes:
            self.notify(self.backend.notes.pop(0), title="Note", severity="warning", markup=False, timeout=8)

    def on_step_arrived(self, message: StepArrived) -> None:
        self.show_notes()
        step = message.step
        transcript = self.query_one(Transcript)
        if message.earlier:
            transcript.add_events(message.earlier)
        transcript.add_events(step.events)
        for item in step.events:
            if item.type == "summary":
                self._summary_text = item.text
        self.session_id = step.session_id
        was_same_turn = self.turn is not None and step.turn is not None and turn_key(step.turn) == turn_key(self.turn)
        if self._pending_text and was_same_turn and not self._answer_recorded:
            self._restore_pending()
        self._pending_text = ""
        self.busy = False
        self.set_stage("")
        if step.finished:
            self.finished = True
            self.backend.drafts.discard(step.session_id)
            self.query_one(Countdown).stop()
            from tui.screens.summary import SummaryScreen

            transcript.reveal_all()
            self.set_stage("Session finished: the summary is open (Esc comes back here).")
            self.app.push_screen(SummaryScreen(self.backend, step.session_id, step.summary or {},
                                               self._summary_text))
            return
        if step.turn is not None:
            self.show_turn(step.turn)

    def on_step_failed(self, message: StepFailed) -> None:
        self.busy = False
        self.set_stage("")
        if self._pending_text and not self._answer_recorded:
            self._restore_pending()
        saved = " Your answer is saved." if self._answer_recorded else ""

        def after(retry: bool | None) -> None:
            if not retry:
                self.set_stage("Stopped. Retry from the command palette, or quit: the session resumes later.")
                return
            self.busy = True
            self.set_stage("Trying again…")
            if message.retry == "open" or self.session_id is None:
                self.open_and_start()
            else:
                self.resume_after_failure()

        self.app.push_screen(ErrorScreen(message.title, message.message + saved, can_retry=True), after)

    def _restore_pending(self) -> None:
        editor = self.query_one("#answer", TextArea)
        if not editor.text.strip():
            editor.load_text(self._pending_text)
        self._pending_text = ""

    def on_countdown_time_up(self, _: Countdown.TimeUp) -> None:
        self.notify("Time is up. Finish your sentence and submit: the answer is kept and marked late.",
                    title="Time", severity="warning", markup=False)

    @on(TextArea.Changed, "#answer")
    def _typing(self) -> None:
        if self.turn is not None and not self.busy:
            self.set_stage("")

    # --- drafts --------------------------------------------------------------------------------------------

    def save_draft(self) -> None:
        if self.turn is None or self.busy or self.finished:
            return
        text = self.query_one("#answer", TextArea).text
        if text == self._saved_draft:
            return
        try:
            self.backend.drafts.save(self.turn.session_id, turn_key(self.turn), text)
            self._saved_draft = text
        except OSError as exc:
            self.notify(f"The draft could not be saved: {exc.strerror}", title="Draft not saved",
                        severity="error", markup=False)

    # --- actions -------------------------------------------------------------------------------------------

    def _refuse_if_busy(self) -> bool:
        if self.busy:
            self.notify("Still working on the previous step; what you typed stays in the editor.",
                        title="Please wait", severity="warning", markup=False)
            return True
        if self.turn is None:
            self.notify("No question is waiting yet.", title="Please wait", severity="warning", markup=False)
            return True
        return False

    def _send(self, action: Action, stage: str) -> None:
        self.busy = True
        self._answer_recorded = False
        self.set_stage(stage)
        self.send_action(action)

    def action_submit(self) -> None:
        from interviewer.agent.state import Action

        if self._refuse_if_busy():
            return
        assert self.turn is not None
        editor = self.query_one("#answer", TextArea)
        text = editor.text
        if not text.strip():
            self.notify("Type an answer first, or press F5 to skip the question.", title="Empty answer",
                        markup=False)
            return
        self.save_draft()
        elapsed = round(self.clock() - self._started_at, 1)
        self._pending_text = text
        editor.load_text("")
        self._saved_draft = ""
        self._send(Action(type="answer", text=text, elapsed_s=elapsed), "Saving and grading your answer…")

    def action_hint(self) -> None:
        from interviewer.agent.state import Action

        if self._refuse_if_busy():
            return
        assert self.turn is not None
        if self.turn.mode == "exam":
            self.notify("Hints are not available in exam mode.", title="No hints", markup=False)
        elif self.turn.hints_left <= 0:
            self.notify("No hints left for this question.", title="No hints", markup=False)
        else:
            self._send(Action(type="hint"), "Finding a hint…")

    def action_model_answer(self) -> None:
        from interviewer.agent.state import Action

        if self._refuse_if_busy():
            return
        assert self.turn is not None
        if not self.turn.can_show_answer:
            reason = ("Model answers are in the report after an exam." if self.turn.mode == "exam"
                      else "No question has been graded yet.")
            self.notify(reason, title="No model answer", markup=False)
            return
        self._send(Action(type="show_answer"), "Fetching the model answer…")

    def action_skip(self) -> None:
        from interviewer.agent.state import Action

        if self._refuse_if_busy():
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._send(Action(type="skip"), "Skipping…")

        self.app.push_screen(ConfirmScreen("Skip this question?", "It scores 0 and comes back for review."),
                             confirmed)

    def action_end(self) -> None:
        from interviewer.agent.state import Action

        if self._refuse_if_busy():
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._send(Action(type="end"), "Ending the session…")

        self.app.push_screen(ConfirmScreen(
            "End the session now?",
            "Graded answers are kept; the unanswered questions are dropped. What you typed stays in the editor."),
            confirmed)

    def _last_grade(self) -> dict[str, Any] | None:
        grades = self.query_one(Transcript).grades
        if not grades:
            self.notify("No answer has been graded yet.", title="No grade", markup=False)
            return None
        return grades[-1]

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
