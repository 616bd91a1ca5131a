"""The AVX2-only profile at full speed (benchmarks/avx2_only.py): hiding AVX-512 from CPUID must reach ONNX
Runtime's kernels, and grades there must stay where this CPU puts them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.real_model

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "benchmarks" / "avx2_only.py"
CPU_FLAGS = next((line.split() for line in Path("/proc/cpuinfo").read_text(errors="ignore").splitlines()
                  if line.startswith("flags")), []) if Path("/proc/cpuinfo").is_file() else []

# Grades three answers to one built-in question and reads 60 written pairs alone; prints what it saw.
CHILD = """
import json
import sys
sys.path.insert(0, "benchmarks")
from avx2_only import cpuid_features
from interviewer.evaluation.bench import cpu_info
from interviewer.grading import Grader
from interviewer.grading.verifier import default_verifier
from interviewer.packs import load_pack
from interviewer.resources import builtin_packs_dir, knowledge_dir
from interviewer.retrieval.embeddings import default_embedder

pack = load_pack(builtin_packs_dir() / "genai-core.yaml").pack
question = next(q for q in pack.questions if q.id == "fine-tuning-lora-how-it-works")
answers = [
    "LoRA freezes the pretrained weights and trains two small low-rank matrices A and B whose product is added to "
    "a weight matrix, so only a tiny fraction of parameters is trained and the update can be merged afterwards.",
    "LoRA retrains every weight of the model, only at lower precision, which is why it needs more memory.",
    "It is a parameter-efficient way to fine-tune.",
]
grader = Grader(embedder=default_embedder(), llm=None, verifier=default_verifier())
scores = [grader.grade(question, answer, use_model=False).overall for answer in answers]
lines = (knowledge_dir() / "verifier" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()[:60]
rows = [json.loads(line) for line in lines]
readings = default_verifier().judge([(row["statement"], row["sentence"]) for row in rows]).tolist()
print(json.dumps({"profile": cpu_info()["profile"], "avx512f": cpuid_features()["AVX512F"],
                  "scores": scores, "readings": readings}))
"""


def _run(*prefix: str) -> dict:
    done = subprocess.run([*prefix, sys.executable, "-c", CHILD], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif("cpuid_fault" not in CPU_FLAGS, reason="this CPU or kernel cannot make CPUID fault")
@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None, reason="no C compiler")
def test_grades_on_avx2_kernels_stay_within_a_few_tenths_of_this_cpus() -> None:
    native = _run()
    masked = _run(sys.executable, str(WRAPPER), "--")
    assert masked["profile"] == "AVX2 only (AVX-512 hidden from CPUID)"
    assert masked["avx512f"] is False
    if "avx512f" in CPU_FLAGS:
        # ONNX Runtime really switched kernels: its int8 readings are not bit-identical across them.
        assert native["readings"] != masked["readings"]
    # Measured over 18 development answers: largest score difference 0.30.
    for here, there in zip(native["scores"], masked["scores"], strict=True):
        assert abs(here - there) <= 0.5
    strong, wrong, _vague = masked["scores"]
    assert strong > wrong
