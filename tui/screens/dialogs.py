"""Small modal dialogs: confirm, a failure with Retry, a line of input, and disputing a grade."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from interviewer.errors import InterviewerError
from tui.backend import Backend


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no; no key discards work without passing through here."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "confirm", "Yes", show=False)]

    def __init__(self, question: str, detail: str = "", yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question, self.detail, self.yes, self.no = question, detail, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question, style="bold"))
            if self.detail:
                yield Static(Text(self.detail), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button(self.no, id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)


class ErrorScreen(ModalScreen[bool]):
    """One failure, with its title; dismissed with True when the user asks to retry."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("r", "retry", "Retry", show=False)]

    def __init__(self, title: str, message: str, can_retry: bool = False) -> None:
        super().__init__()
        self.title_text, self.message, self.can_retry = title, message, can_retry

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error"):
            yield Label(Text(self.title_text, style="bold red"))
            yield Static(Text(self.message), classes="dialog-detail")
            with Horizontal(classes="dialog-buttons"):
                if self.can_retry:
                    yield Button("Retry", variant="primary", id="retry")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#retry" if self.can_retry else "#close", Button).focus()

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        if self.can_retry:
            self.dismiss(True)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(False)


class PromptScreen(ModalScreen[str | None]):
    """Asks for one line of text."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, placeholder: str = "") -> None:
        super().__init__()
        self.question, self.placeholder = question, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question, style="bold"))
            yield Input(placeholder=self.placeholder, id="value")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss(self.query_one("#value", Input).value.strip() or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class DisputeScreen(ModalScreen[bool]):
    """The candidate records the score they think is fair, with a note; stored with the graded answer."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, backend: Backend, session_id: str, turn: str, given: float) -> None:
        super().__init__()
        self.backend, self.session_id, self.turn, self.given = backend, session_id, turn, given

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dispute"):
            yield Label(Text(f"Disagree with {self.given:.1f}/5?", style="bold"))
            yield Static(Text("The score you think is fair (0 to 5) and why. Disputed grades are shown in the "
                              "report and can be exported to refit the grader: interviewer history --disputes --csv"),
                         classes="dialog-detail")
            yield Input(placeholder="fair score, e.g. 3.5", id="fair-score")
            yield TextArea("", id="dispute-note", soft_wrap=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#fair-score", Input).focus()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        raw = self.query_one("#fair-score", Input).value.strip().replace(",", ".").removesuffix("/5")
        try:
            score = float(raw)
        except ValueError:
            self.notify("Give the fair score as a number from 0 to 5.", title="Score needed", severity="error",
                        markup=False)
            return
        if not 0 <= score <= 5:
            self.notify("The fair score must be between 0 and 5.", title="Score out of range", severity="error",
                        markup=False)
            return
        note = self.query_one("#dispute-note", TextArea).text.strip()
        try:
            self.backend.history().record_dispute(self.session_id, self.turn, round(score, 1), note)
        except InterviewerError as exc:
            self.notify(exc.message, title=exc.title, severity="error", markup=False)
            return
        self.notify(f"Recorded: you think {score:.1f}/5 is fair.", title="Dispute saved", markup=False)
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
