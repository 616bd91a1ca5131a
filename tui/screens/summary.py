"""The end of a session: the summary the engine wrote, and where to go next."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Label, Static

from tui.app import interviewer_app
from tui.backend import Backend


class SummaryScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Transcript", tooltip="Back to the session's transcript")]

    def __init__(self, backend: Backend, session_id: str, summary: dict[str, Any], text: str) -> None:
        super().__init__()
        self.backend, self.session_id, self.summary, self.text = backend, session_id, summary, text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="summary", classes="panel"):
            yield Label(Text(f"Session {self.session_id} finished", style="bold"))
            yield Static(Text(self.text or "No question was answered."), id="summary-text")
        with Horizontal(classes="dialog-buttons"):
            yield Button("Review answers", variant="primary", id="review")
            yield Button("Export report", id="export")
            yield Button("History", id="history")
            yield Button("New session", id="home")
            yield Button("Quit", id="quit")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#review", Button).focus()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    @on(Button.Pressed, "#review")
    def _review(self) -> None:
        from tui.screens.history import SessionScreen

        self.app.push_screen(SessionScreen(self.backend, self.session_id))

    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        from tui.report_export import export_session_report

        export_session_report(self, self.backend, self.session_id)

    @on(Button.Pressed, "#history")
    def _history(self) -> None:
        interviewer_app(self).action_open_history()

    @on(Button.Pressed, "#home")
    def _home(self) -> None:
        interviewer_app(self).action_home()

    @on(Button.Pressed, "#quit")
    async def _quit(self) -> None:
        await self.app.action_quit()
