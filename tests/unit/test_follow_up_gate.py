"""A model whose follow-ups were measured to rarely pass the checks is not asked for them: the authored probe is
asked at once instead of after seconds of waiting for text that would be thrown away."""

from __future__ import annotations

import json
from pathlib import Path

from interviewer.grading.model_weight import (
    MIN_FOLLOW_UP_TRIALS,
    UNMEASURED_WEIGHT,
    ModelWeight,
    follow_ups_worth_asking,
    lookup_weight,
    weights_files,
    write_weight,
)
from tests.agent_helpers import answer, genai_core, make_session, plan
from tests.fakes import make_fake_chat_model, reply, tool_call
from tests.unit.test_model_weight import FileModel


def _model(tmp_path: Path) -> FileModel:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 96)
    return FileModel(gguf)


def test_only_a_measured_low_acceptance_turns_model_follow_ups_off(tmp_path: Path) -> None:
    llm, weights = _model(tmp_path), tmp_path / "model_weights.json"
    assert follow_ups_worth_asking(llm, weights_files(tmp_path)) is None, "never measured: asked"
    write_weight(weights, ModelWeight(key="tiny.gguf:100", follow_ups_tried=MIN_FOLLOW_UP_TRIALS - 1))
    assert follow_ups_worth_asking(llm, weights_files(tmp_path)) is None, "too few trials to judge"
    write_weight(weights, ModelWeight(key="tiny.gguf:100", follow_ups_tried=20, follow_ups_accepted=8))
    assert follow_ups_worth_asking(llm, weights_files(tmp_path)) is None
    write_weight(weights, ModelWeight(key="tiny.gguf:100", follow_ups_tried=20, follow_ups_accepted=1))
    reason = follow_ups_worth_asking(llm, weights_files(tmp_path))
    assert reason is not None and "1 of 20" in reason


def test_measuring_one_thing_keeps_the_other(tmp_path: Path) -> None:
    llm, weights = _model(tmp_path), tmp_path / "model_weights.json"
    write_weight(weights, ModelWeight(key="tiny.gguf:100", follow_ups_tried=20, follow_ups_accepted=0))
    assert lookup_weight(llm, weights_files(tmp_path)) == (UNMEASURED_WEIGHT, None), "verdicts not measured yet"
    write_weight(weights, ModelWeight(key="tiny.gguf:100", weight=0.2, rows=40))
    stored = json.loads(weights.read_text())["tiny.gguf:100"]
    assert (stored["weight"], stored["follow_ups_tried"], stored["rows"]) == (0.2, 20, 40)
    write_weight(weights, ModelWeight(key="tiny.gguf:100", follow_ups_tried=30, follow_ups_accepted=9))
    stored = json.loads(weights.read_text())["tiny.gguf:100"]
    assert (stored["weight"], stored["follow_ups_tried"], stored["follow_ups_accepted"]) == (0.2, 30, 9)


def _partial_answer() -> str:
    question = genai_core().question("rag-what-and-why")
    return " ".join(p.statement for p in question.key_points if p.id != "retrieve-then-generate")


def test_an_interview_asks_the_probe_without_calling_a_model_measured_useless(tmp_path: Path) -> None:
    model = make_fake_chat_model(tool_call("search_knowledge", query="rag"), reply("What goes into the prompt?"))
    session = make_session(tmp_path, chat_model=model)
    session.deps.model_follow_ups_off = "tiny.gguf's follow-ups passed the checks 0 of 20 times when measured"
    first = session.start(plan(topics=["rag"], questions=1, difficulty=1))
    assert first.turn is not None and first.turn.question_id == "rag-what-and-why"
    step = session.send(answer(_partial_answer()))

    assert step.turn is not None and step.turn.kind == "follow-up"
    point = genai_core().question("rag-what-and-why").key_point("retrieve-then-generate")
    assert step.turn.prompt == point.probe
    assert model.calls == [], "the model was not asked"
    follow_up = next(e for e in step.events if e.type == "follow-up")
    assert follow_up.data["source"] == "probe" and "0 of 20" in follow_up.data["rejected"]
