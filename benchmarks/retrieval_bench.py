"""Retrieval latency: p50/p95 of hybrid search over the built-in store, one query at a time.

Usage: python benchmarks/retrieval_bench.py [--rounds N]
Queries are the retrieval evaluation set; the store is built in a temporary folder first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from interviewer.embeddings import default_embedder
from interviewer.eval_retrieval import default_retrieval_dataset, load_retrieval_dataset
from interviewer.ingest import ingest
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval import HybridRetriever
from interviewer.store import KnowledgeStore


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    embedder = default_embedder()
    queries = [case.query for case in load_retrieval_dataset(default_retrieval_dataset())]
    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "store"
        ingest([builtin_docs_dir()], store_path, embedder)
        started = time.perf_counter()
        retriever = HybridRetriever(KnowledgeStore.open_for_query(store_path, embedder), embedder)
        open_seconds = time.perf_counter() - started
        retriever.search("warm up", k=5)
        timings = []
        for _ in range(args.rounds):
            for query in queries:
                started = time.perf_counter()
                retriever.search(query, k=5)
                timings.append((time.perf_counter() - started) * 1000)
    print(f"retriever open (load chunks, build BM25): {open_seconds * 1000:.0f} ms")
    print(
        f"hybrid search k=5 over {len(queries)} queries x {args.rounds}: "
        f"p50 {percentile(timings, 0.5):.1f} ms  p95 {percentile(timings, 0.95):.1f} ms  "
        f"mean {statistics.mean(timings):.1f} ms"
    )


if __name__ == "__main__":
    main()
