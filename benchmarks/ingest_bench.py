"""Ingest time: a cold build of the knowledge store and an unchanged re-run, with the bundled embedder.

Usage: python benchmarks/ingest_bench.py [PATH ...]   (default: the built-in knowledge documents)
Prints one line per phase. "cold" is a new store as a first `interviewer ingest` builds it (the built-in
documents' vectors ship in knowledge/vectors, so nothing is embedded); "cold, embedding every chunk" turns the
vector cache off and measures the embedder itself, as for a user's own documents. The model load is reported
separately because it is paid once per process. The measuring code (interviewer/evaluation/bench.py) also serves
`interviewer bench`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from interviewer.evaluation.bench import measure_ingest
from interviewer.resources import builtin_docs_dir


def measure(roots: list[Path]) -> dict[str, float]:
    """Figures in seconds (and chunks/s)."""
    with tempfile.TemporaryDirectory() as folder:
        return measure_ingest(roots, Path(folder))


def main() -> None:
    roots = [Path(arg) for arg in sys.argv[1:]] or [builtin_docs_dir()]
    figures = measure(roots)
    print(f"corpus: {', '.join(str(r) for r in roots)}")
    print(f"cold ingest:      {figures['cold_ingest_s']:.2f}s  ({figures['cold_chunks']:.0f} chunks, "
          f"{figures['cold_reused']:.0f} vectors known by content)")
    print(f"unchanged re-run: {figures['unchanged_rerun_s']:.2f}s")
    print(f"embedding model load: {figures['embedding_model_load_s']:.2f}s")
    print(f"cold, embedding every chunk: {figures['uncached_ingest_s']:.2f}s "
          f"({figures['uncached_chunks_per_s']:.0f} chunks/s)")


if __name__ == "__main__":
    main()
