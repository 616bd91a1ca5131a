"""The answer panel: the question being asked, the editor the answer is typed in, and the stage line under them.

It owns the conversation with the engine. Its thread workers open (or resume) the session, send what the
candidate does (an answer, a hint, a skip, the end), retry after a failure, read the next question ahead for
the grader and, at each pause in typing, the answer's finished sentences; what comes back is posted as this
widget's messages, which bubble to the screen that shows them. It holds the state of that conversation: the turn
being answered, whether a step is running (`busy`: a second one is refused), the answer sent but not yet
recorded by the engine (a failure puts it back in the editor, so it is never lost) and the draft, saved every two
seconds and on quit.

The screen settles a step (`settle`, `settle_failure`) in the same handler that shows it, so nobody ever sees the
panel free again before the step is on screen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Static, TextArea

from interviewer.errors import InterviewerError
from tui.backend import Backend, InterviewRequest

if TYPE_CHECKING:  # the engine's modules load with it, off the first paint
    from interviewer.agent.session import Step
    from interviewer.agent.state import Action, Event, Turn

DRAFT_SAVE_SECONDS = 2.0
# A pause in typing this long has the grader read the answer's finished sentences (Grader.read_draft), so after
# ctrl+s only the newest wait for the verifier. Short enough to fit between sentences, long enough not to run on
# every key.
READ_DRAFT_AFTER_SECONDS = 1.0

Retry = Literal["open", "resume"]


def turn_key(turn: Turn) -> str:
    """Which question a turn asks: drafts are kept under it, and an equal key means the same question still waits."""
    return f"{turn.number}:{turn.kind}:{turn.key_point_id or ''}"


class AnswerPanel(VerticalGroup):
    @dataclass
    class EventsArrived(Message):
        """Transcript events as the engine produces them (the grade before the follow-up is written)."""

        events: list[Event]

    @dataclass
    class StepArrived(Message):
        """The engine is waiting for the candidate again, or the session has ended."""

        step: Step
        earlier: list[Event] = field(default_factory=list)  # a resumed session's transcript so far

    @dataclass
    class StepFailed(Message):
        """Opening, starting or advancing the session failed; `retry` says what Retry does."""

        title: str
        message: str
        retry: Retry

    def __init__(self, backend: Backend, request: InterviewRequest, clock: Callable[[], float], *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.backend = backend
        self.request = request
        self.clock = clock
        self.turn: Turn | None = None
        self.session_id: str | None = None
        self.busy = False
        self.finished = False
        self.models_ready = False  # the first read-ahead has loaded the models
        # Taken by the first read-ahead: one that starts while it still runs (the next question arrived first) is
        # not the one that loads the models, and must not say "Models ready." for it.
        self._models_loading = threading.Lock()
        self._pending_text = ""  # the answer being sent, until the engine has recorded it
        self._answer_recorded = False
        self._saved_draft = ""
        self._started_at = 0.0
        self._read_draft_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="prompt")
        yield TextArea("", id="answer", soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
        yield Static("", id="stage")

    def on_mount(self) -> None:
        editor = self.query_one("#answer", TextArea)
        editor.border_title = "Your answer (ctrl+s submits)"
        editor.focus()
        self.set_stage("Loading the question pack and the models…")
        self.set_interval(DRAFT_SAVE_SECONDS, self.save_draft)
        self.open_and_start()

    # --- what the candidate sees ---------------------------------------------------------------------------

    def set_stage(self, text: str) -> None:
        self.query_one("#stage", Static).update(Text(text))

    def show_notes(self) -> None:
        """What the engine had to say while it worked (a missing model, a store it could not open), once each."""
        while self.backend.notes:
            self.notify(self.backend.notes.pop(0), title="Note", severity="warning", markup=False, timeout=8)

    def ask(self, turn: Turn) -> bool:
        """Show the turn's question; True when it is a new one (then its clock starts and its draft comes back)."""
        new_turn = self.turn is None or turn_key(turn) != turn_key(self.turn)
        self.turn = turn
        label = "Follow-up" if turn.kind == "follow-up" else f"Question {turn.number}"
        if turn.written_by_model:
            label += " (the interviewer model's wording)"
        prompt = Text(f"{label}: ", style="bold")
        prompt.append(turn.prompt)
        self.query_one("#prompt", Static).update(prompt)
        if not new_turn:
            return False
        self._started_at = self.clock()
        editor = self.query_one("#answer", TextArea)
        draft = self.backend.drafts.load(turn.session_id, turn_key(turn))
        if draft is not None and not editor.text.strip():
            editor.load_text(draft.text)
            self._saved_draft = draft.text
            self.notify("Your unsent answer was restored.", title="Draft restored", markup=False)
        editor.focus()
        self.prepare_turn(turn)
        return True

    @on(TextArea.Changed, "#answer")
    def _typing(self) -> None:
        if self.turn is not None and not self.busy:
            self.set_stage("")
        if self._read_draft_timer is not None:
            self._read_draft_timer.stop()
        self._read_draft_timer = self.set_timer(READ_DRAFT_AFTER_SECONDS, self._paused)

    def _paused(self) -> None:
        """The candidate stopped typing for a moment: the grader reads what is finished of the answer."""
        self._read_draft_timer = None
        text = self.query_one("#answer", TextArea).text
        if self.turn is not None and self.models_ready and not self.busy and not self.finished and text.strip():
            self.read_draft(self.turn, text)

    @on(EventsArrived)
    def _progress(self, message: EventsArrived) -> None:
        # The message goes on to the screen, which adds the events to the transcript; here the stage line follows.
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

    # --- settling a step (the screen calls these as it shows the step) -------------------------------------

    def settle(self, step: Step) -> None:
        """The step is on screen: the panel is free again; an answer the engine did not record goes back."""
        self.show_notes()
        self.session_id = step.session_id
        same_turn = self.turn is not None and step.turn is not None and turn_key(step.turn) == turn_key(self.turn)
        if self._pending_text and same_turn and not self._answer_recorded:
            self._restore_pending()
        self._pending_text = ""
        self.busy = False
        self.set_stage("")
        if step.finished:
            self.finished = True
            self.backend.drafts.discard(step.session_id)
            self.set_stage("Session finished: the summary is open (Esc comes back here).")

    def settle_failure(self) -> bool:
        """The step failed: the panel is free again and an unrecorded answer is back. True if the answer is saved."""
        self.busy = False
        self.set_stage("")
        if self._pending_text and not self._answer_recorded:
            self._restore_pending()
        return self._answer_recorded

    def retry(self, retry: Retry) -> None:
        self.busy = True
        self.set_stage("Trying again…")
        if retry == "open" or self.session_id is None:
            self.open_and_start()
        else:
            self.resume_after_failure()

    def _restore_pending(self) -> None:
        editor = self.query_one("#answer", TextArea)
        if not editor.text.strip():
            editor.load_text(self._pending_text)
        self._pending_text = ""

    # --- what the candidate does ---------------------------------------------------------------------------

    def can_act(self) -> bool:
        """False (and the candidate is told why) while a step runs or before the first question."""
        if self.busy:
            self.notify("Still working on the previous step; what you typed stays in the editor.",
                        title="Please wait", severity="warning", markup=False)
            return False
        if self.turn is None:
            self.notify("No question is waiting yet.", title="Please wait", severity="warning", markup=False)
            return False
        return True

    def submit(self) -> None:
        """Send the answer in the editor to be graded; it leaves the editor at once and comes back on a failure."""
        from interviewer.agent.state import Action

        if not self.can_act():
            return
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
        self.send(Action(type="answer", text=text, elapsed_s=elapsed), "Saving and grading your answer…")

    def send(self, action: Action, stage: str) -> None:
        self.busy = True
        self._answer_recorded = False
        self.set_stage(stage)
        self.send_action(action)

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

    # --- engine work, off the UI thread --------------------------------------------------------------------

    def _post_events(self, events: list[Event]) -> None:
        self.post_message(self.EventsArrived(list(events)))

    def _post_failure(self, exc: Exception, title: str, retry: Retry) -> None:
        if isinstance(exc, InterviewerError):
            self.post_message(self.StepFailed(exc.title, exc.message, retry))
        else:  # shown once, with Retry; the traceback helps nobody here
            self.post_message(self.StepFailed(title, f"{type(exc).__name__}: {exc}", retry))

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
            self.post_message(self.StepArrived(step, earlier))
        except Exception as exc:  # noqa: BLE001 — reported with Retry
            self._post_failure(exc, "Interview could not start", "open")

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def send_action(self, action: Action) -> None:
        session = self.backend.engine()
        # Only an answer or a skip is graded, and the grader may still be reading the question ahead; a hint or end
        # does not wait for that (the model, when a hint needs it, has its own lock).
        guard = self.backend.lock if action.type in ("answer", "skip") else nullcontext()
        try:
            with guard:
                step = session.send(action, on_events=self._post_events)
            self.post_message(self.StepArrived(step))
        except Exception as exc:  # noqa: BLE001 — the session is saved; Retry continues it
            self._post_failure(exc, "Grading failed", "resume")

    @work(thread=True, exclusive=True, group="engine", exit_on_error=False)
    def resume_after_failure(self) -> None:
        try:
            session = self.backend.engine()
            with self.backend.lock:
                step, _ = session.resume(self.session_id)
            self.post_message(self.StepArrived(step))
        except Exception as exc:  # noqa: BLE001
            self._post_failure(exc, "Grading failed", "resume")

    @work(thread=True, group="prepare", exit_on_error=False)
    def prepare_turn(self, turn: Turn) -> None:
        session = self.backend.session
        if session is None:
            return
        first = not self.models_ready and self._models_loading.acquire(blocking=False)
        if first:  # the first read-ahead loads the embedding model and the LLM: say so, it takes seconds
            self.app.call_from_thread(self._stage_unless_busy, "Loading the models while you read…")
        try:
            with self.backend.lock:
                session.prepare(turn)
        except Exception:  # noqa: BLE001 — reading ahead is an optimisation; grading reports real failures
            pass
        if first:  # only the read-ahead that loaded the models says so, and then raises the flag
            self.app.call_from_thread(self._models_loaded, turn)
            self.models_ready = True

    @work(thread=True, exclusive=True, group="draft", exit_on_error=False)
    def read_draft(self, turn: Turn, text: str) -> None:
        session = self.backend.session
        # Never in the way: while a step or a read-ahead holds the engine, this pause is skipped (the next one
        # reads the draft); a grade that starts meanwhile waits at most for one increment of new sentences.
        if session is None or not self.backend.lock.acquire(blocking=False):
            return
        try:
            session.read_draft(turn, text)
        except Exception:  # noqa: BLE001 — an optimisation; grading reports real failures
            pass
        finally:
            self.backend.lock.release()

    def _models_loaded(self, turn: Turn) -> None:
        # Said before the flag is set, so whoever waits for the flag sees the stage line settled; and only while
        # the question it was read for is still on screen (an answer sent fast may be graded before it).
        if self.turn is turn:
            self._stage_unless_busy("Models ready.")

    def _stage_unless_busy(self, text: str) -> None:
        if not self.busy:
            self.set_stage(text)
