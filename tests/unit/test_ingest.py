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


def test_a_packs_notes_are_searchable_under_the_packs_topic_ids(tmp_path: Path) -> None:
    from interviewer.packs import load_pack
    from interviewer.retrieval.search import HybridRetriever

    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "kubernetes.md").write_text(
        "# Kubernetes notes\n\n## Probes\n\nA readiness probe takes a pod out of the Service endpoints while it "
        "fails; a liveness probe restarts the container.\n\n## Rollouts\n\nmaxSurge bounds the extra pods during a "
        "rolling update and maxUnavailable bounds the missing ones.\n", encoding="utf-8")
    question = """
  - id: {id}
    topic: {topic}
    difficulty: 2
    question: {text}
    reference_answer: The notes explain this in their own words, at some length.
    sections: [kubernetes.md#{heading}]
"""
    (folder / "k8s.yaml").write_text(
        "name: k8s\ntitle: Kubernetes\nversion: 1\ndocuments: [kubernetes.md]\ntopics:\n"
        "  - {id: probes, title: Probes}\n  - {id: rollouts, title: Rollouts}\nquestions:"
        + question.format(id="readiness", topic="probes", text="What does a failing readiness probe do?",
                          heading="Probes")
        + question.format(id="surge", topic="rollouts", text="What do maxSurge and maxUnavailable bound?",
                          heading="Rollouts"), encoding="utf-8")
    loaded = load_pack(folder / "k8s.yaml")
    embedder = BagOfWordsEmbedder()
    ingest(loaded.document_paths(), tmp_path / "store", embedder, section_topics=loaded.section_topics())
    retriever = HybridRetriever(KnowledgeStore.open_for_query(tmp_path / "store", embedder), embedder)

    found = retriever.search("readiness probe endpoints", k=3, topics=["probes"])
    assert found and all(hit.topic == "probes" for hit in found)
    assert "readiness probe" in found[0].text
    assert not retriever.search("readiness probe endpoints", k=3, topics=["kubernetes"]), \
        "the file name is no longer the topic once the pack names one"
    rollouts = retriever.search("maxSurge rolling update", k=3, topics=["rollouts"])
    assert rollouts and "maxSurge" in rollouts[0].text


def test_changing_the_packs_topics_re_ingests_its_notes(tmp_path: Path, docs_dir: Path) -> None:
    embedder = BagOfWordsEmbedder()
    note = tmp_path / "notes.md"
    shutil.copy(next(docs_dir.glob("*.md")), note)
    ingest([note], tmp_path / "store", embedder)
    again = ingest([note], tmp_path / "store", embedder, section_topics={note.resolve(): {"": "my-topic"}})
    assert again.updated == 1
    topics = {chunk.topic for chunk in KnowledgeStore.open_for_query(tmp_path / "store", embedder).all_chunks()}
    assert topics == {"my-topic"}
