"""Hybrid retrieval over the knowledge store: dense vectors and BM25, fused by reciprocal rank.

Dense search (MiniLM in Chroma) finds paraphrases; BM25 finds the exact terms interview questions hinge on
("PQ", "ef_search", "RoPE"). Each ranks candidates on its own and reciprocal rank fusion (RRF) merges the two
lists without having to calibrate their scores against each other. Both sides honour a topic filter.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import numpy as np

from interviewer.embeddings import Embedder
from interviewer.store import KnowledgeStore, StoredChunk

RRF_K = 60
CANDIDATES_PER_SIDE = 40

_STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does did for from has have how i if in into is it its
    me my of on or our so such than that the their them then there these they this those to was we were what
    when where which while who why will with would you your about explain describe tell between difference
    vs versus use used using work works""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """A light suffix stripper: enough to match 'embeddings' with 'embedding' and 'indexes' with 'index'."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    return [_stem(token) for token in _TOKEN.findall(text.lower()) if token not in _STOPWORDS]


class BM25Index:
    """Okapi BM25 over a fixed list of texts (the store is small enough to score exhaustively)."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._docs = [Counter(tokenize(text)) for text in texts]
        self._lengths = np.array([sum(doc.values()) for doc in self._docs], dtype=np.float64)
        self._avg_length = float(self._lengths.mean()) if len(self._docs) else 0.0
        frequency: Counter[str] = Counter()
        for doc in self._docs:
            frequency.update(doc.keys())
        total = len(self._docs)
        self._idf = {term: math.log(1 + (total - n + 0.5) / (n + 0.5)) for term, n in frequency.items()}

    def scores(self, query: str) -> np.ndarray:
        result = np.zeros(len(self._docs), dtype=np.float64)
        if not self._docs:
            return result
        norm = self.k1 * (1 - self.b + self.b * self._lengths / max(self._avg_length, 1e-9))
        for term in set(tokenize(query)):
            idf = self._idf.get(term)
            if idf is None:
                continue
            tf = np.array([doc.get(term, 0) for doc in self._docs], dtype=np.float64)
            result += idf * tf * (self.k1 + 1) / (tf + norm)
        return result


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_id: str
    source: str
    heading: str
    section: str
    topic: str
    text: str
    score: float  # fused RRF score: higher is better, comparable only within one result list
    dense_rank: int | None
    lexical_rank: int | None
    dense_similarity: float | None

    @property
    def citation(self) -> str:
        return f"{self.source} > {self.section}" if self.section else self.source

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class Retriever(Protocol):
    def search(self, query: str, k: int = 5, topics: Sequence[str] | None = None) -> list[RetrievedChunk]: ...


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """score(d) = sum over rankings of 1 / (k + rank of d), ranks starting at 1."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Dense + BM25 with reciprocal rank fusion over one KnowledgeStore."""

    def __init__(self, store: KnowledgeStore, embedder: Embedder, candidates: int = CANDIDATES_PER_SIDE) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self._chunks = store.all_chunks()
        self._by_id = {chunk.chunk_id: chunk for chunk in self._chunks}
        # BM25 sees the heading path too: headings carry the very terms a question names.
        self._bm25 = BM25Index([f"{chunk.heading}\n{chunk.text}" for chunk in self._chunks])

    @property
    def topics(self) -> set[str]:
        return {chunk.topic for chunk in self._chunks}

    def _lexical_ranking(self, query: str, topics: Sequence[str] | None) -> list[str]:
        scores = self._bm25.scores(query)
        order = np.argsort(-scores, kind="stable")
        ranking = []
        for index in order:
            if scores[index] <= 0 or len(ranking) >= self.candidates:
                break
            chunk = self._chunks[index]
            if not topics or chunk.topic in topics:
                ranking.append(chunk.chunk_id)
        return ranking

    def search(self, query: str, k: int = 5, topics: Sequence[str] | None = None) -> list[RetrievedChunk]:
        if not query.strip() or not self._chunks:
            return []
        vector = self.embedder.encode([query])[0]
        dense = self.store.nearest(vector, self.candidates, topics)
        dense_ranking = [chunk_id for chunk_id, _ in dense]
        similarity = dict(dense)
        lexical_ranking = self._lexical_ranking(query, topics)
        # A chunk id the store returns but this retriever has not loaded (the store changed under it) is skipped.
        dense_ranking = [chunk_id for chunk_id in dense_ranking if chunk_id in self._by_id]
        fused = reciprocal_rank_fusion([dense_ranking, lexical_ranking])
        dense_rank = {chunk_id: rank for rank, chunk_id in enumerate(dense_ranking, start=1)}
        lexical_rank = {chunk_id: rank for rank, chunk_id in enumerate(lexical_ranking, start=1)}
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        results = []
        for chunk_id, score in best:
            chunk: StoredChunk = self._by_id[chunk_id]
            results.append(
                RetrievedChunk(
                    chunk_id=chunk_id,
                    source=chunk.source,
                    heading=chunk.heading,
                    section=chunk.section,
                    topic=chunk.topic,
                    text=chunk.text,
                    score=round(score, 6),
                    dense_rank=dense_rank.get(chunk_id),
                    lexical_rank=lexical_rank.get(chunk_id),
                    dense_similarity=round(similarity[chunk_id], 4) if chunk_id in similarity else None,
                )
            )
        return results
