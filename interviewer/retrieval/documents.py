"""Reference documents: reading them, finding their sections, and cutting them into chunks.

A document is a Markdown or plain-text file. Markdown headings give the structure; plain text (notes exported
from a word processor, like the raw interview-prep documents this product grew from) has its headings guessed
from numbered and colon-ended lines, so its chunks can still be cited by section. Chunks follow the structure
first (one section never shares a chunk with another) and then size, with overlap, via LangChain's splitters.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from interviewer.errors import DocumentError

DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt")
# Bumped whenever chunk boundaries or metadata change, so stores built by an older chunker are rebuilt.
CHUNKER_VERSION = 3
# Windows sized for a 256-token encoder; measured best of 400/600/900/1400 on the retrieval set.
CHUNK_SIZE = 600
CHUNK_OVERLAP = 100
HEADING_SEPARATOR = " > "

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)[.)]?\s*([A-Z(][^\n]*)$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """One heading of a document, with the headings above it."""

    title: str
    level: int
    path: tuple[str, ...]

    @property
    def heading_path(self) -> str:
        return HEADING_SEPARATOR.join(self.path)


@dataclass(frozen=True)
class Document:
    path: Path
    source: str  # what citations show: the file name, or its path under the folder it was ingested from
    topic: str
    title: str
    markdown: str  # the body as Markdown (plain text gets its guessed headings marked up)
    sha256: str
    sections: tuple[Section, ...] = field(default=())
    # heading (casefolded) -> topic, from the pack that brings the document (packs.LoadedPack.section_topics)
    section_topics: tuple[tuple[str, str], ...] = field(default=())

    def topic_of(self, headings: Sequence[str]) -> str:
        """The topic of a section, given its heading path: the innermost heading a pack gave a topic, else the
        document's."""
        topics = dict(self.section_topics)
        return next((topics[h.casefold()] for h in reversed(headings) if h.casefold() in topics), self.topic)


@dataclass(frozen=True)
class Chunk:
    """A window of a section: what gets embedded. Retrieval returns whole sections (see search.py)."""

    text: str
    section_text: str  # the whole section the window belongs to
    section_index: int  # order of the section within the document
    source: str
    path: str
    topic: str
    title: str
    heading: str  # heading path, e.g. "Vector databases > HNSW"
    section: str  # the innermost heading
    position: int  # order within the document
    chunk_hash: str
    file_sha256: str

    @property
    def chunk_id(self) -> str:
        return f"{self.section_id}-{self.position:04d}"

    @property
    def section_id(self) -> str:
        return f"{hashlib.sha1(self.path.encode()).hexdigest()[:16]}-s{self.section_index:03d}"

    def text_for_embedding(self) -> str:
        """The heading path travels with the text: a chunk read alone still says what it is about."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def _normalise_text(raw: bytes, path: Path) -> str:
    if b"\x00" in raw[:4096]:
        raise DocumentError(
            f"{path} looks like a binary file, not a .md or .txt document", "Cannot read document"
        )
    text = raw.decode("utf-8-sig", errors="replace")
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    # Word-processor exports carry non-breaking spaces and stray control characters.
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def _split_front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta, text[match.end() :]


def _plain_text_heading_level(line: str, next_line: str) -> int | None:
    """Guess whether a plain-text line is a heading, and at which level."""
    stripped = line.strip()
    # A numbered question can run long ("2. What is a Transformer? Describe ..."); other headings are short.
    limit = 170 if stripped.endswith("?") else 120
    if not 3 <= len(stripped) <= limit or stripped.startswith(("-", "*", "•")):
        return None
    numbered = _NUMBERED_HEADING.match(stripped)
    if numbered and not stripped.endswith((".", ",", ";")):
        depth = numbered.group(1).count(".") + 1
        return min(1 + depth, 4)
    words = stripped.split()
    if stripped.endswith(":") and len(words) <= 8 and len(stripped) <= 70 and next_line.strip():
        return 4
    return None


def plain_text_to_markdown(text: str, fallback_title: str) -> str:
    """Mark up a plain-text document's guessed headings so it chunks like Markdown."""
    lines = text.split("\n")
    out: list[str] = []
    title_done = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _MD_HEADING.match(stripped):
            # A plain-text line that happens to start with '#' is text, not structure.
            line = "\\" + stripped
            stripped = line
        if not title_done and stripped:
            title_done = True
            if len(stripped) <= 90 and not stripped.endswith("."):
                out.append(f"# {stripped}")
                continue
            out.append(f"# {fallback_title}")
        next_line = next((candidate for candidate in lines[index + 1 :] if candidate.strip()), "")
        level = _plain_text_heading_level(line, next_line) if stripped else None
        if level is not None:
            out.append("")
            out.append(f"{'#' * level} {stripped.rstrip(':').strip()}")
            out.append("")
        else:
            out.append(line)
    if not title_done:
        out.append(f"# {fallback_title}")
    return "\n".join(out)


def parse_sections(markdown: str) -> tuple[Section, ...]:
    """Every heading of a Markdown text with its path, skipping fenced code."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    in_fence = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _MD_HEADING.match(line)
        if not match:
            continue
        level, title = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append(Section(title=title, level=level, path=tuple(t for _, t in stack)))
    return tuple(sections)


def section_text(markdown: str, heading_path: str) -> str | None:
    """The body of the section at `heading_path` ("Doc > Section"), up to its next heading; None if absent.

    What a citation expands to: the text under that heading, without its subsections' headings mixed in.
    """
    stack: list[tuple[int, str]] = []
    collected: list[str] | None = None
    in_fence = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence or _FENCE.match(line) else _MD_HEADING.match(line)
        if match is None:
            if collected is not None:
                collected.append(line)
            continue
        if collected is not None:
            break
        level, title = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        if HEADING_SEPARATOR.join(t for _, t in stack) == heading_path:
            collected = []
    if collected is None:
        return None
    return "\n".join(collected).strip()


def _title_from_stem(stem: str) -> str:
    return re.sub(r"[-_]+", " ", stem).strip().capitalize() or stem


def load_document(path: Path, source: str | None = None, topic: str | None = None,
                  section_topics: Mapping[str, str] | None = None) -> Document:
    """Read one .md or .txt file. Raises DocumentError for unreadable or binary files.

    `section_topics` (heading -> topic, "" for the whole document) tags its sections with a pack's topics; they
    count in the document's hash, so a pack that changes them re-ingests the file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror}", "Cannot read document") from exc
    text = _normalise_text(raw, path)
    meta, body = _split_front_matter(text)
    if path.suffix.lower() == ".txt":
        markdown = plain_text_to_markdown(body, _title_from_stem(path.stem))
    else:
        markdown = body
    sections = parse_sections(markdown)
    titles = [section.title for section in sections if section.level == 1]
    tagged = tuple(sorted((section_topics or {}).items()))
    digest = hashlib.sha256(raw)
    if tagged:
        digest.update(repr(tagged).encode())
    return Document(
        path=path.resolve(),
        source=source or path.name,
        topic=(topic or dict(tagged).get("") or meta.get("topic") or path.stem).strip(),
        title=meta.get("title") or (titles[0] if titles else _title_from_stem(path.stem)),
        markdown=markdown,
        sha256=digest.hexdigest(),
        sections=sections,
        section_topics=tagged,
    )


def find_documents(root: Path) -> list[tuple[Path, str]]:
    """(file, citation name) for a file, or for every document under a folder, in a stable order."""
    if root.is_file():
        return [(root, root.name)]
    if not root.is_dir():
        raise DocumentError(f"{root} does not exist", "Nothing to ingest")
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix.lower() in DOCUMENT_SUFFIXES and not path.name.startswith("."):
            found.append((path, path.relative_to(root).as_posix()))
    return found


def chunk_document(document: Document) -> list[Chunk]:
    """Headings first, then size with overlap; each chunk knows its heading path and position."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    levels = [("#" * n, f"h{n}") for n in range(1, 7)]
    by_heading = MarkdownHeaderTextSplitter(levels, strip_headers=True).split_text(document.markdown)
    by_size = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE,
        chunk_overlap=CHUNK_OVERLAP,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )
    chunks: list[Chunk] = []
    for section_index, piece in enumerate(by_heading):
        path = [piece.metadata[f"h{n}"] for n in range(1, 7) if f"h{n}" in piece.metadata]
        heading = HEADING_SEPARATOR.join(path)
        section_text = piece.page_content.strip()
        for text in by_size.split_text(piece.page_content):
            text = text.strip()
            if len(re.findall(r"\w+", text)) < 3:
                continue  # an empty section or a lone bullet carries nothing worth retrieving
            chunks.append(
                Chunk(
                    text=text,
                    section_text=section_text,
                    section_index=section_index,
                    source=document.source,
                    path=str(document.path),
                    topic=document.topic_of(path),
                    title=document.title,
                    heading=heading,
                    section=path[-1] if path else document.title,
                    position=len(chunks),
                    chunk_hash=hashlib.sha256(f"{heading}\n{text}".encode()).hexdigest()[:16],
                    file_sha256=document.sha256,
                )
            )
    return chunks


def iter_chunks(documents: Iterable[Document]) -> Iterator[Chunk]:
    for document in documents:
        yield from chunk_document(document)


def section_titles(document: Document) -> set[str]:
    """Headings a pack may cite as `file#Heading` (compared case-insensitively)."""
    return {section.title.casefold() for section in document.sections}
