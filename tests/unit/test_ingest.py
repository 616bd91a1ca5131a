from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interviewer.errors import StoreError
from interviewer.retrieval.ingest import ingest
from interviewer.retrieval.store import KnowledgeStore
from tests.fakes import BagOfWordsEmbedder


@pytest.fixture
def corpus(tmp_path: Path, docs_dir: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(docs_dir, target)
    return target


def test_incremental_ingest_skips_replaces_and_removes(corpus: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    embedder = BagOfWordsEmbedder()

    first = ingest([corpus], store_path, embedder)
    assert (first.files_seen, first.added, first.unchanged) == (3, 3, 0)
    assert first.chunks_total == first.chunks_embedded > 0

    embedded_before = embedder.texts_encoded
    second = ingest([corpus], store_path, embedder)
    assert (second.added, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert embedder.texts_encoded == embedded_before, "unchanged files are not embedded again"
    assert second.chunks_total == first.chunks_total

    (corpus / "decoding.md").write_text(
        "# Decoding\n\n## Beam search\n\nBeam search keeps the best k partial sequences.\n"
    )
    third = ingest([corpus], store_path, embedder)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 2)
    texts = [chunk.text for chunk in KnowledgeStore.open_for_query(store_path, embedder).all_chunks()]
    assert any("Beam search keeps" in text for text in texts)
    assert not any("Temperature divides the logits" in text for text in texts), "old chunks are replaced"

    (corpus / "notes.txt").unlink()
    fourth = ingest([corpus], store_path, embedder)
    assert fourth.removed == 1
    sources = {chunk.source for chunk in KnowledgeStore.open_for_query(store_path, embedder).all_chunks()}
    assert sources == {"decoding.md", "vector-search.md"}


def test_unreadable_file_is_skipped_and_reported(corpus: Path, tmp_path: Path) -> None:
    (corpus / "broken.md").write_bytes(b"\x00\x01\x02 binary")
    report = ingest([corpus], tmp_path / "store", BagOfWordsEmbedder())
    assert report.added == 3
    assert len(report.skipped) == 1 and "broken.md" in report.skipped[0]


def test_missing_store_tells_the_user_to_ingest(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="interviewer ingest"):
        KnowledgeStore.open_for_query(tmp_path / "nowhere", BagOfWordsEmbedder())


def test_store_built_with_another_embedding_model_is_detected(corpus: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    ingest([corpus], store_path, BagOfWordsEmbedder(model_id="model-a"))
    with pytest.raises(StoreError, match="model-a") as raised:
        KnowledgeStore.open_for_query(store_path, BagOfWordsEmbedder(model_id="model-b"))
    assert "--rebuild" in raised.value.message
    report = ingest([corpus], store_path, BagOfWordsEmbedder(model_id="model-b"))
    assert report.added == 3 and report.notes and "rebuilt" in report.notes[0]
    KnowledgeStore.open_for_query(store_path, BagOfWordsEmbedder(model_id="model-b"))


def test_corrupt_store_gives_a_clear_error_and_ingest_recovers(corpus: Path, tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    ingest([corpus], store_path, BagOfWordsEmbedder())
    (store_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot be read"):
        KnowledgeStore.open_for_query(store_path, BagOfWordsEmbedder())
    report = ingest([corpus], store_path, BagOfWordsEmbedder())
    assert report.added == 3
    assert "moved it to" in report.notes[0]
    kept_aside = list(tmp_path.glob("store.corrupt-*"))
    assert kept_aside, "the damaged store is kept, not deleted"
    assert KnowledgeStore.open_for_query(store_path, BagOfWordsEmbedder()).count() == report.chunks_total
