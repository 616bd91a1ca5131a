"""Hybrid search at team scale: a store of ~100k windows, searched as a client of it would.

Usage: python benchmarks/scale_bench.py [--copies 105] [--queries 60] [--store-url http://HOST:PORT]

The corpus is the built-in documents copied `--copies` times under other paths (960 windows each), every copy's
text varied with a few words from the corpus's own vocabulary and its vectors (the shipped ones) moved by a little
noise, so the store holds ~100k distinct windows with the word and vector statistics of real documents. Nothing is
embedded to build it. Queries are the retrieval evaluation set's. Prints the build time, search p50/p95 (dense
side, lexical side and the whole hybrid search) and the peak RSS of this process: the lexical side asks the
store's full-text index for the sections holding each query word and never loads the corpus, so its memory does
not grow with the store.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from interviewer.evaluation.bench import peak_rss_mb, percentile
from interviewer.evaluation.retrieval import default_retrieval_dataset, load_retrieval_dataset
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.documents import chunk_document, find_documents, load_document
from interviewer.retrieval.embeddings import default_embedder
from interviewer.retrieval.search import HybridRetriever
from interviewer.retrieval.store import KnowledgeStore
from interviewer.retrieval.vector_cache import cache_for
from interviewer.text import tokenize


def build(store: KnowledgeStore, copies: int, seed: int = 0) -> int:
    embedder = default_embedder()
    chunks = [chunk for path, source in find_documents(builtin_docs_dir())
              for chunk in chunk_document(load_document(path, source=source))]
    cache = cache_for(embedder)
    known = cache.lookup([chunk.text_for_embedding() for chunk in chunks]) if cache is not None else []
    base = np.vstack([v if v is not None else embedder.encode([c.text_for_embedding()])[0]
                      for v, c in zip(known or [None] * len(chunks), chunks, strict=True)])
    vocabulary = sorted({word for chunk in chunks for word in tokenize(chunk.text)})
    rng = np.random.default_rng(seed)
    words = random.Random(seed)
    added = 0
    for copy in range(copies):
        varied = [
            dataclasses.replace(
                chunk, path=f"{chunk.path}#copy{copy}", source=f"copy{copy}/{chunk.source}",
                text=f"{chunk.text} {' '.join(words.sample(vocabulary, 4))}",
            )
            for chunk in chunks
        ]
        vectors = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add_chunks(varied, vectors.astype(np.float32))
        added += len(varied)
    store.update_lexical_index(tokenize)
    return added


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=105)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--store-url", default=None)
    args = parser.parse_args()
    embedder = default_embedder()
    embedder.encode(["warm up"])
    with tempfile.TemporaryDirectory() as folder:
        store, _ = KnowledgeStore.open_for_ingest(Path(folder) / "store", embedder, url=args.store_url)
        started = time.perf_counter()
        windows = build(store, args.copies)
        print(f"built {windows} windows in {time.perf_counter() - started:.0f}s "
              f"({'server ' + args.store_url if args.store_url else 'local store'})")
        retriever = HybridRetriever(store, embedder)
        sections, mean_tokens, _ = store.lexical_statistics()
        queries = [case.query for case in load_retrieval_dataset(default_retrieval_dataset())][: args.queries]
        retriever.search(queries[0])
        dense, lexical, whole = [], [], []
        for query in queries:
            t0 = time.perf_counter()
            retriever._dense_scores(query, None)
            t1 = time.perf_counter()
            retriever._lexical_scores(query, None, sections, mean_tokens)
            t2 = time.perf_counter()
            retriever.search(query)
            t3 = time.perf_counter()
            dense.append((t1 - t0) * 1000)
            lexical.append((t2 - t1) * 1000)
            whole.append((t3 - t2) * 1000)
    for name, values in (("dense side", dense), ("lexical side", lexical), ("hybrid search", whole)):
        print(f"{name:<14} p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms")
    print(f"{len(queries)} queries over {sections} sections; "
          f"peak RSS {peak_rss_mb() / 1024:.2f} GB")


if __name__ == "__main__":
    main()
