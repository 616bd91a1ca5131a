"""Follow-ups and hints written with the interviewer model's help, and the checks that decide if they are used.

The model (bound to the tools in tools.py) may look things up, a bounded number of times, then writes a
question. The program decides whether that question is used: it must be a question; it must be about the missing
key point, meaning the MiniLM cosine to that point's statement is at least ABOUT_THRESHOLD and higher than to any
other key point of the question; and it must not give the point away (under GIVEAWAY_SHARE of the point's own
distinctive words); like any model prose it must be grounded in the question's material or what the tools found,
and contradict no key point (interviewer/grading/model_text.py). Otherwise the key point's authored probe is
asked. A model that calls no tool, a wrong tool, or writes nonsense only ever costs the nicer wording.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from interviewer.agent.state import event
from interviewer.agent.tools import ToolBox
from interviewer.grading.guards import injection_flags
from interviewer.grading.model_text import review_model_prose
from interviewer.packs import KeyPoint, Question
from interviewer.prompts import escape_untrusted, load_prompt
from interviewer.retrieval.embeddings import Embedder
from interviewer.text import GIVEAWAY_SHARE, giveaway_share

# Measured on the built-in pack with MiniLM (benchmarks/follow_up_bench.py), using the authored probes as stand-ins
# for follow-ups: "closest key point, at least 0.25" accepts 57% of probes for their own point and 9% for another
# point; a cut-off alone separates them poorly (0.25 alone: 79% and 45%). A wrongly accepted follow-up
# asks about the wrong point, a wrongly rejected one only loses the model's wording, so the rule errs strict.
ABOUT_THRESHOLD = 0.25
MAX_TOOL_CALLS = 2
MAX_WORDS = 60
# Forcing the first tool call is what makes a small model use its tools at all (left to choose, SmolLM2-135M
# never calls one); a larger model then decides for itself whether it needs another.
FORCE_SEARCH = {"type": "function", "function": {"name": "search_knowledge"}}
# What the candidate reads when the model's reply cannot be used; the error itself stays in the event's data (the
# stored transcript), since a parser's message ("JSONDecodeError ... For troubleshooting, visit: https://...") is
# for whoever debugs the model, not for someone in an interview.
MODEL_REPLY_UNUSABLE = "The interviewer model's reply could not be used; continuing without it."


_LABEL = re.compile(
    r"^((here is|here's) (the|a|my) )?(follow[- ]?up( question)?|(the )?question( is)?|interviewer)\s*[:\-]\s*",
    re.IGNORECASE,
)
_NOT_PROSE = re.compile(r"[{}\[\]<>|`]|search_knowledge|candidate_history")
# A tool call written as text: what a local model does when its chat format has no tool-call syntax.
_TEXT_TOOL_CALL = re.compile(r'"name"\s*:\s*"\w+"|^\s*(search_knowledge|candidate_history)\s*\(')


@dataclass
class Draft:
    text: str
    source: Literal["model", "probe", "pointer"]
    rejected: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    prompt_version: str | None = None


def about_which_point(embedder: Embedder, text: str, question: Question, point: KeyPoint) -> tuple[float, str]:
    """The text's cosine to `point`'s statement, and the id of the question's key point it is closest to."""
    statements = [p.statement for p in question.key_points]
    vectors = np.asarray(embedder.encode([text, *statements]), dtype=np.float32)
    similarities = vectors[1:] @ vectors[0]
    target = next(i for i, p in enumerate(question.key_points) if p.id == point.id)
    return float(similarities[target]), question.key_points[int(np.argmax(similarities))].id


def clean_model_question(raw: str) -> str:
    """The first question in the model's reply, without labels or quotes around it."""
    text = " ".join(raw.split())
    text = _LABEL.sub("", text)
    end = text.find("?")
    if end != -1:
        # The question starts after the last sentence end or colon before it ("Here is one: What ...?").
        start = max(text.rfind(mark, 0, end) for mark in (". ", "! ", ": "))
        text = text[start + 2 if start != -1 else 0 : end + 1]
    return text.strip().strip("\"'“”").strip()


def review_follow_up(text: str, question: Question, point: KeyPoint, embedder: Embedder,
                     references: Sequence[str] = ()) -> str | None:
    """Why a model-written follow-up cannot be used, or None when it can."""
    words = text.split()
    if not text.endswith("?"):
        return "not a question"
    if _NOT_PROSE.search(text) or not text[:1].isalpha():
        return "not plain prose (looks like code or a tool call)"
    if len(words) < 4 or len(words) > MAX_WORDS:
        return f"{len(words)} words long"
    if injection_flags(text):
        return "contains instructions"
    similarity, closest = about_which_point(embedder, text, question, point)
    if similarity < ABOUT_THRESHOLD:
        return f"not about the missing point (similarity {similarity:.2f} < {ABOUT_THRESHOLD})"
    if closest != point.id:
        return f"closer to another key point ({closest})"
    # The point's own words, minus those the question and the probe already use, are the answer.
    share = giveaway_share(point.statement, text, (question.question, point.probe))
    if share is not None and share >= GIVEAWAY_SHARE:
        return f"gives the answer away ({share:.0%} of the point's own words)"
    # Already known to end in "?": the sentence checks are for statements.
    return review_model_prose(text, question, references, check_complete=False, against=[point]).problem


def _text_of(reply: Any) -> str:
    content = getattr(reply, "content", "")
    if isinstance(content, list):
        content = " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return str(content)


def _tool_loop(
    chat_model: Any, toolbox: ToolBox, messages: list[Any], max_tool_calls: int, events: list[dict[str, Any]],
    sections: list[dict[str, Any]], write_text: bool = True, then: str | None = None,
) -> str | None:
    """Let the model call tools (the first call forced, at most `max_tool_calls`), then return what it writes.

    Every call and result goes into `events`. Any failure of the model ends the loop with None: the caller has an
    authored fallback, so a crashed or confused model never stops the interview.
    """
    from langchain_core.messages import HumanMessage

    tools = toolbox.langchain_tools()
    calls = 0
    text_only = False
    for step in range(max_tool_calls + 1):
        can_call = calls < max_tool_calls and not text_only
        if not can_call and not write_text:
            return None
        try:
            runnable = (
                chat_model.bind_tools(tools, tool_choice=FORCE_SEARCH if step == 0 else None)
                if can_call else chat_model
            )
            reply = runnable.invoke(messages)
        except Exception as exc:  # noqa: BLE001 — any model failure falls back to authored text
            _record_failure(events, {"failure": "model-error", "error": f"{type(exc).__name__}: {exc}"[:2000]})
            return None
        if not can_call and (getattr(reply, "tool_calls", None) or getattr(reply, "invalid_tool_calls", None)):
            events.append(event("notice", f"The interviewer model asked for more tools after its {max_tool_calls} "
                                          "calls; stopped.", ok=False))
        tool_calls = list(getattr(reply, "tool_calls", None) or []) if can_call else []
        broken = list(getattr(reply, "invalid_tool_calls", None) or []) if can_call else []
        for call in broken[: max_tool_calls - calls]:
            _record_failure(events, {"failure": "unreadable-tool-call", "tool": str(call.get("name"))[:60],
                                     "arguments": str(call.get("args"))[:500], "error": str(call.get("error"))[:2000]})
        calls += len(broken)  # an unreadable call still uses up one of the model's calls
        if broken and not tool_calls:
            continue
        if not tool_calls:
            text = _text_of(reply)
            if write_text and can_call and step > 0 and step < max_tool_calls and _TEXT_TOOL_CALL.search(text):
                # Offered a further tool, a local model whose chat format has no tool-call syntax (llama.cpp's
                # generic one) writes the call as text. Its search already ran: ask for the question, tools off.
                events.append(event("notice", "The interviewer model wrote a tool call as text; asked it again "
                                              "for the question without tools.", ok=False, rejected=text[:500]))
                text_only = True
                if then:
                    messages.append(HumanMessage(then))
                continue
            return text if write_text else None
        messages.append(reply)
        calls += _run_tool_calls(toolbox, tool_calls, calls, max_tool_calls, messages, events, sections)
        if then:
            # Small models continue whatever pattern came last (here, tool calls): restate the task after results.
            messages.append(HumanMessage(then))
    return None


def _run_tool_calls(toolbox: ToolBox, tool_calls: list[Any], calls: int, max_tool_calls: int, messages: list[Any],
                    events: list[dict[str, Any]], sections: list[dict[str, Any]]) -> int:
    """Run the calls the budget still allows, recording each call and result; returns how many ran."""
    from langchain_core.messages import ToolMessage

    if len(tool_calls) > max_tool_calls - calls:
        events.append(event("notice", f"The interviewer model asked for {len(tool_calls)} tool calls at once; "
                                      f"only {max_tool_calls - calls} ran (at most {max_tool_calls} in all).",
                            ok=False))
    allowed = tool_calls[: max_tool_calls - calls]
    for number, call in enumerate(allowed, start=calls + 1):
        outcome = toolbox.run(str(call.get("name", "")), call.get("args"))
        events.append(event("tool-call", f"{outcome.name}({_format_args(outcome.arguments)})",
                            tool=outcome.name, arguments=outcome.arguments))
        events.append(event("tool-result", outcome.content, tool=outcome.name, ok=outcome.ok,
                            sections=outcome.sections))
        sections.extend(outcome.sections)
        messages.append(ToolMessage(content=outcome.content, tool_call_id=str(call.get("id") or f"call-{number}")))
    return len(allowed)


def _record_failure(events: list[dict[str, Any]], failure: dict[str, str]) -> None:
    """One plain notice per reply-writing, however many times the model failed; each failure kept in its data."""
    notice = next((e for e in events if e["type"] == "notice" and "failures" in e["data"]), None)
    if notice is None:
        events.append(event("notice", MODEL_REPLY_UNUSABLE, ok=False, failures=[failure]))
    else:
        notice["data"]["failures"].append(failure)


def _format_args(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items() if value is not None)


def write_follow_up(
    chat_model: Any | None, toolbox: ToolBox, embedder: Embedder, question: Question, point: KeyPoint,
    answers: Sequence[str], max_tool_calls: int = MAX_TOOL_CALLS,
) -> Draft:
    """A follow-up question about `point`: the model's if it passes review, else the authored probe."""
    if chat_model is None:
        return Draft(point.probe, "probe", "no interviewer model")
    from langchain_core.messages import HumanMessage, SystemMessage

    template = load_prompt("follow_up")
    user = template.user.format(
        question=question.question,
        answer=escape_untrusted("\n".join(answers))[-1500:],
        missing_point=point.statement,
        topic=question.topic,
    )
    messages: list[Any] = [SystemMessage(template.system), HumanMessage(user)]
    events: list[dict[str, Any]] = []
    sections: list[dict[str, Any]] = []
    raw = _tool_loop(chat_model, toolbox, messages, max_tool_calls, events, sections,
                     then=template.extra.get("after_tools"))
    if raw is None:
        return Draft(point.probe, "probe", "the model wrote nothing usable", events, sections, template.version)
    candidate = clean_model_question(raw)
    if _NOT_PROSE.search(raw):
        # Judged on the whole reply: a question cut out of a tool call echo would otherwise look clean.
        problem: str | None = "not plain prose (looks like code or a tool call)"
    else:
        found = [str(section.get("text", "")) for section in sections]
        problem = review_follow_up(candidate, question, point, embedder, found) if candidate else "empty"
    if problem is not None:
        events.append(event("notice", f"Model follow-up not used ({problem}): {candidate[:200]!r}",
                            rejected=candidate[:500], reason=problem))
        return Draft(point.probe, "probe", problem, events, sections, template.version)
    return Draft(candidate, "model", None, events, sections, template.version)


def write_pointer_hint(
    chat_model: Any | None, toolbox: ToolBox, question: Question, focus: KeyPoint | None,
) -> Draft:
    """A hint that points into the knowledge base: the model picks the query, the program picks the words."""
    events: list[dict[str, Any]] = []
    sections: list[dict[str, Any]] = []
    if chat_model is not None:
        from langchain_core.messages import HumanMessage, SystemMessage

        template = load_prompt("hint")
        messages: list[Any] = [SystemMessage(template.system),
                               HumanMessage(template.user.format(question=question.question, topic=question.topic))]
        _tool_loop(chat_model, toolbox, messages, 1, events, sections, write_text=False)
    if not any(section.get("topic") == question.topic for section in sections):
        query = focus.statement if focus is not None else question.question
        outcome = toolbox.search_knowledge(query, question.topic)
        events.append(event("tool-call", f"search_knowledge(query={query!r}, topic={question.topic!r})",
                            tool="search_knowledge", arguments={"query": query, "topic": question.topic}))
        events.append(event("tool-result", outcome.content, tool="search_knowledge", ok=outcome.ok,
                            sections=outcome.sections))
        sections = sections + outcome.sections
    # A model's odd query can land in another topic; then the question's own authored sections are the better pointer.
    on_topic = [section for section in sections if section.get("topic") == question.topic]
    if on_topic:
        best = on_topic[0]
        text = f"Read \"{best['heading']}\" in {best['source']}."
    elif question.sections:
        text = "Read " + ", ".join(question.sections[:2]) + "."
    else:
        text = "Think about the mechanism behind the question before the details."
    return Draft(text, "pointer", None, events, sections)
