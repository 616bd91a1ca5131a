"""Retrieval latency: p50/p95 of hybrid search over the built-in store, one query at a time.

Usage: python benchmarks/retrieval_bench.py [--rounds N]
Queries are the retrieval evaluation set; the store is built in a temporary folder first. The measuring code
(interviewer/evaluation/bench.py) also serves `interviewer bench`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from interviewer.evaluation.bench import measure_retrieval
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.embeddings import default_embedder
from interviewer.retrieval.ingest import ingest


def measure(rounds: int = 3) -> dict[str, float]:
    """Milliseconds: opening the retriever, and search p50/p95/mean."""
    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "store"
        ingest([builtin_docs_dir()], store_path, default_embedder())
        return measure_retrieval(store_path, rounds=rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = measure(args.rounds)
    print(f"retriever open (load chunks, build BM25): {figures['retriever_open_ms']:.0f} ms")
    print(
        f"hybrid search k=5 over {figures['queries']:.0f} queries x {args.rounds}: "
        f"p50 {figures['search_ms_p50']:.1f} ms  p95 {figures['search_ms_p95']:.1f} ms  "
        f"mean {figures['search_mean_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
