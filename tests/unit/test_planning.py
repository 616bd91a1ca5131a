from __future__ import annotations

import pytest

from interviewer.agent.planning import SessionPlan, next_difficulty, pick_next_question
from interviewer.packs import load_pack
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def pack():  # type: ignore[no-untyped-def]
    return load_pack(REPO_ROOT / "knowledge" / "packs" / "genai-core.yaml").pack


def run_session(pack, plan: SessionPlan, scores: list[float], **history) -> list:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    difficulty = plan.difficulty
    for index in range(plan.questions):
        question = pick_next_question(pack, plan, asked, difficulty, **history)
        if question is None:
            break
        asked.append(question.id)
        difficulty = next_difficulty(difficulty, scores[index % len(scores)])
    return [pack.question(qid) for qid in asked]


def test_no_repeats_and_even_topic_coverage(pack) -> None:  # type: ignore[no-untyped-def]
    plan = SessionPlan(pack="genai-core", topics=["rag", "decoding", "agents"], questions=9)
    questions = run_session(pack, plan, [3.0])
    assert len({q.id for q in questions}) == 9
    assert sorted(q.topic for q in questions) == sorted(["rag", "decoding", "agents"] * 3)


def test_difficulty_adapts_to_answers(pack) -> None:  # type: ignore[no-untyped-def]
    plan = SessionPlan(pack="genai-core", topics=["rag"], questions=3, difficulty=1)
    rising = run_session(pack, plan, [5.0])
    assert [q.difficulty for q in rising] == [1, 2, 3]
    falling = run_session(pack, SessionPlan(pack="genai-core", topics=["rag"], questions=3, difficulty=3), [0.5])
    assert [q.difficulty for q in falling] == [3, 2, 1]
    assert next_difficulty(2, 3.0) == 2 and next_difficulty(3, 4.5) == 3 and next_difficulty(1, 0) == 1


def test_due_reviews_come_first_then_unseen_topics(pack) -> None:  # type: ignore[no-untyped-def]
    plan = SessionPlan(pack="genai-core", topics=["rag", "decoding"], questions=3)
    weak = next(q for q in pack.questions if q.topic == "decoding" and q.difficulty == 3)
    first = pick_next_question(pack, plan, [], 2, due_for_review=[weak.id], asked_ever={weak.id})
    assert first is not None and first.id == weak.id
    seen_rag = {q.id for q in pack.questions if q.topic == "rag"}
    second = pick_next_question(pack, plan, [], 2, asked_ever=seen_rag)
    assert second is not None and second.topic == "decoding", "a topic never asked about comes before one seen"


def test_exhausted_topics_end_the_session(pack) -> None:  # type: ignore[no-untyped-def]
    plan = SessionPlan(pack="genai-core", topics=["rag"], questions=100)
    questions = run_session(pack, plan, [3.0])
    assert len(questions) == sum(q.topic == "rag" for q in pack.questions)


def test_same_inputs_same_sequence(pack) -> None:  # type: ignore[no-untyped-def]
    plan = SessionPlan(pack="genai-core", questions=6)
    assert [q.id for q in run_session(pack, plan, [4.0, 1.0])] == [q.id for q in run_session(pack, plan, [4.0, 1.0])]
