"""Grading latency and memory with the default models, on ~80-word answers to built-in questions.

Usage: python benchmarks/grading_bench.py [--questions N]
Prints p50/p95 of the end-to-end grade split into retrieval, evidence and model call, the bare llama.cpp call
for the same prompt and grammar (what the model alone costs), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from interviewer.embeddings import default_embedder
from interviewer.grading import Grader
from interviewer.ingest import ingest
from interviewer.llm import LlamaCppLLM
from interviewer.packs import load_pack
from interviewer.resources import builtin_docs_dir, builtin_packs_dir
from interviewer.retrieval import HybridRetriever
from interviewer.store import KnowledgeStore


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class RecordingLLM:
    """Delegates to the real model and keeps the last request, so the bare call can repeat it exactly."""

    def __init__(self, llm: LlamaCppLLM) -> None:
        self.llm = llm
        self.last: tuple | None = None

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def warm(self, messages):  # type: ignore[no-untyped-def]
        self.llm.warm(messages)

    def complete_structured(self, messages, output, *, max_tokens=400):  # type: ignore[no-untyped-def]
        self.last = (messages, output, max_tokens)
        return self.llm.complete_structured(messages, output, max_tokens=max_tokens)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=20)
    args = parser.parse_args()
    pack = load_pack(builtin_packs_dir() / "genai-core.yaml").pack
    questions = pack.questions[:: max(1, len(pack.questions) // args.questions)][: args.questions]
    embedder = default_embedder()
    llm = LlamaCppLLM(n_threads=2)
    recorder = RecordingLLM(llm)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store"
        ingest([builtin_docs_dir()], store, embedder)
        grader = Grader(embedder=embedder, retriever=HybridRetriever(KnowledgeStore.open_for_query(store, embedder),
                                                                     embedder), llm=recorder)
        grader.grade(questions[0], questions[0].reference_answer)  # warm up: loads both models
        rows: dict[str, list[float]] = {
            "total": [], "retrieval": [], "evidence": [], "model": [], "bare": [], "prepared": [],
        }
        attempts = []
        for question in questions:
            answer = " ".join(question.reference_answer.split()[:80])
            started = time.perf_counter()
            grade = grader.grade(question, answer)
            rows["total"].append((time.perf_counter() - started) * 1000)
            rows["retrieval"].append(grade.timings.retrieval_ms)
            rows["evidence"].append(grade.timings.evidence_ms)
            rows["model"].append(grade.timings.model_ms)
            attempts.append(0 if grade.evidence_only else 1)
            assert recorder.last is not None
            messages, output, max_tokens = recorder.last
            llm.load().reset()  # no prompt-cache reuse: the bare call pays for its prompt like the graded one did
            started = time.perf_counter()
            llm.load().create_chat_completion(messages=messages, grammar=llm._grammar(output), temperature=0.0,
                                              seed=0, max_tokens=max_tokens)
            rows["bare"].append((time.perf_counter() - started) * 1000)
            # As in an interview: the question's prompt is read while the candidate types, then the answer arrives.
            llm.load().reset()
            grader.prepare(question)
            started = time.perf_counter()
            grader.grade(question, answer)
            rows["prepared"].append((time.perf_counter() - started) * 1000)
    print(f"grading {len(questions)} answers of ~80 words, default models, 2 threads")
    for name, values in rows.items():
        print(f"  {name:<10} p50 {percentile(values, 0.5):7.0f} ms   p95 {percentile(values, 0.95):7.0f} ms")
    ratio = percentile(rows["total"], 0.5) / max(1e-9, percentile(rows["bare"], 0.5))
    print(f"  end-to-end p50 / bare model call p50: {ratio:.2f}x")
    print("  (prepared = end to end after the answer arrives, the question's prompt read beforehand)")
    print(f"  grades with a valid model answer: {sum(attempts)}/{len(attempts)}")
    print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
