"""How every screen looks, with fixed data: compared with SVG snapshots a person has looked at.

Update them with `pytest tests/tui/test_snapshots.py --snapshot-update` only after looking at the new pictures
(the report pytest writes on a mismatch shows both). Paths on screen come from a fixed data dir, the session id
and the clock are fixed, and the cursor does not blink.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from tests.tui.conftest import FakeClock, build_app, interview
from tests.tui.test_flows import wait_for
from tui.screens.feedback import FeedbackScreen
from tui.screens.home import HomeScreen
from tui.screens.interview import InterviewScreen
from tui.screens.summary import SummaryScreen

SNAPSHOT_DATA = Path("/tmp/interviewer-snapshot-data")
ANSWER = "RAG adds retrieved passages to the prompt at inference time, so answers cite [/b] current documents."


@pytest.fixture
def fixed_data_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.rmtree(SNAPSHOT_DATA, ignore_errors=True)
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(SNAPSHOT_DATA))
    return SNAPSHOT_DATA


def fixed_session_id(session: Any) -> None:
    start = session.start
    session.start = lambda plan, session_id=None: start(plan, "snapshot-1")


def still(pilot: Pilot[Any]) -> None:
    for screen in pilot.app.screen_stack:
        for widget in [*screen.query(TextArea), *screen.query(Input)]:
            widget.cursor_blink = False


def app_for(data_dir: Path, **plan: Any) -> Any:
    request = interview(**plan) if plan else None
    return build_app(data_dir, request, clock=FakeClock(), session_hook=fixed_session_id)


async def answered(pilot: Pilot[Any]) -> InterviewScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen) and pilot.app.screen.turn is not None)
    screen = pilot.app.screen
    assert isinstance(screen, InterviewScreen)
    screen.query_one("#answer", TextArea).insert(ANSWER)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not screen.busy and screen.turn is not None and screen.turn.kind == "follow-up")
    return screen


async def quiet(pilot: Pilot[Any]) -> None:
    interviews = [screen for screen in pilot.app.screen_stack if isinstance(screen, InterviewScreen)]
    for screen in interviews:  # the stage line settles once the read-ahead is done
        await wait_for(pilot, lambda screen=screen: screen._models_ready)  # type: ignore[misc]
    await pilot.pause(0.1)
    pilot.app.clear_notifications()
    still(pilot)
    await pilot.pause(0.2)


def test_home(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HomeScreen)
                       and pilot.app.screen.query_one("#pack").value == "genai-core")
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir), terminal_size=(100, 40), run_before=run_before)


def test_interview_after_a_grade(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await answered(pilot)
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir, max_follow_ups=1), terminal_size=(100, 34), run_before=run_before)


def test_feedback(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await answered(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FeedbackScreen))
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir, max_follow_ups=1), terminal_size=(100, 50), run_before=run_before)


def test_dispute(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await answered(pilot)
        await pilot.press("f9")
        await pilot.pause(0.2)
        pilot.app.screen.query_one("#fair-score", Input).value = "3"
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir, max_follow_ups=1), terminal_size=(100, 34), run_before=run_before)


async def _finish(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InterviewScreen) and pilot.app.screen.turn is not None)
    screen = pilot.app.screen
    screen.query_one("#answer", TextArea).insert(ANSWER)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SummaryScreen))


def test_summary(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _finish(pilot)
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir, questions=1, max_follow_ups=0), terminal_size=(100, 34),
                        run_before=run_before)


def test_history(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _finish(pilot)
        await pilot.click("#history")
        await wait_for(pilot, lambda: pilot.app.screen.__class__.__name__ == "HistoryScreen"
                       and bool(pilot.app.screen._session_ids))
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir, questions=1, max_follow_ups=0), terminal_size=(100, 40),
                        run_before=run_before)


def test_packs_with_a_broken_pack(snap_compare: Any, fixed_data_dir: Path) -> None:
    packs = fixed_data_dir / "packs"
    packs.mkdir(parents=True)
    (packs / "broken.yaml").write_text("name: broken\ntitle: [unclosed\n", encoding="utf-8")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HomeScreen))
        pilot.app.action_open_packs()  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: pilot.app.screen.__class__.__name__ == "PacksScreen"
                       and "genai-core" in "".join(str(w.content) for w in pilot.app.screen.query("#pack-topics")))
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir), terminal_size=(100, 34), run_before=run_before)


def test_help(snap_compare: Any, fixed_data_dir: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HomeScreen))
        await pilot.press("f1")
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir), terminal_size=(110, 34), run_before=run_before)


def test_pack_after_a_check(snap_compare: Any, fixed_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.grading import Calibration, Grader
    from tests.fakes import BagOfWordsEmbedder
    from tests.tui.test_packs import MINI_PACK, open_pack
    from tui.screens.pack_detail import PackScreen

    packs = fixed_data_dir / "packs"
    packs.mkdir(parents=True)
    (packs / "mini.yaml").write_text(MINI_PACK, encoding="utf-8")
    grader = Grader(embedder=BagOfWordsEmbedder(), retriever=None, calibration=Calibration(version="test"))
    monkeypatch.setattr("tui.screens.pack_detail.check_grader", lambda settings: grader)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_pack(pilot, "mini")
        assert isinstance(screen, PackScreen)
        await pilot.press("c")
        await wait_for(pilot, lambda: not screen.checking and "questions pass" in str(
            screen.query_one("#check-status").content))
        await quiet(pilot)

    assert snap_compare(app_for(fixed_data_dir), terminal_size=(100, 34), run_before=run_before)
