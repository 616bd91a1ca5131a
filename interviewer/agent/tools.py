"""The tools the interviewer model may call, and the runner that executes and records each call.

The model sees the tools through LangChain's tool-calling interface (`bind_tools`). The runner, not the model,
executes them: an unknown tool name, malformed arguments (a query past its length bound, a topic outside the
interview's plan) or a failing tool become an error result in the transcript, never an exception that stops the
interview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from interviewer.records.history import History
from interviewer.retrieval.search import RetrievedChunk, Retriever

SNIPPET_CHARS = 360  # a small model's context is short: enough of a section to write a question from


class SearchKnowledgeArgs(BaseModel):
    # Short on purpose: the grammar enforces maxLength, so a small model's call always closes within its budget.
    query: str = Field(min_length=1, max_length=160, description="What to look up in the knowledge base.")
    topic: str | None = Field(default=None, max_length=100, description="Restrict the search to this topic id.")


class CandidateHistoryArgs(BaseModel):
    topic: str = Field(min_length=1, max_length=100, description="Topic id, e.g. 'rag'.")


@dataclass
class ToolOutcome:
    name: str
    arguments: dict[str, Any]
    ok: bool
    content: str
    sections: list[dict[str, Any]] = field(default_factory=list)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def section_ref(chunk: RetrievedChunk) -> dict[str, Any]:
    return {"source": chunk.source, "heading": chunk.heading, "section_id": chunk.chunk_id, "topic": chunk.topic,
            "text": snippet(chunk.text)}


@dataclass
class ToolBox:
    """search_knowledge over the hybrid retriever and candidate_history over the history database."""

    retriever: Retriever | None
    history: History | None
    pack: str
    topics: Sequence[str] = ()
    k: int = 3

    def search_knowledge(self, query: str, topic: str | None = None) -> ToolOutcome:
        arguments = {"query": query, "topic": topic}
        if self.retriever is None:
            return ToolOutcome("search_knowledge", arguments, False, "The knowledge base is not available.")
        topics = [topic] if topic and topic in self.topics else None
        found = self.retriever.search(query, k=self.k, topics=topics) or self.retriever.search(query, k=self.k)
        sections = [section_ref(chunk) for chunk in found]
        if not sections:
            return ToolOutcome("search_knowledge", arguments, True, "Nothing found.", [])
        content = "\n".join(f"[{i}] {s['heading']} ({s['source']}): {s['text']}" for i, s in enumerate(sections, 1))
        return ToolOutcome("search_knowledge", arguments, True, content, sections)

    def candidate_history(self, topic: str) -> ToolOutcome:
        arguments = {"topic": topic}
        if self.history is None:
            return ToolOutcome("candidate_history", arguments, False, "No history is available.")
        scores = self.history.topic_scores(self.pack).get(topic, [])
        missed = self.history.missed_key_points(self.pack, topic, limit=3)
        if not scores and not missed:
            return ToolOutcome("candidate_history", arguments, True, f"No earlier answers on {topic}.")
        lines = []
        if scores:
            recent = ", ".join(f"{score:.1f}" for score in scores[-5:])
            lines.append(f"Scores on {topic} (oldest first): {recent}; mean {sum(scores) / len(scores):.1f}/5.")
        if missed:
            lines.append("Often missed: " + "; ".join(f"{statement} ({count}x)" for statement, count in missed))
        return ToolOutcome("candidate_history", arguments, True, " ".join(lines))

    def langchain_tools(self) -> list[Any]:
        """The tools as LangChain sees them, for `bind_tools` (schemas and descriptions only matter there)."""
        from langchain_core.tools import StructuredTool

        return [
            StructuredTool.from_function(
                func=lambda query, topic=None: self.search_knowledge(query, topic).content,
                name="search_knowledge",
                description="Search the interview knowledge base; returns the most relevant sections.",
                args_schema=SearchKnowledgeArgs,
            ),
            StructuredTool.from_function(
                func=lambda topic: self.candidate_history(topic).content,
                name="candidate_history",
                description="The candidate's past scores and most often missed points on a topic.",
                args_schema=CandidateHistoryArgs,
            ),
        ]

    def run(self, name: str, arguments: Any) -> ToolOutcome:
        """Execute one tool call from the model; anything wrong with it becomes an error outcome."""
        raw = arguments if isinstance(arguments, dict) else {}
        shown = {key: _bounded(value) for key, value in list(raw.items())[:4]}  # what the transcript records
        name = name[:60]
        try:
            if name == "search_knowledge":
                search = SearchKnowledgeArgs.model_validate(raw)
                if search.topic and self.topics and search.topic not in self.topics:
                    return ToolOutcome(name, shown, False, f"Invalid arguments: topic {search.topic!r} is not in "
                                                           "this interview's plan.")
                return self.search_knowledge(search.query, search.topic)
            if name == "candidate_history":
                history = CandidateHistoryArgs.model_validate(raw)
                if self.topics and history.topic not in self.topics:
                    return ToolOutcome(name, shown, False, f"Invalid arguments: topic {history.topic!r} is not in "
                                                           "this interview's plan.")
                return self.candidate_history(history.topic)
        except ValidationError as exc:
            return ToolOutcome(name, shown, False, f"Invalid arguments: {exc.errors()[0]['msg']}.")
        return ToolOutcome(name, shown, False, f"There is no tool called {name!r}.")


def _bounded(value: Any, limit: int = 200) -> Any:
    """A model-written argument as the transcript keeps it: anything long or odd is cut to a short text."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value[:limit] + "…" if isinstance(value, str) and len(value) > limit else value
    text = repr(value)
    return text[:limit] + "…" if len(text) > limit else text
