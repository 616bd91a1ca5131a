"""The interview agent: a LangGraph graph (graph.py) of nodes (nodes.py) over a JSON state (state.py, with turns.py
for turn ids), with tools the interviewer model may call (tools.py), question choice and spaced repetition
(planning.py), follow-up and hint writing (follow_up.py), the session summary (summary.py) and a driver for front
ends (session.py)."""
