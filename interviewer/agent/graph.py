"""The interview as a LangGraph state graph.

    plan → pick ─┬→ ask ─┬→ retrieve → grade → decide ─┬→ follow_up → ask
                 │       ├→ hint → ask                 └→ pick
                 │       ├→ ask (a notice, then the same question again)
                 │       ├→ decide (ended during a follow-up: the graded question still counts) → summarise
                 │       └→ summarise (the candidate ended the session)
                 └→ summarise (enough questions asked, or none left) → END

`ask` is the only node that waits for the candidate (`interrupt`). Nodes set `route`; the graph's edges, not the
model, decide where the interview goes next.
"""

from __future__ import annotations

from typing import Any

from interviewer.agent.nodes import InterviewDeps, InterviewNodes
from interviewer.agent.state import NODE_NAMES, InterviewState, Route


def _route(state: InterviewState) -> Route:
    return state["route"]


def build_graph(deps: InterviewDeps) -> Any:
    """The uncompiled graph (a StateGraph builder); compile it with a checkpointer to run it."""
    from langgraph.graph import END, START, StateGraph

    nodes = InterviewNodes(deps)
    builder = StateGraph(InterviewState)
    for name in NODE_NAMES:
        builder.add_node(name, getattr(nodes, name))
    builder.add_edge(START, "plan")
    builder.add_edge("plan", "pick")
    builder.add_conditional_edges("pick", _route, {"ask": "ask", "summarise": "summarise"})
    builder.add_conditional_edges(
        "ask", _route,
        {"ask": "ask", "hint": "hint", "retrieve": "retrieve", "decide": "decide", "summarise": "summarise"},
    )
    builder.add_edge("hint", "ask")
    builder.add_edge("retrieve", "grade")
    builder.add_edge("grade", "decide")
    builder.add_conditional_edges(
        "decide", _route, {"follow_up": "follow_up", "pick": "pick", "summarise": "summarise"}
    )
    builder.add_edge("follow_up", "ask")
    builder.add_edge("summarise", END)
    return builder
