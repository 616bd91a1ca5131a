from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.errors import DocumentError
from interviewer.retrieval.documents import (
    CHUNK_SIZE,
    chunk_document,
    find_documents,
    load_document,
    parse_sections,
    plain_text_to_markdown,
)


def test_markdown_chunks_carry_heading_path_and_topic(docs_dir: Path) -> None:
    document = load_document(docs_dir / "vector-search.md")
    assert document.topic == "vector-search"  # from front matter
    assert document.title == "Vector search"
    chunks = chunk_document(document)
    headings = [chunk.heading for chunk in chunks]
    assert headings == [
        "Vector search",
        "Vector search > HNSW",
        "Vector search > Product quantization",
    ]
    hnsw = chunks[1]
    assert hnsw.section == "HNSW" and "layered proximity graph" in hnsw.text
    assert "Product quantization" not in hnsw.text, "a chunk never spans two sections"
    assert [chunk.position for chunk in chunks] == [0, 1, 2]
    assert len({chunk.chunk_id for chunk in chunks}) == 3


def test_topic_defaults_to_file_stem(docs_dir: Path) -> None:
    assert load_document(docs_dir / "decoding.md").topic == "decoding"


def test_long_sections_split_by_size_with_overlap(tmp_path: Path) -> None:
    sentences = " ".join(
        f"Sentence number {i} talks about attention heads and key vectors." for i in range(120)
    )
    path = tmp_path / "long.md"
    path.write_text(f"# Long\n\n## Attention\n\n{sentences}\n")
    chunks = chunk_document(load_document(path))
    assert len(chunks) > 3
    assert all(len(chunk.text) <= CHUNK_SIZE for chunk in chunks)
    assert all(chunk.heading == "Long > Attention" for chunk in chunks)
    # overlap: the start of each chunk repeats the end of the previous one
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.text[:40] in before.text


def test_plain_text_headings_are_guessed(docs_dir: Path) -> None:
    document = load_document(docs_dir / "notes.txt")
    paths = [section.heading_path for section in document.sections]
    assert paths == [
        "Interview notes",
        "Interview notes > 1. Tokenization",
        "Interview notes > 2. Retrieval Augmented Generation (RAG)",
        "Interview notes > 2. Retrieval Augmented Generation (RAG) > Key components include",
    ]
    chunks = chunk_document(document)
    assert any("Byte pair encoding" in c.text and c.section == "1. Tokenization" for c in chunks)


def test_plain_text_hash_lines_are_not_headings() -> None:
    markdown = plain_text_to_markdown("Title\n# not a heading\nbody\n", "fallback")
    assert [s.title for s in parse_sections(markdown)] == ["Title"]


def test_headings_inside_code_fences_are_ignored() -> None:
    sections = parse_sections("# A\n```\n# comment\n```\n## B\n")
    assert [s.heading_path for s in sections] == ["A", "A > B"]


def test_binary_file_is_rejected_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\x00\x00binary")
    with pytest.raises(DocumentError, match="binary file"):
        load_document(path)


def test_odd_encodings_and_line_endings_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffNotes\r\n\r\n1. Caf\xe9 ideas\r\nSome text\xa0here \x07bell.\r\n".encode())
    document = load_document(path)
    assert "\r" not in document.markdown and "\x07" not in document.markdown
    assert "## 1. Café ideas" in document.markdown
    path.write_bytes(b"Latin-1 \xe9 text that is not utf-8\n")
    assert "text that is not utf-8" in load_document(path).markdown


def test_find_documents_lists_md_and_txt_in_stable_order(docs_dir: Path, tmp_path: Path) -> None:
    names = [name for _, name in find_documents(docs_dir)]
    assert names == ["decoding.md", "notes.txt", "vector-search.md"]
    with pytest.raises(DocumentError, match="does not exist"):
        find_documents(tmp_path / "missing")


def test_seed_documents_ingest_cleanly(knowledge_or_seeds: Path) -> None:
    """Real documents nobody here wrote: every file loads and yields cited, bounded chunks."""
    files = find_documents(knowledge_or_seeds)
    assert files
    for path, _ in files:
        chunks = chunk_document(load_document(path))
        assert chunks, f"{path.name} produced no chunks"
        assert all(0 < len(chunk.text) <= CHUNK_SIZE for chunk in chunks)
        assert all(chunk.heading for chunk in chunks)
