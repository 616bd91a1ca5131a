"""Tool safety: the interviewer model's tool calls are validated and bounded by the program, never trusted.

Every bad call (unknown tool, query past its bound, topic outside the plan, arguments of the wrong shape) becomes
an error result in the transcript; a model that asks for more calls than allowed, at once or in a loop, is stopped
and the transcript says so; the interview always moves on, with the authored probe when the model's text is not
usable. Driven through real sessions with the scripted fake chat model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from interviewer.agent.follow_up import MAX_TOOL_CALLS
from interviewer.agent.tools import ToolBox
from tests.agent_helpers import answer, genai_core, make_session, plan, play, shared_retriever, strong
from tests.fakes import make_fake_chat_model, reply, tool_call

QUESTION = "rag-what-and-why"
MISSING = "retrieve-then-generate"


def _partial() -> str:
    return " ".join(p.statement for p in genai_core().question(QUESTION).key_points if p.id != MISSING)


def _follow_up_step(tmp_path: Path, *script: Any) -> tuple[Any, Any, Any]:
    model = make_fake_chat_model(*script)
    session = make_session(tmp_path, chat_model=model)
    first = session.start(plan(topics=["rag"], questions=1, difficulty=1))
    assert first.turn.question_id == QUESTION
    step = session.send(answer(_partial()))
    assert step.turn is not None and step.turn.kind == "follow-up"
    return session, step, model


def _calls(many: int, **arguments: Any) -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": "search_knowledge", "args": dict(arguments), "id": f"c{i}"}
                                             for i in range(many)])


BAD_CALLS = {
    "unknown tool": (tool_call("delete_history", everything=True), "no tool called"),
    "query too long": (tool_call("search_knowledge", query="retrieval " * 500), "Invalid arguments"),
    "empty query": (tool_call("search_knowledge", query=""), "Invalid arguments"),
    "query not text": (tool_call("search_knowledge", query={"$ne": None}), "Invalid arguments"),
    "topic outside the plan": (tool_call("search_knowledge", query="attention heads", topic="transformers"),
                               "not in this interview's plan"),
    "history of a topic outside the plan": (tool_call("candidate_history", topic="alignment"),
                                            "not in this interview's plan"),
    "history topic too long": (tool_call("candidate_history", topic="x" * 5000), "Invalid arguments"),
    "extra arguments only": (tool_call("search_knowledge", sql="DROP TABLE attempts"), "Invalid arguments"),
    "tool name huge": (tool_call("x" * 10_000), "no tool called"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_a_bad_tool_call_is_an_error_result_and_the_interview_moves_on(tmp_path: Path, name: str) -> None:
    call, why = BAD_CALLS[name]
    session, step, _ = _follow_up_step(tmp_path, call, reply("What goes into the prompt for the LLM to answer from?"))
    results = [e for e in step.events if e.type == "tool-result"]
    assert results and not results[0].data["ok"] and why in results[0].text
    calls = [e for e in step.events if e.type == "tool-call"]
    assert calls and len(calls[0].text) < 600  # what the transcript keeps of a model's arguments is bounded
    assert play(session, step, strong)[-1].finished


def test_many_calls_in_one_reply_run_only_up_to_the_limit_and_are_recorded(tmp_path: Path) -> None:
    session, step, model = _follow_up_step(tmp_path, _calls(50, query="chunk overlap"), reply("What is RAG?"))
    assert len([e for e in step.events if e.type == "tool-call"]) == MAX_TOOL_CALLS
    notices = [e.text for e in step.events if e.type == "notice"]
    assert any("asked for 50 tool calls at once" in text for text in notices)
    assert play(session, step, strong)[-1].finished


def test_a_model_looping_on_tool_calls_is_stopped_and_recorded(tmp_path: Path) -> None:
    loop = [tool_call("search_knowledge", query=f"retrieval {i}") for i in range(40)]
    session, step, model = _follow_up_step(tmp_path, *loop)
    assert len(model.calls) == MAX_TOOL_CALLS + 1  # the calls allowed, then one turn without tools; no more
    assert len([e for e in step.events if e.type == "tool-call"]) == MAX_TOOL_CALLS
    assert any("asked for more tools after its" in e.text for e in step.events if e.type == "notice")
    probe = genai_core().question(QUESTION).key_point(MISSING).probe
    assert step.turn.prompt == probe
    assert play(session, step, strong)[-1].finished


def test_a_model_that_raises_mid_loop_falls_back_to_the_probe(tmp_path: Path) -> None:
    session, step, _ = _follow_up_step(tmp_path, tool_call("search_knowledge", query="rag"),
                                       RuntimeError("llama_decode returned -1"))
    assert step.turn.prompt == genai_core().question(QUESTION).key_point(MISSING).probe
    failures = [f for e in step.events if e.type == "notice" for f in e.data.get("failures", [])]
    assert failures and failures[0]["error"].startswith("RuntimeError: llama_decode")
    assert play(session, step, strong)[-1].finished


@pytest.mark.parametrize("arguments", [None, [], "query", 42, {"query": None}, {"query": ["a", "b"]},
                                       {"query": "ok", "topic": 7}, {"query": "ok", "topic": "rag" * 100}])
def test_the_runner_never_raises_on_odd_arguments(arguments: Any) -> None:
    toolbox = ToolBox(shared_retriever(), None, "genai-core", ["rag"])
    for name in ("search_knowledge", "candidate_history", "nope"):
        outcome = toolbox.run(name, arguments)
        assert isinstance(outcome.content, str)
