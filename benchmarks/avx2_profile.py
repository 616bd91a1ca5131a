"""The AVX2-only profile: do grades and the embedded model come out the same without AVX-512 and VNNI?

Usage: python benchmarks/avx2_profile.py [--answers N] [--pairs N] [--via cpuid|qemu] [--cpu Haswell-v4]
ONNX Runtime (the embedder and the int8 verifier) picks its kernels from CPUID when it starts, so on an AVX2-only
machine a grade runs other int8 kernels (no VNNI, saturating 16-bit sums) than on an AVX-512 one, and their
readings can differ. This script grades the same N answers of the independent development set twice, in child
processes: natively, and as an AVX2-only CPU, checks which features each child's CPUID shows, and compares the
scores and the verifier's readings, in the grades and on N written pairs of its training data read alone. It then
asks the embedded model for one structured reply as the AVX2-only CPU (an instruction beyond AVX2 would kill it).

Two ways to be an AVX2-only CPU (`--via`, default: cpuid where the kernel offers it):
- cpuid: `benchmarks/avx2_only.py` hides AVX-512, VNNI and bf16 from CPUID and the code runs natively, so the
  AVX2 child's wall times are speed figures for AVX2 kernels on this CPU;
- qemu: qemu-user's emulation of a CPU model (Debian: `apt-get install qemu-user`); its wall times are not speed
  figures, the emulator runs code tens of times slower than the CPU would.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from avx2_only import cpu_can_fault_on_cpuid, cpuid_features
from pydantic import BaseModel


class _Reply(BaseModel):
    topic: str


def child_grades(answers: int, out: Path) -> None:
    from interviewer.evaluation.bench import builtin_dev_cases
    from interviewer.evaluation.datasets import load_grading_dataset
    from interviewer.evaluation.grading import grade_each
    from interviewer.grading import Grader
    from interviewer.grading.verifier import default_verifier
    from interviewer.resources import knowledge_dir
    from interviewer.retrieval.embeddings import default_embedder

    cases = builtin_dev_cases(answers)
    cases += load_grading_dataset(knowledge_dir() / "eval" / "independent" / "dev" / "reference-only.csv")[
        :answers // 2]
    grader = Grader(embedder=default_embedder(), llm=None, verifier=default_verifier())
    started = time.perf_counter()
    rows = [{"overall": grade.overall,
             "support": [v.verifier_support for v in grade.key_points],
             "contradiction": [v.verifier_contradiction for v in grade.key_points],
             "statuses": [v.status for v in grade.key_points]}
            for grade in grade_each(grader, cases, use_model=False)]
    out.write_text(json.dumps({"features": cpuid_features(), "rows": rows,
                               "seconds": time.perf_counter() - started}), encoding="utf-8")


def child_pairs(count: int, out: Path) -> None:
    """The verifier's readings of written pairs of its training data, alone (no grade around them)."""
    from interviewer.grading.verifier import default_verifier
    from interviewer.resources import knowledge_dir

    verifier = default_verifier()
    assert verifier is not None, "the verifier did not load"
    lines = (knowledge_dir() / "verifier" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines[:count]]
    probabilities = verifier.judge([(row["statement"], row["sentence"]) for row in rows])
    out.write_text(json.dumps({"features": cpuid_features(), "probabilities": probabilities.tolist()}),
                   encoding="utf-8")


def child_model(out: Path) -> None:
    from interviewer.llm import LlamaCppLLM

    llm = LlamaCppLLM(timeout_s=600.0)
    started = time.perf_counter()
    reply, stats = llm.complete_structured(
        [{"role": "user", "content": "Name the topic of this question in two words: what does a KV cache store?"}],
        _Reply, max_tokens=24)
    out.write_text(json.dumps({"features": cpuid_features(), "reply": reply.topic, "attempts": stats.attempts,
                               "seconds": time.perf_counter() - started}), encoding="utf-8")


def _run(command: list[str], label: str) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out.json"
        started = time.perf_counter()
        done = subprocess.run([*command, str(out)], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0 or not out.is_file():
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            sys.exit(f"{label}: the child process failed (exit {done.returncode}):\n{tail}")
        return json.loads(out.read_text(encoding="utf-8")), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=24, help="built-in answers to grade (and half as many "
                        "reference-only ones)")
    parser.add_argument("--via", choices=("cpuid", "qemu"), help="hide features from CPUID (default where the "
                        "kernel can) or emulate a CPU with qemu-user")
    parser.add_argument("--cpu", default="Haswell-v4", help="with --via qemu: the CPU model to emulate")
    parser.add_argument("--pairs", type=int, default=200, help="verifier pairs to read")
    parser.add_argument("--child", choices=("grades", "pairs", "model"), help=argparse.SUPPRESS)
    parser.add_argument("out", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "grades":
        child_grades(args.answers, args.out)
        return
    if args.child == "pairs":
        child_pairs(args.pairs, args.out)
        return
    if args.child == "model":
        child_model(args.out)
        return

    from interviewer.evaluation.bench import cpu_info

    via = args.via or ("cpuid" if cpu_can_fault_on_cpuid() else "qemu")
    cpu = cpu_info()
    print(f"host CPU: {cpu['model']}, {cpu['cores']} cores, {cpu['profile']} ({', '.join(cpu['flags'])})")
    me = [sys.executable, __file__, "--answers", str(args.answers), "--pairs", str(args.pairs), "--child"]
    if via == "qemu":
        qemu = shutil.which("qemu-x86_64")
        if qemu is None:
            sys.exit("qemu-x86_64 is not installed (Debian: apt-get install qemu-user); nothing was measured.")
        as_avx2, label, timed = [qemu, "-cpu", args.cpu, *me], f"emulated ({args.cpu})", False
    else:
        as_avx2, label, timed = [sys.executable, str(Path(__file__).with_name("avx2_only.py")), "--", *me], \
            "CPUID masked to AVX2", True
    native, _ = _run([*me, "grades"], "native grading")
    avx2, _ = _run([*as_avx2, "grades"], "AVX2 grading")
    print(f"native CPUID: {native['features']}")
    print(f"{label} CPUID: {avx2['features']}")
    if avx2["features"].get("AVX512F") or not avx2["features"].get("AVX2"):
        sys.exit("the AVX2 child does not show AVX2 without AVX-512; nothing was compared.")
    pairs = list(zip(native["rows"], avx2["rows"], strict=True))
    score_diffs = [abs(a["overall"] - b["overall"]) for a, b in pairs]
    reading_diffs = [abs(x - y) for a, b in pairs for key in ("support", "contradiction")
                     for x, y in zip(a[key], b[key], strict=True) if x is not None and y is not None]
    status_changes = sum(a["statuses"] != b["statuses"] for a, b in pairs)
    print(f"answers graded both ways: {len(pairs)}")
    print(f"  scores that differ: {sum(d > 0 for d in score_diffs)} (largest difference {max(score_diffs):.2f})")
    print(f"  answers with a key-point verdict that differs: {status_changes}")
    print(f"  verifier readings compared: {len(reading_diffs)}, largest difference {max(reading_diffs):.4f}")
    print(f"  grading time in the child: native {native['seconds']:.1f} s, AVX2 {avx2['seconds']:.1f} s"
          + ("" if timed else " (emulated: not a speed figure)"))
    native_pairs, _ = _run([*me, "pairs"], "native verifier pairs")
    avx2_pairs, _ = _run([*as_avx2, "pairs"], "AVX2 verifier pairs")
    flips = sum(max(range(len(a)), key=a.__getitem__) != max(range(len(b)), key=b.__getitem__)
                for a, b in zip(native_pairs["probabilities"], avx2_pairs["probabilities"], strict=True))
    largest = max(abs(x - y) for a, b in zip(native_pairs["probabilities"], avx2_pairs["probabilities"], strict=True)
                  for x, y in zip(a, b, strict=True))
    print(f"verifier pairs read both ways: {len(native_pairs['probabilities'])}; verdict (most likely label) "
          f"differs for {flips}; largest probability difference {largest:.4f}")
    model, _ = _run([*as_avx2, "model"], "AVX2 model")
    print(f"embedded model, {label}: replied {model['reply']!r} in {model['attempts']} attempt(s), "
          f"{model['seconds']:.1f} s" + ("" if timed else " (not a speed figure)"))


if __name__ == "__main__":
    main()
