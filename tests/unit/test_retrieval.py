from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.retrieval.ingest import ingest
from interviewer.retrieval.search import BM25Index, HybridRetriever, reciprocal_rank_fusion
from interviewer.retrieval.store import KnowledgeStore
from interviewer.text import tokenize
from tests.fakes import BagOfWordsEmbedder


def test_rrf_rewards_agreement_between_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["a"] == pytest.approx(1 / 61)
    assert sorted(fused, key=lambda item: -fused[item])[:2] == ["b", "c"]


def test_bm25_prefers_rare_terms_and_shorter_documents() -> None:
    index = BM25Index(
        ["the cat sat on the mat", "the dog sat", "quantization shrinks vectors " + "filler " * 30]
    )
    scores = index.scores("dog")
    assert scores.argmax() == 1 and scores[0] == 0
    long_doc = BM25Index(["quantization " + "filler " * 50, "quantization filler"]).scores("quantization")
    assert long_doc[1] > long_doc[0]


def test_tokenize_stems_plurals_and_drops_stopwords() -> None:
    assert tokenize("What are the Embeddings of indexes?") == ["embedding", "index"]


@pytest.fixture
def retriever(tmp_path: Path, docs_dir: Path) -> HybridRetriever:
    embedder = BagOfWordsEmbedder()
    ingest([docs_dir], tmp_path / "store", embedder)
    return HybridRetriever(KnowledgeStore.open_for_query(tmp_path / "store", embedder), embedder)


def test_hybrid_search_finds_the_section_and_explains_the_ranks(retriever: HybridRetriever) -> None:
    results = retriever.search("how does the HNSW graph search work", k=3)
    assert results[0].section == "HNSW"
    assert results[0].source == "vector-search.md"
    assert results[0].dense_rank is not None and results[0].lexical_rank is not None
    assert results[0].citation == "vector-search.md > HNSW"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_topic_filter_restricts_both_sides(retriever: HybridRetriever) -> None:
    results = retriever.search("temperature sampling graph", k=5, topics=["decoding"])
    assert results and {r.topic for r in results} == {"decoding"}
    assert retriever.search("HNSW", k=5, topics=["no-such-topic"]) == []


def test_empty_query_returns_nothing(retriever: HybridRetriever) -> None:
    assert retriever.search("   ") == []


@pytest.mark.parametrize("query", ["how does the HNSW graph search work", "temperature sampling", "vector index"])
def test_lexical_side_scores_as_bm25_over_every_section(retriever: HybridRetriever, query: str) -> None:
    """The postings index finds the candidates; their scores are those of BM25 over the whole corpus."""
    sections = {chunk.section_id: chunk for chunk in retriever.store.all_chunks()}
    ids = list(sections)
    reference = BM25Index([f"{sections[i].heading}\n{sections[i].section_text}" for i in ids]).scores(query)
    expected = {section_id: score for section_id, score in zip(ids, reference, strict=True) if score > 0}
    total, mean_tokens, _ = retriever.store.lexical_statistics()
    lexical, _ = retriever._lexical_scores(query, None, total, mean_tokens)
    assert expected and lexical.keys() == expected.keys()
    for section_id, score in expected.items():
        assert lexical[section_id] == pytest.approx(score)


def test_postings_split_into_parts_score_the_same(retriever: HybridRetriever, monkeypatch: pytest.MonkeyPatch) -> None:
    """A common term's postings span several records; reading them back gives the same scores."""
    import interviewer.retrieval.store as store_module

    query = "vector index search"
    total, mean_tokens, _ = retriever.store.lexical_statistics()
    before, _ = retriever._lexical_scores(query, None, total, mean_tokens)
    monkeypatch.setattr(store_module, "_POSTINGS_PER_RECORD", 1)
    retriever.store.update_lexical_index(tokenize)
    after, _ = retriever._lexical_scores(query, None, total, mean_tokens)
    assert before and after == pytest.approx(before)
    parts = retriever.store._lexical().get(where={"term": "vector"}, include=["metadatas"])["ids"]
    assert len(parts) > 1


def test_a_store_without_its_search_index_says_to_rebuild_and_ingest_restores_it(tmp_path, docs_dir) -> None:
    from interviewer.errors import StoreError
    from interviewer.retrieval.chroma import local_client as _client
    from interviewer.retrieval.store import LEXICAL_COLLECTION_NAME

    embedder = BagOfWordsEmbedder()
    ingest([docs_dir], tmp_path / "store", embedder)
    _client(tmp_path / "store").delete_collection(LEXICAL_COLLECTION_NAME)
    broken = HybridRetriever(KnowledgeStore.open_for_query(tmp_path / "store", embedder), embedder)
    with pytest.raises(StoreError, match="ingest --rebuild"):
        broken.search("HNSW graph")
    report = ingest([docs_dir], tmp_path / "store", embedder)
    assert report.unchanged == report.files_seen, "nothing re-embedded; only the index rebuilt"
    restored = HybridRetriever(KnowledgeStore.open_for_query(tmp_path / "store", embedder), embedder)
    assert restored.search("HNSW graph")[0].section == "HNSW"


def test_a_search_after_another_ingest_replaced_the_index_still_finds(tmp_path, docs_dir) -> None:
    """The postings collection is looked up once per store; an ingest elsewhere that rebuilds it is followed."""
    import shutil

    corpus = tmp_path / "corpus"
    shutil.copytree(docs_dir, corpus)
    embedder = BagOfWordsEmbedder()
    ingest([corpus], tmp_path / "store", embedder)
    searcher = HybridRetriever(KnowledgeStore.open_for_query(tmp_path / "store", embedder), embedder)
    assert searcher.search("HNSW graph")[0].section == "HNSW"
    (corpus / "extra.md").write_text("# Extra\n\n## Zebras\n\nZebras graze on the savannah.\n")
    ingest([corpus], tmp_path / "store", embedder)  # writes a new postings collection
    assert searcher.search("zebras savannah")[0].section == "Zebras"
