"""The interview over plain stdin/stdout: for scripts, screen readers and terminals without full-screen support.

One answer per prompt: lines are read until a line holding only "." or the end of input. An answer whose first
line is a command does that instead: /hint, /skip, /answer (the previous question's model answer), /end. When the
input ends before the interview does, the session stays saved as unfinished and can be resumed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console

from interviewer.agent.session import InterviewSession, Step
from interviewer.agent.state import Action, Event, Turn
from interviewer.grading.wording import error_explanations, key_points_heading

# Terminal control sequences and control characters: an answer quoted back must not be able to clear the screen,
# retitle the window or fake output.
_CONTROL = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
COMMANDS = {"/hint": "hint", "/skip": "skip", "/answer": "show_answer", "/end": "end"}
END_OF_ANSWER = "."
MARKS = {"covered": "covered", "partly": "partly ", "missing": "MISSING", "contradicted": "WRONG  "}


def printable(text: str) -> str:
    return _CONTROL.sub("", text)


def format_grade(grade: dict[str, Any]) -> list[str]:
    """A grade as lines of plain text (the grade as stored or as the transcript keeps it)."""
    evidence_only = " (evidence only: the model was not used)" if grade.get("evidence_only") else ""
    lines = [f"Score {grade['overall']:.1f}/5 ({grade['percent']}%){evidence_only}", grade["explanation"]]
    if grade.get("flags"):
        lines.append("Flags: " + ", ".join(grade["flags"]))
    for criterion in grade.get("criteria", []):
        lines.append(f"  {criterion['criterion']:<13} {criterion['score']}/5  {criterion['descriptor']}")
    lines.append(key_points_heading(bool(grade.get("reference_only"))) + ":")
    for point in grade.get("key_points", []):
        lines.append(f"  {MARKS.get(point['status'], point['status'])}  {point['statement']}")
        if point.get("evidence_quote"):
            lines.append(f'           "{point["evidence_quote"]}"')
    errors = error_explanations(grade)
    if errors:
        lines.append("Wrong claims:")
        lines.extend(f"  - {line}" for line in errors)
    if grade.get("advice"):
        lines.append("Advice:")
        lines.extend(f"  - {advice}" for advice in grade["advice"])
    if grade.get("citations"):
        lines.append("References: " + "; ".join(
            f"{c['source']} > {c['heading'].split(' > ')[-1]}" for c in grade["citations"]))
    if grade.get("model_note"):
        lines.append(grade["model_note"])
    return lines


def follow_up_result(grade: dict[str, Any], skipped: bool = False) -> str:
    """One line after a follow-up answer: what became of the point it asked about, and the updated score."""
    score = f"question score {grade['overall']:.1f}/5 ({grade['percent']}%)."
    if skipped:
        return f"Follow-up skipped; {score}"
    target = grade["follow_ups"][-1] if grade.get("follow_ups") else None
    point = next((p for p in grade.get("key_points", []) if p["key_point_id"] == target), None)
    status = f"that point is now {point['status']}; " if point else ""
    return f"Follow-up: {status}{score}"


def read_answer(lines: Iterator[str], on_line: Callable[[str], None] | None = None) -> str | None:
    """The next answer, or None when the input has ended before one began. `on_line` gets the answer so far
    after each line of it."""
    collected: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if line.strip() == END_OF_ANSWER:
            return "\n".join(collected)
        collected.append(line)
        if len(collected) == 1 and line.strip().lower() in COMMANDS:
            return line.strip().lower()
        if on_line is not None:
            on_line("\n".join(collected) + "\n")  # a line break ends a sentence
    return "\n".join(collected) if collected else None


class ReadAhead:
    """The grader's work while the candidate types, on one thread per turn: the question first (`prepare`), then
    the answer so far after each line (`read_draft`), only the newest draft and none once the answer is complete,
    so the grade after it waits for the last line only. `finish` joins the thread before the answer is sent: the
    session is never used from two threads."""

    def __init__(self, session: InterviewSession, turn: Turn) -> None:
        self._session = session
        self._turn = turn
        self._latest: str | None = None
        self._finished = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def draft(self, text: str) -> None:
        with self._changed:
            self._latest = text
            self._changed.notify()

    def finish(self) -> None:
        with self._changed:
            self._finished = True
            self._changed.notify()
        self._thread.join()

    def _run(self) -> None:
        try:
            self._session.prepare(self._turn)
        except Exception:  # noqa: BLE001 — reading ahead is an optimisation; grading reports real failures itself
            pass
        while True:
            with self._changed:
                while self._latest is None and not self._finished:
                    self._changed.wait()
                if self._finished or self._latest is None:
                    return
                text, self._latest = self._latest, None
            try:
                self._session.read_draft(self._turn, text)
            except Exception:  # noqa: BLE001 — as above
                pass


class PlainInterview:
    def __init__(self, session: InterviewSession, out: Console, show_tools: bool = True,
                 echo_answers: bool = False) -> None:
        self.session = session
        self.out = out
        self.show_tools = show_tools
        # Piped answers are not shown by a terminal: echoed, the transcript reads as the interview went.
        self.echo_answers = echo_answers
        self.summary: dict[str, Any] | None = None  # the session's summary once it has finished

    def say(self, text: str = "", style: str | None = None) -> None:
        # Untrusted and model-written text: no markup is interpreted and no control sequence reaches the terminal.
        self.out.print(printable(text), style=style, markup=False, highlight=False)

    def show_events(self, events: Iterable[Event]) -> None:
        for item in events:
            if item.type in ("question", "follow-up", "answer"):
                continue  # the prompt shows the question; the candidate knows what they wrote
            if item.type == "grade" and "." in str(item.data.get("turn", "")):
                self.say()
                self.say(follow_up_result(item.data["grade"], skipped=bool(item.data.get("skipped"))), "bold")
            elif item.type == "grade":
                self.say()
                for number, line in enumerate(format_grade(item.data["grade"])):
                    self.say(line, "bold" if number == 0 else None)
            elif item.type == "hint":
                self.say(f"Hint: {item.text}  [{item.data.get('note', '')}]", "cyan")
            elif item.type in ("tool-call", "tool-result"):
                if self.show_tools and item.type == "tool-call":
                    self.say(f"  (interviewer looked up: {item.text})", "dim")
            elif item.type == "model-answer":
                self.say("Model answer: " + item.text, "green")
            elif item.type == "summary":
                self.say()
                self.say(item.text)
            elif item.type == "notice" and "rejected" in item.data:
                if self.show_tools:
                    self.say(f"  (the model's own follow-up was not used: {item.data.get('reason')})", "dim")
            else:
                self.say(item.text, "yellow" if item.type == "notice" else None)

    def show_turn(self, turn: Turn) -> None:
        self.say()
        if turn.kind == "question":
            header = f"Question {turn.number} of {turn.of} · {turn.topic_title} · difficulty {turn.difficulty}"
            if turn.time_limit_s:
                header += f" · {turn.time_limit_s} s"
            self.say(header, "bold")
        else:
            self.say("Follow-up (worded by the interviewer model):" if turn.written_by_model else "Follow-up:", "bold")
        self.say(turn.prompt)
        options = ["end with a line holding only '.'"]
        if turn.hints_left:
            options.append("/hint")
        options.append("/skip")
        if turn.can_show_answer:
            options.append("/answer")
        options.append("/end")
        self.say("(" + ", ".join(options) + ")", "dim")

    def run(self, step: Step, lines: Iterator[str]) -> bool:
        """Play the session to its end or to the end of input; True when the interview finished."""
        self.show_events(step.events)
        while step.turn is not None:
            turn = step.turn
            self.show_turn(turn)
            # The grader reads the question, then the answer line by line, while the candidate types.
            reading = ReadAhead(self.session, turn)
            started = time.monotonic()
            text = read_answer(lines, reading.draft)
            elapsed = round(time.monotonic() - started, 1)
            with self._waiting("Reading ahead..."):
                reading.finish()
            if text is None:
                self.say()
                self.say(f"Input ended. Session {step.session_id} is saved; resume it with "
                         f"`interviewer interview --resume {step.session_id}`.")
                return False
            if self.echo_answers:
                for line in text.splitlines() or [""]:
                    self.say(f"> {line}", "dim")
            command = COMMANDS.get(text.strip().lower()) if "\n" not in text else None
            action = Action(type=command, elapsed_s=elapsed) if command else Action(  # type: ignore[arg-type]
                type="answer", text=text, elapsed_s=elapsed)
            with self._waiting("Grading your answer..." if action.type == "answer" else "Working...") as status:

                def on_events(events: list[Event], status: Any = status) -> None:
                    self.show_events(events)
                    if status is not None and any(event.type == "grade" for event in events):
                        status.update("Choosing what to ask next...")

                step = self.session.send(action, on_events=on_events)
            self.show_events(step.events)
        self.summary = step.summary
        return True

    @contextmanager
    def _waiting(self, what: str) -> Iterator[Any]:
        """A spinner saying what the candidate is waiting for, on a terminal only (piped output stays plain)."""
        if not self.out.is_terminal:
            yield None
            return
        with self.out.status(what, spinner="dots") as status:
            yield status


def stdin_lines(stream: TextIO) -> Iterator[str]:
    while True:
        line = stream.readline()
        if not line:
            return
        yield line
