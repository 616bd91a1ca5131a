"""Grading latency and memory with the default models, on ~80-word answers to built-in questions.

Usage: python benchmarks/grading_bench.py [--questions N]
Prints p50/p95 of the end-to-end grade split into retrieval, evidence and model call, the bare llama.cpp call
for the same prompt and grammar (what the model alone costs), the grade with the question read ahead, and the
process's peak RSS. The measuring code (interviewer/evaluation/bench.py) also serves `interviewer bench`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from interviewer.config import load_settings
from interviewer.evaluation.bench import measure_grading, peak_rss_mb
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.embeddings import default_embedder
from interviewer.retrieval.ingest import ingest


def measure(questions: int = 20) -> dict[str, Any]:
    """Milliseconds (p50/p95 per part), ratios against the bare call, and how many model answers were valid."""
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        ingest([builtin_docs_dir()], store, default_embedder())
        return {**measure_grading(store, load_settings(), questions), "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    figures = measure(args.questions)
    print(f"grading {figures['answers']} answers of ~80 words, default models ({figures['model_id']})")
    for name in ("total", "retrieval", "evidence", "model", "bare", "read_ahead"):
        print(f"  {name:<10} p50 {figures[f'{name}_ms_p50']:7.0f} ms   p95 {figures[f'{name}_ms_p95']:7.0f} ms")
    print(f"  end-to-end p50 / bare model call p50: {figures['grade_over_bare']:.2f}x "
          f"(model call alone: {figures['model_call_over_bare']:.2f}x)")
    print("  (read_ahead = end to end after the answer arrives, the question's prompt read beforehand)")
    if figures["model_asked_despite_weight_0"]:
        print("  (the model's measured weight is 0, so interviews do not ask it; it was asked here to time it)")
    print(f"  grades with a valid model answer: {figures['model_answers_valid']}/{figures['answers']}")
    print(f"  peak RSS: {figures['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
