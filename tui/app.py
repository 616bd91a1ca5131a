"""The full-screen terminal UI: `make_app(settings, ...)` builds it; `run_app(...)` runs it for the CLI.

It opens on Home, or straight on the interview when the command line chose one. Nothing heavy is imported to
paint the first screen: the engine (LangGraph, Chroma, the embedding model, llama.cpp) loads in a worker while
the candidate reads. The interview logic is in the core package; this package only shows it.

Screens reach the app through `interviewer_app(self)`, which returns it typed, so their navigation calls are checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.screen import Screen

from interviewer.config import Settings
from tui.backend import Backend, InterviewRequest, SessionOpener


class InterviewerApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "interviewer"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", tooltip="Keys and how grading works"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="theme", tooltip="Light or dark theme"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True,
                tooltip="Quit; the session and your draft are saved"),
    ]

    def __init__(self, backend: Backend, request: InterviewRequest | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.backend = backend
        self.request = request
        self.clock = clock

    def on_mount(self) -> None:
        from tui.screens.home import HomeScreen

        self.theme = "textual-dark"
        if self.request is not None:  # straight to the interview: Home is built only if the user goes there
            self.open_interview(self.request)
        else:
            self.push_screen(HomeScreen(self.backend))

    # --- navigation ----------------------------------------------------------------------------------------

    def open_interview(self, request: InterviewRequest) -> None:
        from tui.screens.interview import InterviewScreen

        if any(isinstance(screen, InterviewScreen) for screen in self.screen_stack):
            self.notify("An interview is already open.", title="Interview open", markup=False)
            return
        self.push_screen(InterviewScreen(self.backend, request, self.clock))

    def action_home(self) -> None:
        from tui.screens.home import HomeScreen
        from tui.screens.interview import InterviewScreen

        open_interview = next((s for s in self.screen_stack if isinstance(s, InterviewScreen)), None)
        if open_interview is not None and not open_interview.finished:
            self.notify("Finish or end the interview first (F8), or quit: it resumes from Home.",
                        title="Interview open", markup=False)
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if len(self.screen_stack) < 2:
            self.push_screen(HomeScreen(self.backend))
        elif not isinstance(self.screen, HomeScreen):
            self.switch_screen(HomeScreen(self.backend))

    def action_open_history(self) -> None:
        from tui.screens.history import HistoryScreen

        self.push_screen(HistoryScreen(self.backend))

    def action_open_packs(self) -> None:
        from tui.screens.packs import PacksScreen

        self.push_screen(PacksScreen(self.backend))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    async def action_quit(self) -> None:
        from tui.screens.interview import InterviewScreen

        for screen in self.screen_stack:
            if isinstance(screen, InterviewScreen):
                screen.answer_panel.save_draft()
        self.exit()

    def on_unmount(self) -> None:
        self.backend.close()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Home", "New session or resume", self.action_home)
        yield SystemCommand("History", "Past sessions, trends, reviews due", self.action_open_history)
        yield SystemCommand("Packs", "Installed question packs; scaffold a new one", self.action_open_packs)
        yield SystemCommand("Help", "Keys and how grading works", self.action_help)
        yield SystemCommand("Toggle light/dark theme", "Switch the colour theme", self.action_toggle_theme)


def interviewer_app(node: MessagePump) -> InterviewerApp:
    """The app `node` runs in, typed: screens navigate through it, so mypy checks the calls they make."""
    app = node.app
    if not isinstance(app, InterviewerApp):
        raise TypeError(f"{type(node).__name__} runs in {type(app).__name__}, not in the InterviewerApp")
    return app


def make_app(
    settings: Settings, *, request: InterviewRequest | None = None, model: Path | None = None,
    use_model: bool = True, open_session: SessionOpener | None = None, clock: Callable[[], float] = time.monotonic,
    catalog: Any = None,
) -> InterviewerApp:
    """The app over these settings. Tests pass `open_session` (fakes) and `clock`; `catalog`: packs already read."""
    backend = Backend(settings, model=model, use_model=use_model, open_session=open_session,
                      preloaded_catalog=catalog)
    return InterviewerApp(backend, request, clock)


def run_app(settings: Settings, **options: Any) -> None:
    app = make_app(settings, **options)
    if app.request is not None:
        app.backend.open_in_background()  # the engine's imports overlap the terminal set-up and first paint
    app.run()
