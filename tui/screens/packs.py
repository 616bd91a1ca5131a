"""Packs: the installed question packs with their questions per topic, the broken ones with each problem at its
file:line, a new pack scaffolded into the user's packs folder or imported from a file, and opening a pack (enter)
on its own screen (tui/screens/pack_detail.py: its questions, its self-test, a session on it).

New pack (n) takes a pack name or a file's path, so importing is reached from the key the footer shows; i asks
for a path straight away. The import runs in a thread worker (an Anki deck can take seconds), and its summary is
the text `interviewer packs import` prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Label, Static

from interviewer.errors import InterviewerError
from tui.backend import Backend
from tui.screens.dialogs import PromptScreen

if TYPE_CHECKING:
    from interviewer.packs import PackCatalog

IMPORT_HINT = ".csv, .tsv, .md, .txt or Anki .apkg"


def looks_like_path(value: str) -> bool:
    """What New pack was given is a file to import, not a pack name: pack names have no folders or file types."""
    from interviewer.pack_import import ANKI_SUFFIXES, MARKDOWN_SUFFIXES, TABULAR_SUFFIXES

    suffixes = (*TABULAR_SUFFIXES, *MARKDOWN_SUFFIXES, ".txt", *ANKI_SUFFIXES)
    return "/" in value or "\\" in value or value.startswith("~") or Path(value).suffix.lower() in suffixes


BROKEN = "broken:"  # the row key of a pack file that did not load, before its path


class ImportSummaryScreen(ModalScreen[bool]):
    """What an import did, as `interviewer packs import` prints it; dismissed with True to open the new pack.

    The summary scrolls between a fixed title and fixed buttons: a deck with many kinds of skipped cards makes it
    longer than a terminal is tall."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("o", "open", "Open it", show=False)]

    def __init__(self, pack: str, summary: str) -> None:
        super().__init__()
        self.pack, self.summary = pack, summary

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Imported the pack '{self.pack}'", style="bold"))
            with VerticalScroll(id="import-summary-scroll"):
                yield Static(Text(self.summary), id="import-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open it (o)", variant="primary", id="open-imported")
                yield Button("Close", id="close-summary")

    def on_mount(self) -> None:
        self.query_one("#open-imported", Button).focus()

    @on(Button.Pressed, "#open-imported")
    def action_open(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#close-summary")
    def action_close(self) -> None:
        self.dismiss(False)


class PacksScreen(Screen[None]):
    BINDINGS = [Binding("escape", "back", "Back"),
                Binding("n", "new_pack", "New pack",
                        tooltip=f"Scaffold an example pack to edit, or import a file ({IMPORT_HINT})"),
                Binding("r", "reload", "Reload"),
                # Not shown: New pack, which the footer shows, takes a file's path too, and the list keeps the
                # look its snapshot test holds it to. This key only skips to asking for the path.
                Binding("i", "import_file", "Import", show=False)]

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        self._catalog: PackCatalog | None = None

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
                          Text("valid", style="green"), key=pack.name)
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
                                  Text(f"broken: {len(broken.problems)} problem(s)", style="red"),
                                  key=f"{BROKEN}{problem.file}")
                problems.append(str(problem), style="red")
        self.query_one("#pack-topics", Static).update(topics or Text("No packs installed."))
        self.query_one("#pack-problems", Static).update(problems or Text("None: every pack file is valid.",
                                                                         style="green"))
        self._catalog = catalog

    @on(DataTable.RowSelected, "#pack-table")
    def _open_pack(self, event: DataTable.RowSelected) -> None:
        self.open_pack(str(event.row_key.value))

    def open_pack(self, name: str) -> None:
        """The pack's own screen: its questions, its self-test, a session on it."""
        from tui.screens.pack_detail import PackScreen

        if name.startswith(BROKEN):
            self.notify("This file is not a valid pack: fix the problems listed below, then press r.",
                        title="Broken pack", severity="warning", markup=False)
            return
        packs = self._catalog.packs if self._catalog is not None else []
        loaded = next((loaded for loaded in packs if loaded.pack.name == name), None)
        if loaded is not None:
            self.app.push_screen(PackScreen(self.backend, loaded))

    @on(Button.Pressed, "#reload")
    def action_reload(self) -> None:
        self.load(reload=True)

    @on(Button.Pressed, "#new-pack")
    def action_new_pack(self) -> None:
        self.app.push_screen(PromptScreen("Name of the new pack, or the path of a file to import",
                                          "my-pack, or ~/questions.csv (.tsv, .md, .txt, .apkg)"), self._new_pack)

    def _new_pack(self, value: str | None) -> None:
        if value and looks_like_path(value):
            self.import_file(value)
        else:
            self._scaffold(value)

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

    # --- importing a file -------------------------------------------------------------------------------------

    def action_import_file(self) -> None:
        self.app.push_screen(PromptScreen("Path of the file to import (.csv, .tsv, .md, .txt, .apkg)",
                                          "~/questions.csv"), self._import_chosen)

    def _import_chosen(self, path: str | None) -> None:
        if path:
            self.import_file(path)

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def import_file(self, path: str) -> None:
        from interviewer.pack_import import import_file, summary_lines

        self.app.call_from_thread(self.notify, f"Importing {path}…", title="Import", markup=False)
        try:
            summary = import_file(Path(path).expanduser(), packs_dir=self.backend.settings.user_packs_path,
                                  name=None, topic=None)
            catalog = self.backend.reload_catalog()  # read again, off the UI thread, so the list shows the new pack
        except InterviewerError as exc:
            self.app.call_from_thread(self.notify, exc.message, title=exc.title, severity="error", markup=False)
            return
        self.app.call_from_thread(self._imported, summary.pack, "\n".join(summary_lines(summary)), catalog)

    def _imported(self, pack: str, summary: str, catalog: Any) -> None:
        if not self.is_attached:  # the user left Packs while the file was read: the pack is there all the same
            self.app.notify(f"Imported the pack '{pack}'; it is listed in Packs.", title="Import", markup=False)
            return
        self._show(catalog)
        self.app.push_screen(ImportSummaryScreen(pack, summary),
                             lambda open_it: self.open_pack(pack) if open_it else None)

    def action_back(self) -> None:
        self.app.pop_screen()
