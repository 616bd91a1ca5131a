"""The answer being typed, kept on disk so that nothing typed is lost to a quit, a crash or `kill -9`.

One small JSON file per session in the data dir's drafts/ folder, replaced atomically (written beside, flushed,
renamed), so a reader sees the previous draft or the new one, never half of one. A draft belongs to one turn of
the session (`Draft.turn_key`); relaunching offers it back only for that same turn, and it is deleted once the
answer it holds has been handed to the interview (which writes it to the history before grading it).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

_SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


class Draft(BaseModel):
    session_id: str
    turn_key: str = Field(description="Which turn the text answers, e.g. 'q3' or 'q3.f1:kp-id'.")
    text: str
    saved_at: datetime


class DraftStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, session_id: str) -> Path:
        return self.folder / f"{_SAFE_ID.sub('_', session_id)}.json"

    def save(self, session_id: str, turn_key: str, text: str) -> None:
        """Keep `text` as the draft for that turn; an empty text removes the draft."""
        if not text.strip():
            self.discard(session_id)
            return
        draft = Draft(session_id=session_id, turn_key=turn_key, text=text, saved_at=datetime.now(UTC))
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self._path(session_id)
        partial = target.with_suffix(".tmp")
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(draft.model_dump_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)

    def load(self, session_id: str, turn_key: str | None = None) -> Draft | None:
        """The saved draft (for that turn, when given), or None; an unreadable file counts as no draft."""
        try:
            draft = Draft.model_validate(json.loads(self._path(session_id).read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError):
            return None
        if turn_key is not None and draft.turn_key != turn_key:
            return None
        return draft

    def discard(self, session_id: str) -> None:
        self._path(session_id).unlink(missing_ok=True)
