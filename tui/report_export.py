"""Exporting a session's report from the UI (the History and Summary screens): the core's `export_report`, as
Markdown and HTML in the data dir's reports/ folder, with what happened told in a notification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.screen import Screen

from tui.backend import Backend

REPORT_FORMATS = ("md", "html")


def export_session_report(screen: Screen[Any], backend: Backend, session_id: str) -> list[Path]:
    """Write the session's report files and tell the user where; returns the paths ([] when none was written)."""
    from interviewer.records.report import ReportNotWritten, SessionNotFound, export_report

    folder = backend.settings.data_dir / "reports"
    try:
        history, catalog = backend.history(), backend.catalog()
        written = [export_report(history, session_id, fmt, folder / f"{session_id}.{fmt}", catalog)
                   for fmt in REPORT_FORMATS]
    except SessionNotFound:
        screen.notify(f"No session {session_id} in the history.", title="Nothing to export", severity="error",
                      markup=False)
        return []
    except ReportNotWritten as exc:
        screen.notify(f"Cannot write to {folder}: {exc.strerror}", title="Report not written", severity="error",
                      markup=False)
        return []
    screen.notify("Written: " + ", ".join(str(path) for path in written), title="Report exported", markup=False,
                  timeout=10)
    return written
