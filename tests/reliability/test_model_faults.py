"""Model faults inside an interview: a truncated GGUF, a model raising mid-generation, one past its deadline on
every attempt, one whose output never validates. Each gives a clear message, the answer is kept in the history,
the grade is the evidence-only grade of the same answer (labelled so), never an invented score, and the interview
goes on. The llama.cpp seam's own retry and error tests are in tests/unit/test_grading.py; these drive whole
sessions through `LlamaCppLLM` with a scripted llama in place of the real one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from interviewer.errors import ModelError
from interviewer.llm import LlamaCppLLM, ModelUnavailableError, default_model_path
from interviewer.records.history import History
from tests.agent_helpers import answer, make_session, plan, play, strong

ANSWER = ("RAG retrieves relevant passages from a document store at query time and puts them into the prompt, "
          "so the model answers from them.")


class FaultyLlama:
    """Stands in for llama_cpp.Llama: every call fails the same way, after streaming a little."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.calls = 0

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls += 1
        yield {"choices": [{"delta": {"content": '{"key_points": ['}, "finish_reason": None}]}
        if self.fault == "raises":
            raise RuntimeError("llama_decode returned -3")
        if self.fault == "slow":
            while True:
                time.sleep(0.05)
                yield {"choices": [{"delta": {"content": " "}, "finish_reason": None}]}
        yield {"choices": [{"delta": {"content": '"not what was asked"]}'}, "finish_reason": "stop"}]}


def faulty_llm(fault: str) -> LlamaCppLLM:
    llm = LlamaCppLLM(Path("scripted.gguf"), retries=2, timeout_s=0.3)
    llm._llama = FaultyLlama(fault)
    llm._grammar = lambda output: object()  # type: ignore[method-assign]
    return llm


@pytest.mark.parametrize(("fault", "note"), [("raises", "the model failed while generating: llama_decode"),
                                             ("slow", "timed out after"),
                                             ("invalid", "no valid")])
def test_a_failing_model_keeps_the_answer_and_never_invents_a_score(tmp_path: Path, fault: str, note: str) -> None:
    llm = faulty_llm(fault)
    session = make_session(tmp_path / "faulty", llm=llm)
    first = session.start(plan(topics=["rag"], questions=2, difficulty=1, max_follow_ups=0), "faulty")
    step = session.send(answer(ANSWER))
    assert llm._llama.calls >= 1  # type: ignore[attr-defined]
    grade_event = next(e for e in step.events if e.type == "grade")
    grade = grade_event.data["grade"]
    assert grade["evidence_only"] and note in grade["model_note"]

    # The same answer graded with no model at all: the faulty model changed nothing.
    reference = make_session(tmp_path / "reference")
    reference.start(plan(topics=["rag"], questions=2, difficulty=1, max_follow_ups=0), "reference")
    expected = next(e for e in reference.send(answer(ANSWER)).events if e.type == "grade").data["grade"]
    assert grade["overall"] == expected["overall"]
    assert [p["status"] for p in grade["key_points"]] == [p["status"] for p in expected["key_points"]]

    stored = History(tmp_path / "faulty" / "history.sqlite").session("faulty")
    assert stored is not None and stored.attempts[0].answer == ANSWER
    assert stored.attempts[0].overall == grade["overall"]
    assert first.turn is not None and play(session, step, strong)[-1].finished


@pytest.mark.parametrize("keep", [8, 4096, 1_000_000, "half"])
def test_a_truncated_gguf_is_a_clear_error(tmp_path: Path, keep: int | str) -> None:
    pytest.importorskip("llama_cpp")
    try:
        source = default_model_path()
    except ModelError:
        pytest.skip("the bundled model is not installed")
    data = source.read_bytes()
    target = tmp_path / "cut.gguf"
    target.write_bytes(data[: len(data) // 2 if keep == "half" else keep])
    with pytest.raises(ModelUnavailableError) as raised:
        LlamaCppLLM(target).load()
    assert "cut.gguf" in raised.value.message and "\n" not in raised.value.message
