"""The Packs screen with Pilot: opening a pack to its questions, its self-test, importing a file, and a session
started on a pack. The check grades with a bag-of-words embedder, so it needs no model."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Static
from textual.worker import WorkerState

from interviewer.config import load_settings
from interviewer.grading import Calibration, Grader
from tests.fakes import BagOfWordsEmbedder
from tests.tui.conftest import build_app, pilot_test
from tests.tui.test_flows import ready, screen_text, wait_for
from tui.screens.dialogs import PromptScreen
from tui.screens.home import HomeScreen
from tui.screens.pack_detail import PackScreen
from tui.screens.packs import ImportSummaryScreen, PacksScreen

IMPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "imports"

MINI_PACK = """\
name: mini
title: Mini pack for the Packs screen
version: '1'
topics:
- id: rag
  title: Retrieval-augmented generation
questions:
- id: mini-rag-what
  topic: rag
  difficulty: 1
  question: What does retrieval-augmented generation add to a language model?
  reference_answer: It retrieves passages relevant to the question from a document index and puts them in the
    prompt, so the model answers from current sources it can cite.
  key_points:
  - id: retrieves-passages
    statement: It retrieves passages relevant to the question from a document index.
    probe: Where does the extra text in the prompt come from?
  - id: grounds-answer
    statement: The passages go in the prompt so the model answers from sources it can cite.
    probe: What does the model do with the retrieved text?
  misconceptions:
  - claim: It retrains the model on the documents so it memorises them.
    why: Nothing is trained; the passages are only added to the prompt at question time.
- id: mini-ref-chunking
  topic: rag
  difficulty: 2
  question: Why are documents split into chunks before they are embedded?
  reference_answer: Chunks fit the embedding model's input length. Small chunks make each retrieved passage precise.
- id: mini-vector-db
  topic: rag
  difficulty: 2
  question: What is a vector database used for in retrieval-augmented generation?
  reference_answer: It stores embeddings and finds the nearest ones to a query embedding quickly.
  key_points:
  # Key points the reference answer does not evidence: the self-test must say so.
  - id: used-for-rag
    statement: A vector database is used for retrieval-augmented generation.
    probe: What is it used for?
  - id: used-in-retrieval
    statement: It is used in retrieval-augmented generation for retrieval.
    probe: Which step uses it?
"""


@pytest.fixture
def mini_pack() -> Path:
    packs = load_settings().user_packs_path
    packs.mkdir(parents=True, exist_ok=True)
    path = packs / "mini.yaml"
    path.write_text(MINI_PACK, encoding="utf-8")
    return path


@pytest.fixture
def fake_check_grader(monkeypatch: pytest.MonkeyPatch) -> None:
    grader = Grader(embedder=BagOfWordsEmbedder(), retriever=None, calibration=Calibration(version="test"))
    monkeypatch.setattr("tui.screens.pack_detail.check_grader", lambda settings: grader)


def cells(table: DataTable[Any]) -> list[list[str]]:
    """Every row of a table, as the text the user reads."""
    return [[cell.plain if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(index)]
            for index in range(table.row_count)]


def text_of(screen: Any, selector: str) -> str:
    content = screen.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def packs_screen(pilot: Pilot[Any], listed: str) -> PacksScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HomeScreen))
    pilot.app.action_open_packs()  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PacksScreen)
                   and any(row[0] == listed for table in pilot.app.screen.query("#pack-table").results(DataTable)
                           for row in cells(table)))
    screen = pilot.app.screen
    assert isinstance(screen, PacksScreen)
    return screen


async def open_pack(pilot: Pilot[Any], name: str) -> PackScreen:
    screen = await packs_screen(pilot, name)
    table = screen.query_one("#pack-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(name))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PackScreen))
    pack = pilot.app.screen
    assert isinstance(pack, PackScreen)
    return pack


async def give_path(pilot: Pilot[Any], key: str, path: Path) -> None:
    """Press `key` (i: import, n: new pack) and type `path` into the prompt it opens."""
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PromptScreen))
    pilot.app.screen.query_one("#value", Input).value = str(path)
    await pilot.press("enter")


@pilot_test
async def test_a_pack_opens_to_its_questions(data_dir: Path, mini_pack: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await open_pack(pilot, "mini")
        assert "Mini pack for the Packs screen" in text_of(screen, "#pack-heading")
        assert "3 questions" in text_of(screen, "#pack-heading")
        questions = screen.query_one("#question-table", DataTable)
        assert [column.label.plain for column in questions.ordered_columns] == [
            "id", "topic", "difficulty", "key points", "misconceptions"]
        assert cells(questions) == [["mini-rag-what", "rag", "1", "2", "1"],
                                    ["mini-ref-chunking", "rag", "2", "ref-only", "0"],
                                    ["mini-vector-db", "rag", "2", "2", "0"]]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PacksScreen))


@pilot_test
async def test_check_shows_progress_then_what_passes_and_the_failures(
        data_dir: Path, mini_pack: Path, fake_check_grader: None) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await open_pack(pilot, "mini")
        seen_progress: list[float | None] = []
        progress = screen.query_one("#check-progress", ProgressBar)
        progress.watch(progress, "progress", lambda value: seen_progress.append(progress.total), init=False)
        await pilot.press("c")
        await wait_for(pilot, lambda: "questions pass" in text_of(screen, "#check-status"))
        assert text_of(screen, "#check-status").startswith("2 of 3 questions pass")
        assert seen_progress and seen_progress[-1] == 10, "the bar counted the 10 checks"
        assert not progress.display
        failures = screen.query_one("#check-failures", DataTable)
        assert failures.display
        assert [column.label.plain for column in failures.ordered_columns] == [
            "question", "answer", "score", "should be", "what to change"]
        rows = cells(failures)
        assert len(rows) == 1 and rows[0][:2] == ["mini-vector-db", "reference-answer"]
        assert float(rows[0][2]) < 4.5 and rows[0][3] == ">= 4.5"
        assert "key point 'used-for-rag' is missing in the reference answer" in rows[0][4]


@pilot_test
async def test_escape_stops_a_running_check_and_leaving_cancels_it(
        data_dir: Path, mini_pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    graded: list[str] = []
    grader = Grader(embedder=BagOfWordsEmbedder(), retriever=None, calibration=Calibration(version="test"))
    real_grade = grader.grade

    def slow_grade(question: Any, answer: str, **kwargs: Any) -> Any:
        release.wait(10)
        graded.append(answer)
        return real_grade(question, answer, **kwargs)

    monkeypatch.setattr(grader, "grade", slow_grade)
    monkeypatch.setattr("tui.screens.pack_detail.check_grader", lambda settings: grader)
    app = build_app(data_dir)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await open_pack(pilot, "mini")
        await pilot.press("c")
        await wait_for(pilot, lambda: screen.checking and screen.query_one("#check-progress").display)
        worker = screen._check
        assert worker is not None
        await pilot.press("escape")  # stops the check, stays on the pack
        await pilot.pause()
        assert isinstance(app.screen, PackScreen)
        assert text_of(screen, "#check-status") == "Check stopped."
        assert not screen.query_one("#check-progress").display
        release.set()
        await wait_for(pilot, lambda: worker.is_finished)
        assert len(graded) <= 1, "the worker stopped after the grade it was in"
        assert "questions pass" not in text_of(screen, "#check-status")

        release.clear()
        await pilot.press("c")  # a second check, then leave the screen while it runs
        await wait_for(pilot, lambda: screen.checking)
        second = screen._check
        assert second is not None
        screen.dismiss()  # as the command palette's Home or History leave it: without the escape key
        await wait_for(pilot, lambda: isinstance(app.screen, PacksScreen) and not screen.is_attached)
        release.set()
        await wait_for(pilot, lambda: second.is_finished)
        assert second.state == WorkerState.CANCELLED
        assert len(graded) <= 2, "the second check stopped too, after the grade it was in"
        assert not [n for n in app._notifications if n.severity == "error"]


@pilot_test
async def test_a_check_that_crashes_says_so_and_can_run_again(
        data_dir: Path, mini_pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_grader(settings: Any) -> Any:
        raise RuntimeError("the embedding model file is damaged")

    monkeypatch.setattr("tui.screens.pack_detail.check_grader", broken_grader)
    app = build_app(data_dir)
    async with app.run_test(size=(110, 36)) as pilot:
        screen = await open_pack(pilot, "mini")
        await pilot.press("c")
        await wait_for(pilot, lambda: "Check failed" in text_of(screen, "#check-status"))
        assert "the embedding model file is damaged" in text_of(screen, "#check-status")
        assert not screen.query_one("#check-progress").display
        assert not screen.query_one("#check-pack").disabled


@pilot_test
async def test_import_a_file_by_path_shows_the_summary_and_lists_the_pack(data_dir: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(110, 40)) as pilot:
        screen = await packs_screen(pilot, "genai-core")
        await give_path(pilot, "i", IMPORTS / "questions.csv")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportSummaryScreen), seconds=30)
        summary = screen_text(app.screen)
        assert "Imported the pack 'questions'" in summary
        assert "Imported 5 questions from questions.csv (csv) into the pack 'questions'." in summary
        assert "Skipped" in summary
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PacksScreen))
        listed = {row[0]: row for row in cells(screen.query_one("#pack-table", DataTable))}
        assert listed["questions"][3] == "5" and listed["questions"][5] == "yours"
        assert "questions:" in text_of(screen, "#pack-topics")

        # New pack (the footer's key) takes a path too, and the summary's "Open it" opens the pack.
        await give_path(pilot, "n", IMPORTS / "qa.md")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportSummaryScreen), seconds=30)
        await pilot.click("#open-imported")
        await wait_for(pilot, lambda: isinstance(app.screen, PackScreen))
        assert text_of(app.screen, "#pack-heading").startswith("qa ")


@pilot_test
async def test_an_import_that_fails_says_why(data_dir: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(110, 36)) as pilot:
        await packs_screen(pilot, "genai-core")
        await give_path(pilot, "i", IMPORTS / "notes.docx")
        await wait_for(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        error = next(n for n in app._notifications if n.severity == "error")
        assert error.title == "Cannot import questions" and "cannot import '.docx' files" in error.message
        assert isinstance(app.screen, PacksScreen)


@pilot_test
async def test_start_a_session_on_the_open_pack(data_dir: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(100, 36)) as pilot:
        await open_pack(pilot, "genai-core")
        await pilot.press("s")
        interview = await ready(pilot)
        assert interview.turn is not None and interview.turn.of == 5, "Home's default of 5 questions"
        header = text_of(interview, "#turn-header")
        assert header.startswith("1 of 5") and "difficulty 2" in header and "practice" in header
        question = interview.turn.question_id
        assert question in {q["id"] for q in app.backend.catalog().get("genai-core").pack.question_rows()}


@pilot_test
async def test_a_pack_imported_on_the_packs_screen_can_be_chosen_back_on_home(data_dir: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(110, 40)) as pilot:
        await packs_screen(pilot, "genai-core")
        home = app.screen_stack[-2]
        assert isinstance(home, HomeScreen)
        await wait_for(pilot, lambda: home._shown_packs is not None)
        assert "questions" not in [name for _, name in home._shown_packs or []]
        await give_path(pilot, "i", IMPORTS / "questions.csv")
        await wait_for(pilot, lambda: isinstance(app.screen, ImportSummaryScreen), seconds=30)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PacksScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is home)
        await wait_for(pilot, lambda: "questions" in [name for _, name in home._shown_packs or []])
        select = home.query_one("#pack")
        assert select.value == "genai-core", "the pack chosen before stays chosen"
        assert any(option == "questions" for _, option in select._options)
