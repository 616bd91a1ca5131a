"""What a grade's citation points at: the section of a knowledge document it names, read back for display.

A citation stores the document's name and heading path, not its text, so a grade stays small and a report
always shows the current wording. The documents are the ones the store is built from: the built-in
knowledge/docs and the documents packs bring.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from interviewer.errors import DocumentError
from interviewer.retrieval.documents import find_documents, load_document, section_text

EXCERPT_CHARS = 1200


@lru_cache(maxsize=64)
def _document_markdown(path: Path) -> str | None:
    try:
        return load_document(path).markdown
    except DocumentError:
        return None


def reference_excerpt(source: str, heading: str, roots: Iterable[Path], limit: int = EXCERPT_CHARS) -> str | None:
    """The text under `heading` in the document cited as `source`, cut at `limit` characters; None if not found."""
    for root in roots:
        try:
            documents = find_documents(root)
        except DocumentError:
            continue
        for path, name in documents:
            if name != source and path.name != source:
                continue
            markdown = _document_markdown(path)
            text = section_text(markdown, heading) if markdown is not None else None
            if text:
                return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
    return None
