"""The full-screen UI on the fake engine, for tests that kill it with SIGKILL under tmux.

    python -m tests.reliability.tui_driver SESSION_ID

Opens straight on the interview, in the data dir the settings name (INTERVIEWER_DATA_DIR): SESSION_ID is resumed when
it is saved and unfinished, else started under that id (four questions on rag and chunking, one follow-up each). The
engine is tests.agent_helpers.make_session (the bag-of-words embedder, no model), so it opens in about a second;
everything else is the UI a user runs. Writes its process id to tui.pid in the data dir, for the test to kill.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from interviewer.config import load_settings
from tests.agent_helpers import make_session, plan
from tui.app import make_app
from tui.backend import InterviewRequest


def main() -> None:
    session_id = sys.argv[1]
    settings = load_settings()
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "tui.pid").write_text(str(os.getpid()), encoding="utf-8")
    saved = make_session(data_dir)
    resuming = session_id in saved.resumable()  # (this also archives a session killed just before archiving)
    known = saved.deps.history.session(session_id) is not None
    saved.close()
    if known and not resuming:
        sys.exit(f"session {session_id} is finished; start another")

    def open_session(settings: Any, note: Any, catalog: Any) -> Any:
        session = make_session(data_dir)
        if not resuming:
            start = session.start
            session.start = lambda chosen, _=None: start(chosen, session_id)  # type: ignore[method-assign]
        return session

    request = (InterviewRequest(resume=True, resume_id=session_id) if resuming
               else InterviewRequest(plan=plan(topics=["rag", "chunking"], questions=4, max_follow_ups=1)))
    make_app(settings, request=request, open_session=open_session).run()


if __name__ == "__main__":
    main()
