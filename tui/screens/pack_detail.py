"""One pack, opened from Packs: its questions as `interviewer packs show` lists them, its self-test (`interviewer
packs check`) with a progress bar and the failures to fix, and a practice session started on it.

The self-test grades each question's known answers from evidence only. It runs in a thread worker; escape, or
leaving the screen, cancels it between two grades, and nothing it would have shown reaches a screen that is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Label, ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from interviewer.errors import InterviewerError
from interviewer.evaluation.pack_check import check_grader
from tui.app import interviewer_app
from tui.backend import Backend, InterviewRequest
from tui.plans import session_plan

if TYPE_CHECKING:
    from interviewer.evaluation.pack_check import PackCheckReport
    from interviewer.packs import LoadedPack

CHECK_GROUP = "pack-check"


class _CheckCancelled(Exception):
    """Raised from check_pack's progress callback: the only point between two grades where a thread can stop."""


class PackScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the packs; stops a running check first"),
        Binding("c", "check", "Check", tooltip="Self-test: grade each question's reference answer, the question "
                "itself, \"I don't know\" and its misconceptions"),
        Binding("s", "start", "Start session", tooltip="A practice session on this pack, with Home's defaults"),
    ]

    def __init__(self, backend: Backend, loaded: LoadedPack) -> None:
        super().__init__()
        self.backend = backend
        self.loaded = loaded
        self._check: Worker[None] | None = None

    @property
    def checking(self) -> bool:
        return self._check is not None and not self._check.is_finished

    def compose(self) -> ComposeResult:
        # Not a scroll: the question table scrolls itself, so the self-test and the buttons stay in view.
        with Vertical(id="pack-view"):
            yield Static("", id="pack-heading")
            yield DataTable(id="question-table", cursor_type="row", zebra_stripes=True)
            yield Label(Text("Self-test", style="bold"))
            yield Static("", id="check-status")
            yield ProgressBar(id="check-progress", show_eta=False)
            yield DataTable(id="check-failures", cursor_type="row", zebra_stripes=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Check (c)", variant="primary", id="check-pack")
                yield Button("Start session (s)", variant="success", id="start-session")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        pack = self.loaded.pack
        rows = pack.question_rows()
        heading = Text.assemble((pack.name, "bold"), "  ", pack.title)
        heading.append(f"  ({len(rows)} questions, {self.loaded.path})", style="dim")
        self.query_one("#pack-heading", Static).update(heading)
        table = self.query_one("#question-table", DataTable)
        table.add_columns("id", "topic", "difficulty", "key points", "misconceptions")
        for row in rows:
            points = Text("ref-only", style="yellow") if row["reference_only"] else Text(str(row["key_points"]))
            table.add_row(Text(str(row["id"])), Text(str(row["topic"])), Text(str(row["difficulty"])), points,
                          Text(str(row["misconceptions"])), key=str(row["id"]))
        self.query_one("#check-status", Static).update(Text(
            "Press c to check that each reference answer scores at least 4.5, the question read back and "
            "\"I don't know\" score 0, and each misconception at most 1.5.", style="dim"))
        self.query_one("#check-progress", ProgressBar).display = False
        self.query_one("#check-failures", DataTable).display = False
        table.focus()

    # --- the self-test ----------------------------------------------------------------------------------------

    @on(Button.Pressed, "#check-pack")
    def action_check(self) -> None:
        if self.checking:
            self.notify("The check is already running; escape stops it.", title="Checking", markup=False)
            return
        self.query_one("#check-failures", DataTable).display = False
        self.query_one("#check-status", Static).update(Text("Loading the grader… (escape stops the check)"))
        progress = self.query_one("#check-progress", ProgressBar)
        progress.update(total=None, progress=0)
        progress.display = True
        self.query_one("#check-pack", Button).disabled = True
        self._check = self.run_check()

    @work(thread=True, exclusive=True, group=CHECK_GROUP, exit_on_error=False)
    def run_check(self) -> None:
        from interviewer.evaluation.pack_check import check_pack

        worker = get_current_worker()

        def on_progress(done: int, total: int) -> None:
            if worker.is_cancelled:
                raise _CheckCancelled
            self.app.call_from_thread(self._progress, done, total)

        pack = self.loaded.pack
        try:
            grader = check_grader(self.backend.settings)
            if worker.is_cancelled:
                return
            report = check_pack(grader, pack.name, pack.questions, on_progress)
        except _CheckCancelled:
            return
        except InterviewerError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._check_failed, exc.title, exc.message)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_report, report)

    def _progress(self, done: int, total: int) -> None:
        if not self.is_attached:  # the screen was left while the update was on its way
            return
        if done == 1:
            self.query_one("#check-status", Static).update(Text("Grading… (escape stops the check)"))
        self.query_one("#check-progress", ProgressBar).update(total=total, progress=done)

    def _check_done(self) -> None:
        self.query_one("#check-progress", ProgressBar).display = False
        self.query_one("#check-pack", Button).disabled = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # What the core does not raise as an InterviewerError (a broken model file, a bug) would otherwise leave
        # the progress bar up and the Check button disabled for good.
        if event.worker is self._check and event.state == WorkerState.ERROR:
            self._check_failed("Check failed", str(event.worker.error))

    def _check_failed(self, title: str, message: str) -> None:
        if not self.is_attached:
            return
        self._check_done()
        self.query_one("#check-status", Static).update(Text(f"{title}: {message}", style="red"))
        self.notify(message, title=title, severity="error", markup=False)

    def _show_report(self, report: PackCheckReport) -> None:
        if not self.is_attached:
            return
        self._check_done()
        failing = report.failing_questions()
        passed = report.questions - len(failing)
        status = Text(f"{passed} of {report.questions} questions pass",
                      style="bold green" if not failing else "bold yellow")
        status.append(f"  ({len(report.results)} checks, {len(report.failures)} failed)", style="dim")
        self.query_one("#check-status", Static).update(status)
        self._show_failures(report)

    def _show_failures(self, report: PackCheckReport) -> None:
        failures = self.query_one("#check-failures", DataTable)
        failures.clear(columns=True)
        failures.display = bool(report.failures)
        if not report.failures:
            return
        # The reason is long: its column takes the width the others leave (each column pads 1 a side, and the
        # table may need its scrollbar), and its rows grow to wrap it.
        others = (max(len(result.question_id) for result in report.failures)
                  + max(len(result.kind) for result in report.failures) + len("score") + len("should be"))
        fix_width = max(20, self.query_one("#pack-view").content_size.width - 2 - others - 2 * 5)
        failures.add_column("question", key="question")
        failures.add_column("answer", key="answer")
        failures.add_column("score", key="score")
        failures.add_column("should be", key="expected")
        failures.add_column("what to change", width=fix_width, key="fix")
        for number, result in enumerate(report.failures):
            failures.add_row(Text(result.question_id), Text(result.kind), Text(f"{result.score:.1f}", justify="right"),
                             Text(result.expected), Text(result.fix), height=None, key=str(number))

    def _cancel_check(self) -> bool:
        """Stop a running check; True when there was one."""
        if not self.checking:
            return False
        self.workers.cancel_group(self, CHECK_GROUP)
        self._check = None
        self._check_done()
        self.query_one("#check-status", Static).update(Text("Check stopped.", style="yellow"))
        return True

    # --- navigation -------------------------------------------------------------------------------------------

    @on(Button.Pressed, "#start-session")
    def action_start(self) -> None:
        try:
            plan = session_plan(self.loaded.pack.name, max_follow_ups=self.backend.settings.max_follow_ups)
        except ValueError as exc:
            self.notify(f"Cannot start on this pack: {exc}", title="Cannot start", severity="error", markup=False)
            return
        self._cancel_check()
        interviewer_app(self).open_interview(InterviewRequest(plan=plan))

    def action_back(self) -> None:
        if self._cancel_check():  # the first escape stops the check; the next one leaves
            return
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, CHECK_GROUP)
