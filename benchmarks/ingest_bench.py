"""Ingest time: a cold build of the knowledge store and an unchanged re-run, with the bundled embedder.

Usage: python benchmarks/ingest_bench.py [PATH ...]   (default: the built-in knowledge documents)
Prints one line per phase; the model load is reported separately because it is paid once per process.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from interviewer.embeddings import default_embedder
from interviewer.ingest import ingest
from interviewer.resources import builtin_docs_dir


def main() -> None:
    roots = [Path(arg) for arg in sys.argv[1:]] or [builtin_docs_dir()]
    embedder = default_embedder()
    started = time.perf_counter()
    embedder.encode(["warm up"])
    load_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        cold = ingest(roots, store, embedder)
        warm = ingest(roots, store, embedder)
    print(f"corpus: {', '.join(str(r) for r in roots)}")
    print(f"embedding model load: {load_seconds:.2f}s")
    print(
        f"cold ingest:      {cold.seconds:.2f}s  ({cold.files_seen} files, {cold.chunks_embedded} chunks, "
        f"{cold.chunks_embedded / max(cold.seconds, 1e-9):.0f} chunks/s)"
    )
    print(f"cold incl. load:  {cold.seconds + load_seconds:.2f}s")
    print(
        f"unchanged re-run: {warm.seconds:.2f}s  ({warm.unchanged} unchanged, {warm.chunks_embedded} embedded)"
    )


if __name__ == "__main__":
    main()
