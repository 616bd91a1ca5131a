"""Real documents, real embedding model, real Chroma store: the retrieval a user gets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.retrieval.embeddings import default_embedder
from interviewer.retrieval.ingest import ingest
from interviewer.retrieval.search import HybridRetriever
from interviewer.retrieval.store import KnowledgeStore
from tests.conftest import run_cli

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from tests.conftest import REPO_ROOT, SEEDS_DIR

    corpus = SEEDS_DIR if SEEDS_DIR.is_dir() else REPO_ROOT / "knowledge" / "docs"
    store = tmp_path_factory.mktemp("real") / "store"
    report = ingest([corpus], store, default_embedder())
    assert report.added == report.files_seen > 0 and not report.skipped
    return corpus, store


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("how does HNSW work", r"HNSW|Hierarchical Navigable"),
        ("what is the difference between MLOps and LLMOps", r"LLMOps"),
        ("how do temperature and top-p sampling control generation", r"top-p|nucleus"),
        ("why chunk documents before embedding them", r"chunk"),
        ("what is LoRA", r"LoRA|low-rank"),
    ],
)
def test_known_queries_find_the_right_material(seeded_store: tuple[Path, Path], query: str, expected: str) -> None:
    import re

    _, store = seeded_store
    embedder = default_embedder()
    retriever = HybridRetriever(KnowledgeStore.open_for_query(store, embedder), embedder)
    results = retriever.search(query, k=5)
    assert len(results) == 5
    assert any(re.search(expected, r.heading + " " + r.text, re.I) for r in results[:3]), [r.citation for r in results]


def test_search_cli_json_contract(seeded_store: tuple[Path, Path]) -> None:
    _, store = seeded_store
    result = run_cli("search", "vector database index", "-k", "3", "--json", "--store", str(store))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert len(payload) == 3
    for item in payload:
        assert {"source", "heading", "score", "text"} <= set(item)
        assert isinstance(item["score"], float) and item["text"]


def test_unchanged_reingest_embeds_nothing(seeded_store: tuple[Path, Path]) -> None:
    corpus, store = seeded_store
    report = ingest([corpus], store, default_embedder())
    assert report.chunks_embedded == 0 and report.unchanged == report.files_seen
