"""The ONNX Runtime embedder gives sentence-transformers' vectors, the shipped vectors are those vectors, and a
damaged export falls back to torch instead of failing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.documents import chunk_document, find_documents, load_document
from interviewer.retrieval.embeddings import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    _FallbackEmbedder,
    bundled_model_path,
    export_onnx,
    onnx_export_dir,
)
from interviewer.retrieval.vector_cache import VectorCache, shipped_vectors_path

TEXTS = [
    "Why divide attention scores by the square root of the key dimension?",
    "HNSW trades exactness for speed: a graph of neighbours searched greedily.",
    "x",
    "LoRA " * 400,  # past the 256-token limit: truncated the same way by both
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return SentenceTransformerEmbedder(allow_bf16=False).encode(TEXTS)


def test_onnx_vectors_match_sentence_transformers(torch_vectors: np.ndarray) -> None:
    onnx = OnnxEmbedder().encode(TEXTS)
    assert onnx.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.min(np.sum(onnx * torch_vectors, axis=1)) > 0.9999
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)


def test_shipped_vectors_are_the_models_vectors() -> None:
    texts = [
        chunk.text_for_embedding()
        for path, source in find_documents(builtin_docs_dir())[:3]
        for chunk in chunk_document(load_document(path, source=source))
    ][:24]
    embedder = OnnxEmbedder()
    shipped = VectorCache(embedder.fingerprint, 384, user_db=None, shipped=shipped_vectors_path(embedder.model_id))
    found = shipped.lookup(texts)
    assert all(vector is not None for vector in found)
    fresh = embedder.encode(texts)
    assert np.min(np.sum(np.vstack(found) * fresh, axis=1)) > 0.9999  # type: ignore[arg-type]


def test_a_damaged_export_falls_back_to_torch_and_is_redone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_vectors: np.ndarray
) -> None:
    real = onnx_export_dir(bundled_model_path())
    export_onnx(bundled_model_path())
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(tmp_path / "cache"))
    copy = onnx_export_dir(bundled_model_path())
    shutil.copytree(real, copy)
    (copy / "model.onnx").write_bytes(b"\x00garbage" * 1000)

    embedder = _FallbackEmbedder(OnnxEmbedder(), SentenceTransformerEmbedder(allow_bf16=False))
    vectors = embedder.encode(TEXTS)
    assert embedder.backend == "torch" and "ONNX" in (embedder.fallback_reason or "")
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.9999
    assert not (copy / "verified.json").exists(), "the damaged export is no longer trusted"

    export_onnx(bundled_model_path())  # what the next process does on first use
    assert json.loads((copy / "verified.json").read_text())["min_cosine"] > 0.9999
    assert np.min(np.sum(OnnxEmbedder().encode(TEXTS) * torch_vectors, axis=1)) > 0.9999
