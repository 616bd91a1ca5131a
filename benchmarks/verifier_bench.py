"""The verifier's share of a grade, and the first grade of a fresh process.

Usage: python benchmarks/verifier_bench.py [--answers N]
Grades N answers of the independent development set (strong, wrong and partial answers to built-in questions)
with the bundled embedder and the shipped verifier, no model and no store, each after `Grader.prepare` read its
question ahead as an interview does, and prints p50/p95 of the verifier's time per grade (both readings
included), the same after the answer was read at each pause in typing as the TUI reads it, and of the whole
grade; then the first grade of a new process after `Grader.prepare` loaded the models while the question was
read. Names the CPU.
"""

from __future__ import annotations

import argparse
import json

from interviewer.evaluation.bench import cpu_info, measure_first_grade, measure_verifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=96)
    args = parser.parse_args()
    cpu = cpu_info()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores, {cpu['profile']} ({' '.join(cpu['flags'])})")
    figures = measure_verifier(args.answers)
    if "unavailable" in figures:
        raise SystemExit(figures["unavailable"])
    print(f"verifier share of a grade over {figures['answers']} answers: p50 {figures['verifier_ms_p50']:.0f} ms, "
          f"p95 {figures['verifier_ms_p95']:.0f} ms (target p95 <= 150 ms)")
    print(f"after ctrl+s, the answer read at each pause in typing (one after each sentence but the last): "
          f"p50 {figures['typed_verifier_ms_p50']:.0f} ms, p95 {figures['typed_verifier_ms_p95']:.0f} ms "
          f"(each pause's reading p50 {figures['draft_read_ms_p50']:.0f} ms, "
          f"p95 {figures['draft_read_ms_p95']:.0f} ms)")
    print(f"whole grade (no store, no model): p50 {figures['grade_ms_p50']:.0f} ms, "
          f"p95 {figures['grade_ms_p95']:.0f} ms; peak RSS {figures['peak_rss_mb']:.0f} MB")
    first = measure_first_grade(None)
    print("first grade of a fresh process, question read ahead: " + (
        f"{first['first_grade_ms']:.0f} ms after the answer ({first['prepare_ms']:.0f} ms loading before it; "
        "target <= 500 ms)" if "first_grade_ms" in first else first.get("unavailable", "failed")))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
