"""OpenAICompatibleLLM against scripted HTTP replies: schema forms, validation, retries and a server that fails."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from pydantic import BaseModel, Field

from interviewer import llm as llm_module
from interviewer.llm import ModelOutputError, ModelUnavailableError, OpenAICompatibleLLM

URL = "http://model.test:9/v1"


class Verdict(BaseModel):
    reasoning: str = Field(description="Why.")
    score: int = Field(description="0 to 5.")


def _stream(*texts: str) -> bytes:
    lines = [f"data: {json.dumps({'choices': [{'delta': {'content': text}, 'finish_reason': None}]})}"
             for text in texts]
    lines.append(f"data: {json.dumps({'choices': [{'delta': {}, 'finish_reason': 'stop'}]})}")
    return ("\n\n".join([*lines, "data: [DONE]"]) + "\n\n").encode()


def _server_llm(monkeypatch: pytest.MonkeyPatch, replies: list[bytes], *, refuse_json_schema: bool) -> tuple[
        OpenAICompatibleLLM, list[dict]]:  # type: ignore[type-arg]
    bodies: list[dict] = []  # type: ignore[type-arg]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": [{"id": "served-model", "object": "model"}]})
        body = json.loads(request.content)
        bodies.append(body)
        if refuse_json_schema and body["response_format"]["type"] == "json_schema":
            return httpx.Response(422, json={"detail": "response_format.type: Input should be 'text' or 'json_object'"})
        return httpx.Response(200, content=replies.pop(0), headers={"content-type": "text/event-stream"})

    llm = OpenAICompatibleLLM(URL, retries=1)
    monkeypatch.setattr(llm, "_client", lambda: httpx.Client(transport=httpx.MockTransport(handler)))
    return llm, bodies


def test_llama_cpp_schema_form_is_used_when_openai_form_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    llm, bodies = _server_llm(monkeypatch, [_stream('{"reasoning": "ok", ', '"score": 4}')], refuse_json_schema=True)
    verdict, stats = llm.complete_structured([{"role": "user", "content": "grade"}], Verdict)
    assert verdict == Verdict(reasoning="ok", score=4) and stats.attempts == 1
    assert llm.model_id == "served-model"
    assert bodies[-1]["response_format"] == {"type": "json_object", "schema": Verdict.model_json_schema()}
    assert bodies[-1]["model"] == "served-model" and bodies[-1]["stream"] is True


def test_invalid_output_is_retried_then_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    llm, bodies = _server_llm(monkeypatch, [_stream('{"reasoning": 1}'), _stream("not json")], refuse_json_schema=False)
    with pytest.raises(ModelOutputError, match="served-model returned no valid Verdict after 2 attempts"):
        llm.complete_structured([{"role": "user", "content": "grade"}], Verdict)
    assert [body["response_format"]["type"] for body in bodies] == ["json_schema", "json_schema"]
    assert bodies[1]["temperature"] > 0, "a retry does not repeat the greedy output"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_down_is_named_at_once() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match=f"the model server at {url} failed"):
        OpenAICompatibleLLM(url).complete_structured([{"role": "user", "content": "x"}], Verdict)
    assert time.monotonic() - started < 5


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_silent_server_times_out_with_its_url_and_later_calls_fail_fast(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm_module, "SERVER_READ_TIMEOUT_S", 0.5)
    llm = OpenAICompatibleLLM(silent_server)
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match=f"{silent_server} failed \\(no answer within"):
        llm.complete_structured([{"role": "user", "content": "x"}], Verdict)
    assert time.monotonic() - started < 3
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match=silent_server):
        llm.complete_structured([{"role": "user", "content": "x"}], Verdict)
    assert time.monotonic() - started < 0.5, "a server that just failed is not waited for again"


def test_the_servers_chat_model_is_bounded_and_sends_max_tokens() -> None:
    """The interviewer's chat model over HTTP: no hidden retries, bounded timeouts, and max_tokens in the body
    (ChatOpenAI would rename it to max_completion_tokens, which llama.cpp's server ignores)."""
    from langchain_core.messages import HumanMessage

    from interviewer.llm import SERVER_CONNECT_TIMEOUT_S, SERVER_READ_TIMEOUT_S, OpenAICompatibleLLM

    llm = OpenAICompatibleLLM("http://127.0.0.1:9/v1")
    llm._model_id = "served-model"
    chat = llm.chat_model(max_tokens=64)
    payload = chat._get_request_payload([HumanMessage("What is RAG?")])
    assert payload["model"] == "served-model" and payload["extra_body"] == {"max_tokens": 64}
    assert "max_completion_tokens" not in payload
    assert chat.max_retries == 0
    assert (chat.request_timeout.connect, chat.request_timeout.read) == (SERVER_CONNECT_TIMEOUT_S,
                                                                         SERVER_READ_TIMEOUT_S)
