"""Turn ids: which step of a session an answer, a grade or a dispute belongs to.

`q3` is the third main question, `q3.f1` its first follow-up. The history keys attempts by them (one row per
session and turn, so a replayed step overwrites rather than duplicates), transcript events carry them, and
`interviewer dispute SESSION TURN` takes one. `TurnId` is the one place they are built and read; its text form is
exactly what is stored, so `str(TurnId.parse(text)) == text` for every valid id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TURN_ID = re.compile(r"q([1-9][0-9]*)(?:\.f([1-9][0-9]*))?")


class TurnIdError(ValueError):
    """A text that is not a turn id."""


@dataclass(frozen=True)
class TurnId:
    """One step of a session: main question `question` (from 1), or its follow-up number `follow_up` (from 1)."""

    question: int
    follow_up: int | None = None

    def __post_init__(self) -> None:
        if self.question < 1 or (self.follow_up is not None and self.follow_up < 1):
            raise TurnIdError(f"turn numbers start at 1, not {self.question}/{self.follow_up}")

    @classmethod
    def parse(cls, text: str) -> TurnId:
        """`q3` or `q3.f1` as a TurnId; anything else raises TurnIdError saying what a turn id looks like."""
        match = _TURN_ID.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise TurnIdError(f"'{text}' is not a turn id: use q<N> for the N-th question's answer or q<N>.f<M> "
                              "for its M-th follow-up (e.g. q3, q3.f1)")
        question, follow_up = match.groups()
        return cls(int(question), int(follow_up) if follow_up is not None else None)

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up is not None

    def main(self) -> TurnId:
        """The main question's turn (`q3` for `q3.f1`, itself for `q3`)."""
        return TurnId(self.question)

    def follow(self, number: int) -> TurnId:
        """The main question's `number`-th follow-up."""
        return TurnId(self.question, number)

    def __str__(self) -> str:
        return f"q{self.question}" if self.follow_up is None else f"q{self.question}.f{self.follow_up}"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """In a pydantic model a TurnId reads from and writes to its text form ('q3.f1'), so stored JSON keeps it
        as the string it always was."""
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            cls._coerce, serialization=core_schema.to_string_ser_schema(when_used="always"),
            json_schema_input_schema=core_schema.str_schema(),
        )

    @classmethod
    def _coerce(cls, value: Any) -> TurnId:
        return value if isinstance(value, TurnId) else cls.parse(value)
