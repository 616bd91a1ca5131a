"""Fakes at the project's own seams: deterministic embedders (and, later, a scripted LLM)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from interviewer.llm import ModelBackend
from interviewer.text import tokenize


class BagOfWordsEmbedder:
    """Hashes stemmed words into a fixed-size vector: deterministic, instant, and shared words rank higher.

    Good for plumbing tests and for tests where ranking matters in an obvious way; it knows no synonyms.
    """

    def __init__(self, dimension: int = 384, model_id: str = "fake-bag-of-words") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def _bucket(self, token: str) -> int:
        return int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                vectors[row, self._bucket(token)] += 1.0
            norm = np.linalg.norm(vectors[row])
            if norm > 0:
                vectors[row] /= norm
            else:
                vectors[row, 0] = 1.0
        return vectors

    @property
    def texts_encoded(self) -> int:
        return sum(len(call) for call in self.calls)


class FakeLLM(ModelBackend):
    """A scripted model backend: `enqueue()` what the next calls return (a dict, a JSON string, or an exception).

    `history` keeps every call's messages, so tests can check what the model was shown. It declares no optional
    capability (no chat model, file, server or read-ahead); a test that needs one overrides it.
    """

    model_id = "fake-llm"

    def __init__(self) -> None:
        self.script: list[object] = []
        self.history: list[list[dict[str, str]]] = []

    def enqueue(self, *responses: object) -> FakeLLM:
        self.script.extend(responses)
        return self

    def complete_structured(self, messages, output, *, max_tokens=400):  # type: ignore[no-untyped-def]
        from interviewer.llm import CallStats, ModelOutputError

        self.history.append(list(messages))
        if not self.script:
            raise ModelOutputError("the fake model has nothing scripted")
        response = self.script.pop(0)
        if isinstance(response, Exception):
            raise response
        text = response if isinstance(response, str) else __import__("json").dumps(response)
        try:
            return output.model_validate_json(text), CallStats(attempts=1, seconds=0.0, raw_outputs=[text])
        except Exception as exc:
            raise ModelOutputError(f"invalid output: {exc}") from exc


class FakeLlama:
    """Stands in for llama_cpp.Llama inside LlamaCppLLM: streams scripted texts, or raises."""

    def __init__(self, *outputs: object) -> None:
        self.outputs = list(outputs)
        self.requests: list[dict[str, object]] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    def create_chat_completion(self, **kwargs):  # type: ignore[no-untyped-def]
        """Streams the next scripted output; a ("text", "length") tuple ends as if max_tokens cut it off."""
        self.requests.append(kwargs)
        assert kwargs["grammar"] is not None and kwargs["stream"]
        output = self.outputs.pop(0)
        if isinstance(output, Exception):
            raise output
        text, finish = output if isinstance(output, tuple) else (str(output), "stop")
        for piece in (text[i : i + 7] for i in range(0, len(text), 7)):
            yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": finish}]}


class SectionRetriever:
    """A Retriever over the shipped knowledge documents by BM25 alone: deterministic, no store, no embeddings."""

    def __init__(self, docs_dir=None) -> None:  # type: ignore[no-untyped-def]
        from interviewer.resources import builtin_docs_dir
        from interviewer.retrieval.documents import chunk_document, find_documents, load_document
        from interviewer.retrieval.search import BM25Index

        sections = {}
        for path, name in find_documents(docs_dir or builtin_docs_dir()):
            for chunk in chunk_document(load_document(path, source=name)):
                sections.setdefault(chunk.section_id, chunk)
        self.sections = list(sections.values())
        self.index = BM25Index([f"{c.heading} {c.section_text}" for c in self.sections])
        self.queries: list[tuple[str, tuple[str, ...] | None]] = []

    def search(self, query, k=5, topics=None):  # type: ignore[no-untyped-def]
        from interviewer.retrieval.search import RetrievedChunk

        self.queries.append((query, tuple(topics) if topics else None))
        scores = self.index.scores(query)
        order = sorted(range(len(self.sections)), key=lambda i: (-scores[i], i))
        found = []
        for i in order:
            chunk = self.sections[i]
            if scores[i] <= 0 or (topics and chunk.topic not in topics):
                continue
            found.append(RetrievedChunk(chunk.section_id, chunk.source, chunk.heading, chunk.section, chunk.topic,
                                        chunk.section_text, float(scores[i]), None, len(found) + 1, None))
            if len(found) == k:
                break
        return found


def tool_call(name: str, **arguments: object):  # type: ignore[no-untyped-def]
    """An AIMessage that calls one tool, as a tool-calling chat model returns it."""
    from langchain_core.messages import AIMessage

    return AIMessage(content="", tool_calls=[{"name": name, "args": dict(arguments), "id": f"call-{name}"}])


def reply(text: str):  # type: ignore[no-untyped-def]
    from langchain_core.messages import AIMessage

    return AIMessage(content=text)


def make_fake_chat_model(*responses: object):  # type: ignore[no-untyped-def]
    """A scripted LangChain chat model with `bind_tools`: each call returns the next response (an AIMessage, or
    raises it when it is an exception). Every call's messages and bound tool_choice are kept in `.calls`.
    With the script used up it answers with an empty message, like a model with nothing to say."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    class FakeChatModel(BaseChatModel):
        script: list = []  # noqa: RUF012
        calls: list = []  # noqa: RUF012

        @property
        def _llm_type(self) -> str:
            return "fake-chat"

        def bind_tools(self, tools, *, tool_choice=None, **kwargs):  # type: ignore[no-untyped-def]
            return self.bind(tools=[t.name for t in tools], tool_choice=tool_choice, **kwargs)

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            self.calls.append({"messages": list(messages), "tool_choice": kwargs.get("tool_choice"),
                               "tools": kwargs.get("tools")})
            response = self.script.pop(0) if self.script else AIMessage(content="")
            if isinstance(response, Exception):
                raise response
            return ChatResult(generations=[ChatGeneration(message=response)])

    return FakeChatModel(script=list(responses), calls=[])


class FakeVerifier:
    """A scripted verifier: `readings` maps (statement, sentence) to (support, contradict, neutral), read the same
    with the texts swapped unless that order is scripted too; any other pair reads as not addressed. `calls` keeps
    every batch judged; `fail` makes the next call raise it."""

    model_id = "verifier:fake"

    def __init__(self, readings: dict[tuple[str, str], tuple[float, float, float]] | None = None) -> None:
        self.readings = dict(readings or {})
        self.calls: list[list[tuple[str, str]]] = []
        self.fail: Exception | None = None
        self.warmed = 0

    def warm(self) -> None:
        self.warmed += 1

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        self.calls.append(list(pairs))
        if self.fail is not None:
            raise self.fail
        unrelated = (0.05, 0.05, 0.9)
        return np.array([self.readings.get(pair, self.readings.get((pair[1], pair[0]), unrelated)) for pair in pairs],
                        dtype=np.float32)
