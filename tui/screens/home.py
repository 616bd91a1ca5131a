"""Home: resume the unfinished session, or choose a new one; see whether the store and the model are ready.

The screen paints before anything heavy is imported. The packs (a large pack takes a second to parse) and the
engine load in workers; their status lines say what is happening and, when something is missing, how to fix it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Select, SelectionList, Static

from interviewer.errors import InterviewerError
from tui.app import interviewer_app
from tui.backend import Backend, InterviewRequest
from tui.plans import DEFAULT_DIFFICULTY, DEFAULT_MODE, DEFAULT_QUESTIONS, session_plan

DIFFICULTIES = [("1 · junior", 1), ("2 · mid-level", 2), ("3 · senior", 3)]
MODES = [("practice: hints, model answers", "practice"), ("exam: timed, no hints", "exam")]
FOLLOW_UPS = [(str(n), n) for n in range(0, 6)]


class HomeScreen(Screen[None]):
    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self._topics_by_pack: dict[str, list[tuple[str, str]]] = {}
        self._shown_packs: list[tuple[str, str]] | None = None  # the pack choices on screen, once loaded

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="home"):
            yield Static(Text.assemble(("interviewer", "bold"), " · mock interviews for LLM and GenAI roles, "
                                       "graded with the evidence shown"), id="home-title")
            with Vertical(id="resume-box", classes="panel"):
                yield Label(Text("Unfinished session", style="bold"))
                yield Static("", id="resume-text")
                yield Button("Resume", variant="primary", id="resume")
            with Vertical(id="new-box", classes="panel"):
                yield Label(Text("New session", style="bold"))
                with Horizontal(classes="form-row"):
                    yield Label("Pack", classes="form-label")
                    yield Select([], prompt="loading packs…", id="pack", allow_blank=True)
                with Horizontal(classes="form-row"):
                    yield Label("Topics\n(none: all)", classes="form-label")
                    yield SelectionList[str](id="topics")
                with Horizontal(classes="form-row"):
                    yield Label("Difficulty", classes="form-label")
                    yield Select(DIFFICULTIES, value=DEFAULT_DIFFICULTY, allow_blank=False, id="difficulty")
                    yield Label("Questions", classes="form-label short")
                    yield Input(str(DEFAULT_QUESTIONS), id="questions", type="integer", max_length=3)
                with Horizontal(classes="form-row"):
                    yield Label("Mode", classes="form-label")
                    yield Select(MODES, value=DEFAULT_MODE, allow_blank=False, id="mode")
                    yield Label("Seconds", classes="form-label short")
                    yield Input("", placeholder="exam only", id="time-limit", type="integer", max_length=4,
                                disabled=True)
                with Horizontal(classes="form-row"):
                    yield Label("Follow-ups", classes="form-label")
                    yield Select(FOLLOW_UPS, value=self.backend.settings.max_follow_ups, allow_blank=False,
                                 id="follow-ups")
                    yield Button("Start", variant="success", id="start")
            with Vertical(id="status-box", classes="panel"):
                yield Label(Text("Status", style="bold"))
                yield Static("", id="store-status")
                yield ProgressBar(id="store-progress", show_eta=False)
                yield Button("Build the knowledge store", id="build-store")
                yield Static("", id="model-status")
            with Horizontal(id="home-nav"):
                yield Button("History", id="open-history")
                yield Button("Packs", id="open-packs")
                yield Button("Help", id="open-help")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_resume()
        self.refresh_status()
        self.query_one("#store-progress", ProgressBar).display = False
        # Enter does the likely thing: resume what was left unfinished, else start with the form as it is.
        self.query_one("#resume" if self.query_one("#resume-box").display else "#start", Button).focus()
        self.load_packs()

    def on_screen_resume(self) -> None:
        self.refresh_resume()
        if self._shown_packs is not None:  # back from another screen: a pack imported or written there appears
            self.load_packs(quiet=True)

    # --- status ----------------------------------------------------------------------------------------------

    def refresh_resume(self) -> None:
        box = self.query_one("#resume-box")
        try:
            unfinished = self.backend.unfinished_sessions()
        except InterviewerError as exc:
            self.notify(exc.message, title=exc.title, severity="error", markup=False)
            unfinished = []
        box.display = bool(unfinished)
        if unfinished:
            newest = unfinished[0]
            started = str(newest["started_at"])[:16].replace("T", " ")
            text = (f"{newest['id']} · {newest['pack']} · {newest['mode']} · {newest['answered']} of "
                    f"{newest['planned']} answered · started {started}")
            if len(unfinished) > 1:
                text += f" (and {len(unfinished) - 1} older)"
            self.query_one("#resume-text", Static).update(Text(text))
            self._resume_id = newest["id"]

    def refresh_status(self) -> None:
        store = self.backend.store_problem()
        store_line = Text("Knowledge store: ", style="bold")
        store_line.append(store or "ready", style="red" if store else "green")
        if store:
            store_line.append("  (without it grades have no citations)", style="dim")
        self.query_one("#store-status", Static).update(store_line)
        self.query_one("#build-store", Button).display = store is not None
        model = self.backend.model_problem()
        model_line = Text("Model: ", style="bold")
        if model is None:
            name = self.backend.model or self.backend.settings.model_path
            model_line.append("ready" + (f" ({name.name})" if name else " (bundled SmolLM2-135M)"), style="green")
            model_line.append("  loads when the interview starts", style="dim")
        else:
            model_line.append(model, style="yellow")
            model_line.append("  (the interview still runs: evidence-only grades, prepared follow-ups)", style="dim")
        self.query_one("#model-status", Static).update(model_line)

    @work(thread=True, exclusive=True, group="packs", exit_on_error=False)
    def load_packs(self, quiet: bool = False) -> None:
        try:
            catalog = self.backend.catalog()
        except InterviewerError as exc:
            self.app.call_from_thread(self.notify, exc.message, title=exc.title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show_packs, catalog, quiet)

    def _show_packs(self, catalog: Any, quiet: bool = False) -> None:
        """Fill the pack choice; `quiet` (a refresh) keeps the form as it is unless the packs changed, and keeps
        the chosen pack when it is still there."""
        options = []
        for loaded in catalog.packs:
            pack = loaded.pack
            options.append((f"{pack.title} ({len(pack.questions)} questions)", pack.name))
            self._topics_by_pack[pack.name] = [(topic.title, topic.id) for topic in pack.topics]
        if quiet and options == self._shown_packs:
            return
        self._shown_packs = options
        select = self.query_one("#pack", Select)
        chosen = select.value
        select.set_options(options)
        if options:
            names = [name for _, name in options]
            select.value = chosen if quiet and chosen in names else "genai-core" if "genai-core" in names \
                else names[0]
        if catalog.skipped and not quiet:
            self.notify(f"{len(catalog.skipped)} pack file(s) have problems; see Packs.", title="Broken pack",
                        severity="warning", markup=False)

    @on(Select.Changed, "#pack")
    def _pack_chosen(self, event: Select.Changed) -> None:
        topics = self.query_one("#topics", SelectionList)
        topics.clear_options()
        for title, topic_id in self._topics_by_pack.get(str(event.value), []):
            topics.add_option((title, topic_id))

    @on(Select.Changed, "#mode")
    def _mode_chosen(self, event: Select.Changed) -> None:
        limit = self.query_one("#time-limit", Input)
        limit.disabled = event.value != "exam"
        if event.value == "exam" and not limit.value:
            limit.value = "180"

    # --- actions ---------------------------------------------------------------------------------------------

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        pack = self.query_one("#pack", Select).value
        if pack is Select.BLANK:
            self.notify("Choose a question pack first (they are still loading, or none is installed).",
                        title="No pack", severity="warning", markup=False)
            return
        time_limit = self.query_one("#time-limit", Input).value.strip()
        try:
            plan = session_plan(
                str(pack), topics=list(self.query_one("#topics", SelectionList).selected),
                questions=int(self.query_one("#questions", Input).value or DEFAULT_QUESTIONS),
                difficulty=self.query_one("#difficulty", Select).value, mode=self.query_one("#mode", Select).value,
                max_follow_ups=self.query_one("#follow-ups", Select).value,
                time_limit_s=int(time_limit) if time_limit else None,
            )
        except ValueError as exc:
            self.notify(f"Check the form: {exc}", title="Cannot start", severity="error", markup=False)
            return
        interviewer_app(self).open_interview(InterviewRequest(plan=plan))

    @on(Button.Pressed, "#resume")
    def resume(self) -> None:
        interviewer_app(self).open_interview(InterviewRequest(resume=True, resume_id=self._resume_id))

    @on(Button.Pressed, "#build-store")
    def build_store(self) -> None:
        self.query_one("#build-store", Button).disabled = True
        progress = self.query_one("#store-progress", ProgressBar)
        progress.display = True
        progress.update(total=None, progress=0)
        self.run_ingest()

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def run_ingest(self) -> None:
        progress = self.query_one("#store-progress", ProgressBar)

        def on_progress(done: int, total: int) -> None:
            self.app.call_from_thread(progress.update, total=total, progress=done)

        try:
            summary = self.backend.build_store(on_progress)
        except InterviewerError as exc:
            self.app.call_from_thread(self._ingest_done, exc.title, exc.message, "error")
            return
        self.app.call_from_thread(self._ingest_done, "Knowledge store built", summary, "information")

    def _ingest_done(self, title: str, message: str, severity: str) -> None:
        self.query_one("#store-progress", ProgressBar).display = False
        self.query_one("#build-store", Button).disabled = False
        self.notify(message, title=title, severity=severity, markup=False)  # type: ignore[arg-type]
        self.refresh_status()

    @on(Button.Pressed, "#open-history")
    def _history(self) -> None:
        interviewer_app(self).action_open_history()

    @on(Button.Pressed, "#open-packs")
    def _packs(self) -> None:
        interviewer_app(self).action_open_packs()

    @on(Button.Pressed, "#open-help")
    def _help(self) -> None:
        interviewer_app(self).action_help()
