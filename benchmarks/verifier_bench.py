"""The verifier's share of a grade, and the first grade of a fresh process.

Usage: python benchmarks/verifier_bench.py [--answers N]
Grades N answers of the independent development set (strong, wrong and partial answers to built-in questions)
with the bundled embedder and the shipped verifier, no model and no store, each after `Grader.prepare` read its
question ahead as an interview does, and prints p50/p95 of the verifier's time per grade (both readings
included) and of the whole grade, then the first grade of a new process after `Grader.prepare` loaded the models
while the question was read. Names the CPU.
"""

from __future__ import annotations

import argparse
import json
import time

from interviewer.evaluation.bench import cpu_info, measure_first_grade, peak_rss_mb, percentile
from interviewer.evaluation.datasets import load_grading_dataset, with_pack_questions
from interviewer.grading import Grader
from interviewer.grading.verifier import default_verifier
from interviewer.packs import load_pack
from interviewer.resources import builtin_packs_dir, knowledge_dir
from interviewer.retrieval.embeddings import default_embedder


def measure(answers: int) -> dict[str, float]:
    questions = {q.id: q for q in load_pack(builtin_packs_dir() / "genai-core.yaml").pack.questions}
    cases = with_pack_questions(
        load_grading_dataset(knowledge_dir() / "eval" / "independent" / "dev" / "builtin-answers.csv"), questions)
    cases = cases[:answers]
    verifier = default_verifier()
    grader = Grader(embedder=default_embedder(), llm=None, verifier=verifier)
    verifier_ms, total_ms = [], []
    for case in cases:
        grader.prepare(case.question)  # as an interview does while the question is on screen
        started = time.perf_counter()
        grade = grader.grade(case.question, case.answer, use_model=False)
        total_ms.append((time.perf_counter() - started) * 1000)
        verifier_ms.append(grade.timings.verifier_ms)
    return {
        "answers": len(cases),
        "verifier_ms_p50": percentile(verifier_ms, 0.5), "verifier_ms_p95": percentile(verifier_ms, 0.95),
        "grade_ms_p50": percentile(total_ms, 0.5), "grade_ms_p95": percentile(total_ms, 0.95),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=96)
    args = parser.parse_args()
    cpu = cpu_info()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores, {cpu['profile']} ({' '.join(cpu['flags'])})")
    figures = measure(args.answers)
    print(f"verifier share of a grade over {figures['answers']} answers: p50 {figures['verifier_ms_p50']:.0f} ms, "
          f"p95 {figures['verifier_ms_p95']:.0f} ms (target p95 <= 150 ms)")
    print(f"whole grade (no store, no model): p50 {figures['grade_ms_p50']:.0f} ms, "
          f"p95 {figures['grade_ms_p95']:.0f} ms; peak RSS {figures['peak_rss_mb']:.0f} MB")
    first = measure_first_grade(None)
    print("first grade of a fresh process, question read ahead: " + (
        f"{first['first_grade_ms']:.0f} ms after the answer ({first['prepare_ms']:.0f} ms loading before it; "
        "target <= 500 ms)" if "first_grade_ms" in first else first.get("unavailable", "failed")))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
