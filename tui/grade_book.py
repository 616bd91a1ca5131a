"""The interview screen's grade book, kept from the engine's events: each grade with the question and the answers it
graded (F4 opens the last one's feedback, F9 disputes it), and the summary the session closed with.

The transcript only shows these events; the grade book is where the screen reads them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interviewer.agent.state import Event


class GradeBook:
    def __init__(self) -> None:
        self.grades: list[dict[str, Any]] = []  # {"turn", "grade", "answers", "question"}, in order
        self.summary_text = ""
        self._answers: dict[str, list[str]] = {}  # question turn ('q3') -> the answers given to it
        self._questions: dict[str, str] = {}  # question turn -> its wording

    @property
    def last_grade(self) -> dict[str, Any] | None:
        return self.grades[-1] if self.grades else None

    def add_events(self, events: list[Event]) -> None:
        for item in events:
            data = item.data
            if item.type == "question":
                self._questions[f"q{data.get('number', '')}"] = item.text
            elif item.type == "answer":
                main_turn = str(data.get("turn", "")).split(".")[0]  # a follow-up's answer counts for its question
                self._answers.setdefault(main_turn, []).append("" if data.get("skipped") else item.text)
            elif item.type == "grade":
                turn = str(data.get("turn", ""))
                main_turn = turn.split(".")[0]
                self.grades.append({"turn": turn, "grade": data.get("grade") or {},
                                    "answers": list(self._answers.get(main_turn, [])),
                                    "question": self._questions.get(main_turn, "")})
            elif item.type == "summary":
                self.summary_text = item.text
