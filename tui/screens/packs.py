"""Packs: the installed question packs with their questions per topic, the broken ones with each problem at its
file:line, and a new pack scaffolded into the user's packs folder."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, Static

from interviewer.errors import InterviewerError
from tui.backend import Backend
from tui.screens.dialogs import PromptScreen


class PacksScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("n", "new_pack", "New pack"),
                Binding("r", "reload", "Reload")]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="packs"):
            yield Label(Text("Installed packs", style="bold"))
            yield DataTable(id="pack-table", cursor_type="row", zebra_stripes=True)
            yield Label(Text("Questions per topic", style="bold"))
            yield Static("", id="pack-topics")
            yield Label(Text("Problems", style="bold"))
            yield Static("", id="pack-problems")
            yield Static("", id="packs-folder")
            with Horizontal(classes="dialog-buttons"):
                yield Button("New pack (n)", variant="primary", id="new-pack")
                yield Button("Reload (r)", id="reload")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#pack-table", DataTable).add_columns("pack", "title", "version", "questions", "topics",
                                                             "origin", "status")
        folder = Text("Your packs folder: ", style="bold")
        folder.append(str(self.backend.settings.user_packs_path))
        self.query_one("#packs-folder", Static).update(folder)
        self.load()

    @work(thread=True, exclusive=True, group="packs", exit_on_error=False)
    def load(self, reload: bool = False) -> None:
        try:
            catalog = self.backend.reload_catalog() if reload else self.backend.catalog()
        except InterviewerError as exc:
            self.app.call_from_thread(self.notify, exc.message, title=exc.title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, catalog)

    def _show(self, catalog: Any) -> None:
        table = self.query_one("#pack-table", DataTable)
        table.clear()
        topics = Text()
        for loaded in catalog.packs:
            pack = loaded.pack
            table.add_row(Text(pack.name), Text(pack.title), Text(str(pack.version)), Text(str(len(pack.questions))),
                          Text(str(len(pack.topics))), Text("built-in" if loaded.builtin else "yours"),
                          Text("valid", style="green"))
            counts = ", ".join(f"{topic.title} {sum(q.topic == topic.id for q in pack.questions)}"
                               for topic in pack.topics)
            if topics:
                topics.append("\n")
            topics.append(f"{pack.name}: ", style="bold")
            topics.append(counts)
        problems = Text()
        for broken in catalog.skipped:
            for number, problem in enumerate(broken.problems):
                if problems:
                    problems.append("\n")
                if number == 0:
                    table.add_row(Text(problem.file.name), Text(""), Text(""), Text(""), Text(""), Text("yours"),
                                  Text(f"broken: {len(broken.problems)} problem(s)", style="red"))
                problems.append(str(problem), style="red")
        self.query_one("#pack-topics", Static).update(topics or Text("No packs installed."))
        self.query_one("#pack-problems", Static).update(problems or Text("None: every pack file is valid.",
                                                                         style="green"))

    @on(Button.Pressed, "#reload")
    def action_reload(self) -> None:
        self.load(reload=True)

    @on(Button.Pressed, "#new-pack")
    def action_new_pack(self) -> None:
        self.app.push_screen(PromptScreen("Name of the new pack (lowercase letters, digits and '-')", "my-pack"),
                             self._scaffold)

    def _scaffold(self, name: str | None) -> None:
        from interviewer.packs import scaffold_pack

        if not name:
            return
        target = self.backend.settings.user_packs_path / f"{name}.yaml"
        if target.exists():
            self.notify(f"{target} already exists.", title="Pack exists", severity="error", markup=False)
            return
        try:
            text = scaffold_pack(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except InterviewerError as exc:
            self.notify(exc.message, title=exc.title, severity="error", markup=False)
            return
        except OSError as exc:
            self.notify(f"Cannot write {target}: {exc.strerror}", title="Pack not written", severity="error",
                        markup=False)
            return
        self.notify(f"Written to {target}. Edit it, then press r to reload.", title="New pack", markup=False,
                    timeout=10)
        self.load(reload=True)

    def action_back(self) -> None:
        self.app.pop_screen()
