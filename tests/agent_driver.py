"""A process that runs an interview and then hangs, for tests that kill it with SIGKILL and resume.

    python -m tests.agent_driver DATA_DIR waiting   answers question 1, then waits at question 2
    python -m tests.agent_driver DATA_DIR grading   answers question 1 and hangs while grading it
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.agent_helpers import answer, make_session, plan
from tests.fakes import BagOfWordsEmbedder

SESSION_ID = "killed-session"
SLOW_MARKER = "hangs-while-grading"


class HangingEmbedder(BagOfWordsEmbedder):
    """Announces itself and hangs when asked to embed the marked answer, so the process dies mid-grade."""

    def encode(self, texts):  # type: ignore[no-untyped-def]
        if any(SLOW_MARKER in text for text in texts):
            print("GRADING", flush=True)
            time.sleep(600)
        return super().encode(texts)


def main() -> None:
    data_dir, mode = Path(sys.argv[1]), sys.argv[2]
    session = make_session(data_dir)
    if mode == "grading":
        session.deps.grader.embedder = HangingEmbedder()
    step = session.start(plan(topics=["rag", "chunking"], questions=3, max_follow_ups=0), SESSION_ID)
    print(f"ASKED {step.turn.question_id}", flush=True)
    text = "RAG retrieves relevant passages and adds them to the prompt so the answer is grounded."
    step = session.send(answer(text + (f" {SLOW_MARKER}" if mode == "grading" else "")))
    print(f"WAITING {step.turn.question_id}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
