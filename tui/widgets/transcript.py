"""The interview so far: questions, answers, grades, hints, follow-ups; tool calls folded away by default.

It shows the events it is given and keeps nothing else: whoever needs the grades back (the interview screen for
F4 and F9) keeps its own record of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Static

from tui.widgets.grade_text import compact

if TYPE_CHECKING:
    from interviewer.agent.state import Event


class GradeEntry(Static):
    """One grade in the transcript, with the turn and grade it shows (so `Transcript.grades` reads them off it)."""

    def __init__(self, content: Text, turn: str, grade: dict[str, Any], classes: str) -> None:
        super().__init__(content, classes=classes)
        self.turn = turn
        self.grade = grade


class Transcript(VerticalScroll):
    can_focus = True

    def __init__(self, hide_current_question: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hide_current_question = hide_current_question
        self._asking: Any = None

    @property
    def grades(self) -> list[dict[str, Any]]:
        """The grades on screen, in order, as {"turn", "grade"}: read off the entries that show them."""
        return [{"turn": entry.turn, "grade": entry.grade} for entry in self.query(GradeEntry)]

    def add_events(self, events: list[Event]) -> None:
        for item in events:
            widget = self._widget_for(item)
            if widget is None:
                continue
            if item.type in ("question", "follow-up"):
                # The question being answered is shown under the transcript; it joins the transcript when the
                # next one arrives, so a small terminal does not show it twice.
                if self._asking is not None:
                    self._asking.display = True
                widget.display = not self.hide_current_question
                self._asking = widget
            self.mount(widget)
        self.scroll_end(animate=False)

    def reveal_all(self) -> None:
        if self._asking is not None:
            self._asking.display = True

    @staticmethod
    def _entry_text(label: str, body: str | Text) -> Text:
        text = Text(label, style="bold") if label else Text()
        if label:
            text.append(" ")
        text.append_text(body if isinstance(body, Text) else Text(body))
        return text

    def _entry(self, label: str, body: str | Text, classes: str) -> Static:
        return Static(self._entry_text(label, body), classes=f"entry {classes}")

    def _widget_for(self, item: Event) -> Any:
        data = item.data
        if item.type == "question":
            title = f"Question {data.get('number', '')}"
            return self._entry(f"{title}:", item.text, "question")
        if item.type == "follow-up":
            by_model = data.get("source") == "model"
            return self._entry("Follow-up (the model's wording):" if by_model else "Follow-up:", item.text, "question")
        if item.type == "answer":
            label = "You (after the time limit):" if data.get("late") else "You:"
            return self._entry(label, item.text, "answer")
        if item.type == "grade":
            turn = str(data.get("turn", ""))
            grade = data.get("grade") or {}
            label = "Follow-up grade:" if "." in turn else "Grade:"
            body = compact(grade)
            body.append("\n")
            body.append("F4 full feedback · F9 disagree", style="dim")
            return GradeEntry(self._entry_text(label, body), turn, grade, classes="entry grade")
        if item.type == "hint":
            return self._entry(f"Hint ({data.get('note', '')}):", item.text, "hint")
        if item.type == "model-answer":
            return self._entry("Model answer:", item.text, "model-answer")
        if item.type in ("tool-call", "tool-result"):
            title = "Interviewer looked up" if item.type == "tool-call" else "Lookup result"
            collapsible = Collapsible(Static(Text(item.text), classes="tool-body"), title=title, collapsed=True,
                                      classes="entry tool")
            return collapsible
        if item.type == "notice" and "rejected" in data:
            # The model's own follow-up failed a check: the stored transcript keeps why; one plain line here.
            return self._entry("", "The interviewer used its prepared follow-up.", "notice")
        if item.type in ("plan", "summary"):
            return None
        return self._entry("", item.text, "notice")
