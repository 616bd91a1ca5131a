"""Help: what each screen is for and every key."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("Interview", "ctrl+s", "submit the answer (the editor takes several lines; Enter is a new line)"),
    ("Interview", "F2", "hint (practice mode; two per question, 0.5 points each)"),
    ("Interview", "F3", "model answer of the question just graded (practice mode)"),
    ("Interview", "F4", "full feedback on the last grade: rubric, evidence, references"),
    ("Interview", "F5", "skip the question (asks first)"),
    ("Interview", "F9", "disagree with the last grade: record the score you think is fair"),
    ("Interview", "F8", "end the session and see the summary (asks first)"),
    ("Anywhere", "ctrl+p", "command palette: every action of the app"),
    ("Anywhere", "F1", "this help"),
    ("Anywhere", "ctrl+t", "light or dark theme"),
    ("Anywhere", "ctrl+q", "quit: the session and the answer you are typing are saved; resume from Home"),
    ("History", "Enter", "open a session: its questions, grades and feedback; e writes its report"),
    ("Packs", "n / r", "scaffold a new pack in your packs folder / reload the packs"),
    ("Dialogs", "Esc", "close or cancel"),
]

ABOUT = (
    "Each answer is graded from evidence the program checks: which key points your answer covers (the quote that "
    "shows it is highlighted in your own words), statements that reverse a key point or repeat a known "
    "misconception, guards against empty or copied answers, and a calibrated score. The language model is asked "
    "only about points the evidence leaves unsure, with a bounded say; it phrases follow-ups, and what it writes "
    "is labelled as the model's. "
    "Exam mode times each question: at zero the timer turns red and counts on; nothing is taken from you, and "
    "the answer is graded and marked late. Your answer is saved every two seconds while you type."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close"), Binding("f1", "close", "Close", show=False)]

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold")
        table.add_column("where")
        table.add_column("key")
        table.add_column("does")
        for where, key, does in KEYS:
            table.add_row(where, key, does)
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("Keys", style="bold"))
            yield Static(table)
            yield Static(Text("How grading works", style="bold"))
            yield Static(Text(ABOUT))
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
