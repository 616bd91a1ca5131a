"""Drafts of unsent answers survive a restart; citations expand to the section they name."""

from __future__ import annotations

from pathlib import Path

from interviewer.records.drafts import DraftStore
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.citations import reference_excerpt


def test_a_draft_comes_back_for_its_own_turn_only(tmp_path: Path) -> None:
    drafts = DraftStore(tmp_path / "drafts")
    drafts.save("s1", "2:question:", "half an answer [/b]")
    assert DraftStore(tmp_path / "drafts").load("s1", "2:question:").text == "half an answer [/b]"  # type: ignore[union-attr]
    assert drafts.load("s1", "3:question:") is None
    drafts.save("s1", "2:question:", "   ")  # emptied editor: nothing to offer back
    assert drafts.load("s1") is None


def test_a_damaged_draft_file_counts_as_no_draft(tmp_path: Path) -> None:
    drafts = DraftStore(tmp_path)
    (tmp_path / "s1.json").write_text("{not json", encoding="utf-8")
    assert drafts.load("s1") is None
    drafts.save("../../etc/passwd", "1:question:", "text")  # a hostile id stays inside the folder
    assert [path.parent for path in tmp_path.iterdir()] == [tmp_path, tmp_path]


def test_a_citation_expands_to_its_section_text() -> None:
    heading = "Retrieval-augmented generation (RAG) > RAG vs fine-tuning"
    excerpt = reference_excerpt("rag.md", heading, [builtin_docs_dir()])
    assert excerpt is not None and "fine-tun" in excerpt.lower()
    assert reference_excerpt("rag.md", "No such heading", [builtin_docs_dir()]) is None
    assert reference_excerpt("missing.md", "Anything", [builtin_docs_dir()]) is None
