"""Turn ids ('q3', 'q3.f1') are built and read by one type, and stored as the same text as always."""

from __future__ import annotations

import pytest

from interviewer.agent.state import CurrentQuestion
from interviewer.agent.turns import TurnId, TurnIdError


@pytest.mark.parametrize(("text", "turn"), [("q1", TurnId(1)), ("q3", TurnId(3)), ("q3.f1", TurnId(3, 1)),
                                            ("q12.f10", TurnId(12, 10))])
def test_a_turn_id_parses_and_formats_round_trip(text: str, turn: TurnId) -> None:
    assert TurnId.parse(text) == turn
    assert str(turn) == text
    assert str(TurnId.parse(text)) == text
    assert turn.is_follow_up == ("." in text)
    assert str(turn.main()) == text.split(".")[0]


def test_a_follow_up_belongs_to_its_question() -> None:
    assert TurnId(3).follow(2) == TurnId(3, 2) and TurnId(3, 2).main() == TurnId(3)


@pytest.mark.parametrize("text", ["", "q", "3", "q0", "q03", "q3.", "q3.f", "q3.f0", "q3.1", "Q3", "q3.f1.f2",
                                  " q3", "q-1", "turn 3"])
def test_a_bad_turn_id_says_what_a_turn_id_looks_like(text: str) -> None:
    with pytest.raises(TurnIdError, match=r"is not a turn id: use q<N> .* q<N>\.f<M> .*\(e\.g\. q3, q3\.f1\)"):
        TurnId.parse(text)
    assert issubclass(TurnIdError, ValueError)


def test_numbers_start_at_one() -> None:
    with pytest.raises(TurnIdError):
        TurnId(0)
    with pytest.raises(TurnIdError):
        TurnId(1, 0)


def test_the_state_keeps_a_turn_as_its_text() -> None:
    current = CurrentQuestion(question_id="rag", number=3, turn="q3.f1", prompt="Why?")
    assert current.turn == TurnId(3, 1)
    assert current.model_dump(mode="json")["turn"] == "q3.f1" and current.model_dump()["turn"] == "q3.f1"
    assert '"turn":"q3.f1"' in current.model_dump_json()
    assert CurrentQuestion.model_validate(current.model_dump(mode="json")) == current
    with pytest.raises(ValueError, match="is not a turn id"):
        CurrentQuestion(question_id="rag", number=3, turn="3.1", prompt="Why?")
