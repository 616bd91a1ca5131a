"""The plain interview over stdin and stdout, on the fake engine, for tests that kill it with SIGKILL.

    python -m tests.reliability.plain_driver DATA_DIR SESSION_ID

Starts SESSION_ID (four questions on rag and chunking, one follow-up each) or, when it is saved and unfinished,
resumes it; then runs interviewer.plain.PlainInterview over stdin exactly as `interviewer interview --plain` does,
with the deterministic embedder instead of MiniLM so a process starts and answers in well under a second.
Prints READY once it is waiting for the first answer, FINISHED at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from interviewer.agent.session import SessionError
from interviewer.plain import PlainInterview, stdin_lines
from tests.agent_helpers import make_session, plan


def main() -> None:
    data_dir, session_id = Path(sys.argv[1]), sys.argv[2]
    session = make_session(data_dir)
    out = Console(highlight=False, soft_wrap=True)
    try:
        step, _ = session.resume(session_id)
        out.print(f"RESUMED {session_id}", markup=False)
    except SessionError as exc:
        if exc.title == "Session finished":
            out.print("FINISHED", markup=False)
            return
        step = session.start(plan(topics=["rag", "chunking"], questions=4, max_follow_ups=1), session_id)
    out.print("READY", markup=False)
    if PlainInterview(session, out, show_tools=False).run(step, stdin_lines(sys.stdin)):
        out.print("FINISHED", markup=False)


if __name__ == "__main__":
    main()
