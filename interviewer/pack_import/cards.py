"""What every reader shares: the imported card, the skipped-row note, and the text helpers.

A reader (tabular, markdown, anki) turns a file into `Card`s and `Skip`s and nothing else; building and writing the
pack (writer.py) never looks at the source format. The helpers here are the ones two readers need: decoding a text
file, reducing HTML to text, slugs, and matching column or field names loosely.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from interviewer.errors import PackImportError

# Pack rules the readers check early, so a skipped row is reported with its line (interviewer/packs/schema.py holds the
# same limits on the fields).
MIN_TEXT = 8
DEFAULT_DIFFICULTY = 2


@dataclass
class Card:
    """One question and its answer as read from the source, before any pack rule is applied."""

    question: str
    answer: str
    where: str  # "line 12" or "note 7": how the summary points the user back at the source
    topic: str | None = None  # a topic *name* as the source gives it; the writer turns it into a slug
    difficulty: int | None = None
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skip:
    """A row, note or block left out (or kept with a change), and why; grouped by `reason` in the summary."""

    where: str
    reason: str
    text: str = ""


@dataclass
class ReadResult:
    """Everything a reader found in one file."""

    format: str
    cards: list[Card] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    notices: list[Skip] = field(default_factory=list)  # kept, but with a change the user should know about
    media_skipped: int = 0
    title: str | None = None


def excerpt(text: str, limit: int = 60) -> str:
    """A question shortened to one line, to recognise it in a list of skipped rows."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# --- reading text files ------------------------------------------------------------------------------------


def decode_text(raw: bytes, path: Path, kind: str) -> tuple[str, str | None]:
    """The file's text and, when it was not UTF-8, the encoding used (the caller reports it).

    Spreadsheet programs write UTF-16 ("Unicode text") or Windows-1252 as often as UTF-8, so those are read
    too; a NUL byte in anything else means a binary file given by mistake.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _tidy_text(raw.decode("utf-16")), "UTF-16"
        except UnicodeDecodeError as exc:
            raise PackImportError(f"{path} starts like UTF-16 text but cannot be read as it: {exc.reason}") from exc
    if b"\x00" in raw[:8192]:
        raise PackImportError(f"{path} looks like a binary file, not {kind} text")
    try:
        return _tidy_text(raw.decode("utf-8-sig")), None
    except UnicodeDecodeError:
        pass
    try:
        return _tidy_text(raw.decode("cp1252")), "Windows-1252"
    except UnicodeDecodeError:
        return _tidy_text(raw.decode("latin-1")), "Latin-1"


def _tidy_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\u00a0", " ").replace("\u200b", "")


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str) -> str:
    """Trailing spaces and control characters off, blank-line runs shortened: what a pack field holds."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.replace("\u00a0", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- HTML (Anki fields, spreadsheet cells exported from Anki) ------------------------------------------------

_SOUND = re.compile(r"\[sound:[^\]]*\]")
_MEDIA_TAGS = frozenset({"img", "audio", "video", "object", "embed", "svg"})
_BLOCK_TAGS = frozenset({"div", "p", "li", "tr", "table", "ul", "ol", "blockquote", "pre", "hr",
                         "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt"})
_HIDDEN_TAGS = frozenset({"style", "script", "head", "title"})
_LOOKS_LIKE_HTML = re.compile(r"<(?:br|div|p|span|b|i|u|li|ul|ol|img|font|strong|em|sup|sub)\b[^>]*>|"
                              r"&(?:nbsp|amp|lt|gt|quot|#\d+);", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """Text of an HTML fragment: block boundaries and <br> become line breaks, media is counted and dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media = 0
        self._hidden = 0

    def _line_break(self) -> None:
        # One break per boundary: "<div>a</div><div>b</div>" is two lines, not two lines with a blank between.
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _MEDIA_TAGS:
            self.media += 1
            self._hidden += tag == "svg"  # an inline drawing's <text> is not the card's text
        elif tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._line_break()
            self.parts.append("- ")
        elif tag in _BLOCK_TAGS:
            self._line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS or tag == "svg":
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self._line_break()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str, int]:
    """(plain text, how many images/sounds/videos were left out) of an HTML fragment such as an Anki field."""
    sounds = len(_SOUND.findall(html))
    extractor = _TextExtractor()
    extractor.feed(_SOUND.sub("", html))
    extractor.close()
    return clean("".join(extractor.parts)), sounds + extractor.media


def maybe_html_to_text(text: str) -> tuple[str, int]:
    """A spreadsheet cell reduced from HTML only when it holds HTML: a plain "a < b" stays as written."""
    if _LOOKS_LIKE_HTML.search(text) or _SOUND.search(text):
        return html_to_text(text)
    return clean(text), 0


# --- names, slugs and loose matching ---------------------------------------------------------------------


def slugify(text: str, limit: int = 60) -> str:
    """Lowercase ASCII words joined by '-': what a pack name, topic id or question id is made of."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-")


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def title_from_stem(stem: str) -> str:
    words = re.sub(r"[-_.]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


# Column names (CSV/TSV headers) and note field names (Anki) that mean the same thing, compared after
# `_header_key`; each role lists its names from the most to the least common spelling.
ROLE_NAMES: dict[str, frozenset[str]] = {
    "question": frozenset({"question", "questions", "front", "q", "prompt", "term", "question text", "card front",
                           "query"}),
    "answer": frozenset({"answer", "answers", "back", "a", "response", "reply", "definition", "reference answer",
                         "reference_answer", "model answer", "solution", "explanation", "answer text",
                         "card back"}),
    "topic": frozenset({"topic", "topics", "category", "categories", "deck", "subject", "section", "area",
                        "theme"}),
    "difficulty": frozenset({"difficulty", "level", "seniority", "difficulty level"}),
    "tags": frozenset({"tags", "tag", "labels", "label", "keywords"}),
}


def _header_key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9_]+", " ", name.casefold()).split())


def role_of(name: str) -> str | None:
    """Which column a header cell names ('Front' -> question), or None; only short cells can be headers."""
    key = _header_key(name)
    if not key or len(key) > 30 or len(key.split()) > 3:
        return None
    for role, names in ROLE_NAMES.items():
        if key in names or key.replace("_", " ") in names:
            return role
    return None


_DIFFICULTY_WORDS = {
    "easy": 1, "junior": 1, "beginner": 1, "basic": 1, "entry": 1, "low": 1,
    "medium": 2, "mid": 2, "mid level": 2, "midlevel": 2, "intermediate": 2, "moderate": 2, "normal": 2,
    "hard": 3, "senior": 3, "advanced": 3, "expert": 3, "difficult": 3, "high": 3,
}


def parse_difficulty(value: str) -> int | None:
    """1, 2 or 3 from "2", "2.0", "hard", "Senior"...; None when the value says none of them."""
    key = _header_key(value).replace("_", " ").replace("-", " ")
    if not key:
        return None
    try:
        number = float(key)
    except ValueError:
        if key in _DIFFICULTY_WORDS:
            return _DIFFICULTY_WORDS[key]
        # "very hard", "Senior engineer": one level named inside the value is that level.
        found = {_DIFFICULTY_WORDS[word] for word in key.split() if word in _DIFFICULTY_WORDS}
        return found.pop() if len(found) == 1 else None
    return int(number) if number in (1.0, 2.0, 3.0) else None


def split_tags(value: str) -> list[str]:
    """Tags written "a, b", "a; b" or "a b" (Anki's way): unique, in their order."""
    seen: dict[str, None] = {}
    for tag in re.split(r"[,;\s]+", value):
        if tag.strip():
            seen.setdefault(tag.strip(), None)
    return list(seen)
