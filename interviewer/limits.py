"""How much of a candidate's answer is kept and how much is graded: two different bounds, side by side.

- LONGEST_ANSWER_CHARS: the longest answer the interview accepts. A longer paste is cut to it (not refused, which
  would lose the whole answer), so the history and the checkpoints never hold more.
- GRADED_ANSWER_CHARS: the part of an answer the grader reads. Past it an answer is graded on its beginning
  (~1,500 tokens: with the prompt, inside a 4,096-token window) and the grade says so; the bound also keeps
  evidence-gathering time flat.
"""

from __future__ import annotations

LONGEST_ANSWER_CHARS = 20_000
GRADED_ANSWER_CHARS = 6000
