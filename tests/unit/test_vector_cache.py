"""Vectors known by content: a rebuilt store embeds nothing it has seen, and the shipped vectors stay current."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.documents import chunk_document, find_documents, load_document
from interviewer.retrieval.embeddings import DEFAULT_EMBEDDING_MODEL, bundled_model_path, model_digest
from interviewer.retrieval.ingest import ingest
from interviewer.retrieval.vector_cache import VectorCache, shipped_vectors_path, text_key
from tests.fakes import BagOfWordsEmbedder


class FingerprintedEmbedder(BagOfWordsEmbedder):
    def __init__(self, fingerprint: str = "fake:1") -> None:
        super().__init__()
        self.fingerprint = fingerprint

    @property
    def texts_encoded(self) -> int:
        return sum(len(call) for call in self.calls)


@pytest.fixture
def corpus(tmp_path: Path, docs_dir: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(docs_dir, target)
    return target


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_rebuilt_store_reuses_every_vector_and_gets_the_same_ones(corpus: Path, tmp_path: Path) -> None:
    embedder = FingerprintedEmbedder()
    first = ingest([corpus], tmp_path / "store-a", embedder)
    encoded = embedder.texts_encoded
    assert first.chunks_reused == 0 and encoded == first.chunks_embedded

    second = ingest([corpus], tmp_path / "store-b", embedder, rebuild=True)
    assert embedder.texts_encoded == encoded, "nothing is embedded twice"
    assert second.chunks_reused == second.chunks_embedded == first.chunks_embedded
    assert "known by content" in second.summary()


def test_a_changed_chunk_or_another_model_misses(corpus: Path, tmp_path: Path) -> None:
    embedder = FingerprintedEmbedder()
    ingest([corpus], tmp_path / "store-a", embedder)
    (corpus / "decoding.md").write_text("# Decoding\n\n## Beam search\n\nBeam search keeps the k best prefixes.\n")
    changed = ingest([corpus], tmp_path / "store-b", embedder)
    assert changed.chunks_embedded - changed.chunks_reused == 1

    other_model = FingerprintedEmbedder("fake:2")
    report = ingest([corpus], tmp_path / "store-c", other_model)
    assert report.chunks_reused == 0 and other_model.texts_encoded == report.chunks_embedded


def test_an_embedder_without_a_fingerprint_is_never_cached(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    embedder = BagOfWordsEmbedder()
    ingest([corpus], tmp_path / "store-a", embedder)
    report = ingest([corpus], tmp_path / "store-b", embedder)
    assert report.chunks_reused == 0
    assert not (cache_dir / "embeddings").exists()


def test_a_damaged_cache_file_costs_only_speed(corpus: Path, tmp_path: Path, cache_dir: Path) -> None:
    embedder = FingerprintedEmbedder()
    first = ingest([corpus], tmp_path / "store-a", embedder)
    for file in (cache_dir / "embeddings").glob("vectors-*.sqlite3*"):
        file.write_bytes(b"not a database" * 100)
    again = ingest([corpus], tmp_path / "store-b", embedder)
    assert again.chunks_embedded == first.chunks_embedded and again.chunks_total == first.chunks_total


def test_vector_cache_can_be_turned_off(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = FingerprintedEmbedder()
    ingest([corpus], tmp_path / "store-a", embedder)
    monkeypatch.setenv("INTERVIEWER_VECTOR_CACHE", "off")
    assert ingest([corpus], tmp_path / "store-b", embedder).chunks_reused == 0


def test_shipped_keys_survive_trailing_zero_bytes(tmp_path: Path) -> None:
    # numpy's fixed-width bytes would strip a key's trailing zeros; the shipped file stores raw uint8 rows.
    key = bytes(15) + b"\x00"
    path = tmp_path / "vectors.npz"
    np.savez(path, fingerprint=np.array("m:1"), keys=np.frombuffer(key, dtype=np.uint8).reshape(1, 16),
             vectors=np.ones((1, 4), dtype=np.float32))
    cache = VectorCache("m:1", 4, user_db=None, shipped=path)
    assert cache._shipped[key].tolist() == [1.0] * 4
    assert VectorCache("m:2", 4, user_db=None, shipped=path)._shipped == {}, "other weights: ignored"


def test_shipped_vectors_cover_every_builtin_chunk_for_the_installed_model() -> None:
    """Fails when knowledge/docs changed without `make vectors`: a new user would wait for the embedder."""
    with np.load(shipped_vectors_path(DEFAULT_EMBEDDING_MODEL), allow_pickle=False) as data:
        fingerprint = str(data["fingerprint"])
        keys = {row.tobytes() for row in data["keys"]}
        assert data["vectors"].shape == (len(keys), 384)
    assert fingerprint == f"{DEFAULT_EMBEDDING_MODEL}:{model_digest(bundled_model_path())}"
    missing = [
        chunk.heading
        for path, source in find_documents(builtin_docs_dir())
        for chunk in chunk_document(load_document(path, source=source))
        if text_key(chunk.text_for_embedding()) not in keys
    ]
    assert not missing, f"{len(missing)} built-in chunks have no shipped vector; run `make vectors`: {missing[:5]}"
