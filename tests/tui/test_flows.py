"""Whole flows through the terminal UI with Textual's Pilot, over the fake engine (no models)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static, TextArea

from interviewer.errors import ModelError
from interviewer.records.history import History
from tests.agent_helpers import genai_core
from tests.tui.conftest import FakeClock, build_app, interview, pilot_test
from tui.screens.dialogs import ConfirmScreen, DisputeScreen, ErrorScreen
from tui.screens.feedback import FeedbackScreen
from tui.screens.home import HomeScreen
from tui.screens.interview import InterviewScreen
from tui.screens.summary import SummaryScreen
from tui.widgets.countdown import Countdown
from tui.widgets.transcript import Transcript


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], seconds: float = 15) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the UI did not get there in time")


def interview_screen(pilot: Pilot[Any]) -> InterviewScreen:
    screen = next((s for s in pilot.app.screen_stack if isinstance(s, InterviewScreen)), None)
    assert screen is not None
    return screen


async def ready(pilot: Pilot[Any]) -> InterviewScreen:
    """Wait until a question is on screen and nothing is running."""
    await wait_for(pilot, lambda: any(isinstance(s, InterviewScreen) for s in pilot.app.screen_stack))
    screen = interview_screen(pilot)
    await wait_for(pilot, lambda: screen.turn is not None and not screen.busy)
    return screen


def screen_text(screen: Any) -> str:
    """Every Static's text on the screen, as the user reads it."""
    parts = []
    for widget in screen.query(Static):
        content = widget.content
        parts.append(content.plain if hasattr(content, "plain") else str(content))
    return "\n".join(parts)


async def type_answer(pilot: Pilot[Any], text: str) -> None:
    editor = interview_screen(pilot).query_one("#answer", TextArea)
    editor.focus()
    editor.insert(text)
    await pilot.pause()


def reference(question_id: str) -> str:
    return genai_core().question(question_id).reference_answer


@pilot_test
async def test_start_answer_grade_feedback_and_follow_up(data_dir: Path) -> None:
    app = build_app(data_dir, interview(max_follow_ups=1))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        first = screen.turn
        assert first is not None and first.kind == "question"
        assert screen.query_one("#answer", TextArea).has_focus
        await type_answer(pilot, "Retrieval adds passages to the prompt.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.busy and bool(screen.query_one(Transcript).grades))
        transcript = screen_text(screen)
        assert "Retrieval adds passages to the prompt." in transcript
        assert "/5" in transcript
        # A weak answer to a question with missing key points gets a follow-up.
        assert screen.turn is not None and screen.turn.kind == "follow-up"
        assert screen.query_one("#answer", TextArea).text == ""

        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        feedback = screen_text(app.screen)
        assert "Key points" in feedback and "missing" in feedback
        assert "Retrieval adds passages to the prompt." in feedback
        assert "evidence only" in feedback
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))


@pilot_test
async def test_evidence_quotes_are_highlighted_inside_the_answer(data_dir: Path) -> None:
    app = build_app(data_dir, interview(questions=1, max_follow_ups=0))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        assert screen.turn is not None
        await type_answer(pilot, reference(screen.turn.question_id))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        await pilot.click("#review")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "SessionScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        evidence = app.screen.query_one("#answer-evidence", Static).content
        assert isinstance(evidence, Text)
        highlighted = [span for span in evidence.spans if "on green" in str(span.style)]
        assert highlighted, "a covered key point's quote is highlighted in the answer"
        assert "covered" in screen_text(app.screen)


@pilot_test
async def test_a_pause_in_typing_has_the_grader_read_the_draft(data_dir: Path) -> None:
    """The verifier reads the answer while it is typed, at each pause, so the wait after ctrl+s is for the
    newest sentence only; keys typed without a pause read nothing yet."""
    drafts: list[tuple[int, str]] = []

    def record_drafts(session: Any) -> None:
        real_read = session.read_draft

        def read_draft(turn: Any, text: str) -> None:
            drafts.append((turn.number, text))
            real_read(turn, text)

        session.read_draft = read_draft

    app = build_app(data_dir, interview(max_follow_ups=0), session_hook=record_drafts)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: screen._models_ready)
        await type_answer(pilot, "Retrieval adds passages to the prompt. ")
        await type_answer(pilot, "The model answers from th")
        assert drafts == [], "nothing is read while the keys keep coming"
        await wait_for(pilot, lambda: bool(drafts), seconds=5)
        assert drafts == [(1, "Retrieval adds passages to the prompt. The model answers from th")]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not screen.busy and bool(screen.query_one(Transcript).grades))
        await pilot.pause(1.5)
        assert len(drafts) == 1, "the emptied editor after ctrl+s is not read"


@pilot_test
async def test_hint_costs_points_and_skip_and_end_ask_first(data_dir: Path) -> None:
    app = build_app(data_dir, interview(questions=3, max_follow_ups=0))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: not screen.busy and screen.turn is not None and screen.turn.hints_left == 1)
        assert "Hint" in screen_text(screen) and "costs 0.5 points" in screen_text(screen)
        first = screen.turn
        assert first is not None

        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")  # cancelled: nothing happens
        await pilot.pause()
        assert screen.turn is not None and screen.turn.number == first.number
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        await wait_for(pilot, lambda: screen.turn is not None and screen.turn.number == 2 and not screen.busy)
        assert "(skipped)" in screen_text(screen)

        await type_answer(pilot, "kept in the editor")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        assert "finished" in screen_text(app.screen)
        await pilot.click("#home")  # a new session from the summary
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert not any(isinstance(screen, InterviewScreen) for screen in app.screen_stack)


@pilot_test
async def test_quit_keeps_the_draft_and_resume_brings_it_back(data_dir: Path) -> None:
    app = build_app(data_dir, interview())
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        asked = screen.turn
        await type_answer(pilot, "half an answer about [/b] retrieval")
        await pilot.press("ctrl+q")
    assert asked is not None

    again = build_app(data_dir)  # `interviewer` alone: Home offers the unfinished session
    async with again.run_test(size=(100, 32)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, HomeScreen))
        assert again.screen.query_one("#resume-box").display
        assert asked.session_id in screen_text(again.screen)
        await pilot.click("#resume")
        screen = await ready(pilot)
        assert screen.turn is not None and screen.turn.question_id == asked.question_id
        assert screen.query_one("#answer", TextArea).text == "half an answer about [/b] retrieval"


@pilot_test
async def test_a_failed_grade_keeps_the_answer_and_retry_grades_it(data_dir: Path) -> None:
    failures = {"left": 1}

    def fail_once(session: Any) -> None:
        grader = session.deps.grader
        real_grade = grader.grade

        def grade(*args: Any, **kwargs: Any) -> Any:
            if failures["left"]:
                failures["left"] -= 1
                raise ModelError("the model crashed while grading", "Model crashed")
            return real_grade(*args, **kwargs)

        grader.grade = grade

    app = build_app(data_dir, interview(max_follow_ups=0), session_hook=fail_once)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await type_answer(pilot, "Chunks are retrieved and added to the prompt.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen))
        message = screen_text(app.screen)
        assert "Model crashed" in message and "Your answer is saved" in message
        assert "/5" not in screen_text(screen), "no score is shown for a failed grade"
        await pilot.click("#retry")
        await wait_for(pilot, lambda: bool(screen.query_one(Transcript).grades) and not screen.busy)
    history = History(data_dir / "history.sqlite")
    attempts = history.attempts(history.sessions()[0].id)
    assert [a.answer for a in attempts] == ["Chunks are retrieved and added to the prompt."]
    assert attempts[0].overall is not None


@pilot_test
async def test_a_second_submit_while_grading_is_refused_and_kept(data_dir: Path) -> None:
    release = threading.Event()

    def slow_grading(session: Any) -> None:
        grader = session.deps.grader
        real_grade = grader.grade

        def grade(*args: Any, **kwargs: Any) -> Any:
            release.wait(10)
            return real_grade(*args, **kwargs)

        grader.grade = grade

    app = build_app(data_dir, interview(max_follow_ups=0), session_hook=slow_grading)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await type_answer(pilot, "first answer about retrieval")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.busy)
        await type_answer(pilot, "typed while grading")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any("Still working" in str(n.message) for n in app._notifications)
        assert screen.query_one("#answer", TextArea).text == "typed while grading"
        release.set()
        await wait_for(pilot, lambda: not screen.busy and screen.turn is not None and screen.turn.number == 2)
        assert screen.query_one("#answer", TextArea).text == "typed while grading"


@pilot_test
async def test_exam_countdown_warns_then_marks_the_answer_late(data_dir: Path) -> None:
    clock = FakeClock()
    app = build_app(data_dir, interview(mode="exam", time_limit_s=60, max_follow_ups=0), clock=clock)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        countdown = screen.query_one(Countdown)
        assert countdown.display and "1:00 left" in str(countdown.render())
        clock.now += 45
        await wait_for(pilot, lambda: countdown.has_class("-low"))
        assert "0:15 left" in str(countdown.render())
        clock.now += 20
        await wait_for(pilot, lambda: countdown.has_class("-over"))
        await wait_for(pilot, lambda: any("Time is up" in str(n.message) for n in app._notifications))
        await type_answer(pilot, "An answer finished after the limit.")
        assert screen.query_one("#answer", TextArea).text == "An answer finished after the limit."
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(screen.query_one(Transcript).grades))
        assert screen.query_one(Transcript).grades[0]["grade"]["late"] is True
        assert "answered after the time limit" in screen_text(screen)
        await pilot.press("f2")  # no hints in an exam: the key is not offered and does nothing
        await pilot.pause()
        assert screen.check_action("hint", ()) is False and screen.check_action("model_answer", ()) is False
        assert "Hint (" not in screen_text(screen) and not screen.busy


@pilot_test
async def test_a_dispute_is_saved_with_the_attempt(data_dir: Path) -> None:
    app = build_app(data_dir, interview(max_follow_ups=0))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await type_answer(pilot, "Retrieval grounds the answer in documents.")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(screen.query_one(Transcript).grades) and not screen.busy)
        session_id = screen.session_id
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, DisputeScreen))
        app.screen.query_one("#fair-score", Input).value = "9"
        await pilot.click("#save")
        await pilot.pause()
        assert isinstance(app.screen, DisputeScreen), "an out-of-range score is refused"
        app.screen.query_one("#fair-score", Input).value = "3.5"
        app.screen.query_one("#dispute-note", TextArea).insert("It covers <b>grounding</b> [/i]")
        app.screen.query_one("#save", Button).press()  # the refusal's toast may sit over the button
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
    history = History(data_dir / "history.sqlite")
    attempt = history.attempts(str(session_id))[0]
    assert attempt.dispute_score == 3.5
    assert attempt.dispute_note == "It covers <b>grounding</b> [/i]"


@pilot_test
async def test_markup_in_an_answer_is_shown_literally(data_dir: Path) -> None:
    hostile = "[/] [bold]not bold[/bold] [link=http://x]y[/link] [/b] \x1b[31m ${x} [@click=app.quit]z[/]"
    app = build_app(data_dir, interview(max_follow_ups=0))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await ready(pilot)
        await type_answer(pilot, hostile)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: bool(screen.query_one(Transcript).grades) and not screen.busy)
        assert "[bold]not bold[/bold] [link=http://x]y[/link] [/b]" in screen_text(screen)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        assert "[/] [bold]not bold[/bold]" in screen_text(app.screen)
        assert app.is_running


@pilot_test
async def test_the_interview_fits_80_by_24(data_dir: Path) -> None:
    app = build_app(data_dir, interview())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        for selector in ("#turn-header", "#prompt", "#answer", "#transcript"):
            region = screen.query_one(selector).region
            assert region.width > 0 and region.height > 0, selector
            assert region.bottom <= 24 and region.right <= 80, selector
        assert screen.query_one("#answer").region.height >= 4


@pilot_test
async def test_home_starts_a_session_from_the_form(data_dir: Path) -> None:
    app = build_app(data_dir)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        home = app.screen
        await wait_for(pilot, lambda: home.query_one("#pack").value == "genai-core")
        assert not home.query_one("#resume-box").display
        home.query_one("#questions", Input).value = "1"
        home.query_one("#start", Button).press()
        screen = await ready(pilot)
        assert screen.turn is not None and screen.turn.of == 1
