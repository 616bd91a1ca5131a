"""The `interviewer` command: the core's command line, with this package plugged in as its full-screen front end.

The core (interviewer/) never imports the UI. This entry point hands the CLI a function that opens the app, and
the CLI calls it when an interview is asked for in a terminal; piped or with --plain it stays line by line.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer import cli

if TYPE_CHECKING:
    from interviewer.config import Settings


def open_full_screen(settings: Settings, *, plan: Any = None, resume: bool = False, resume_id: str | None = None,
                     model: Path | None = None, use_model: bool = True, catalog: Any = None) -> None:
    from tui.app import run_app
    from tui.backend import InterviewRequest

    request = InterviewRequest(plan=plan, resume=resume, resume_id=resume_id) if plan or resume else None
    run_app(settings, request=request, model=model, use_model=use_model, catalog=catalog)


def main() -> None:
    cli.use_full_screen(open_full_screen)
    cli.main()


if __name__ == "__main__":
    main()
