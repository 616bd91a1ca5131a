"""Run a command as it runs on an AVX2-only CPU, at full speed: AVX-512, VNNI, bf16 and AMX are hidden from CPUID.

Usage: python benchmarks/avx2_only.py [--check] -- COMMAND [ARG ...]
   eg: python benchmarks/avx2_only.py -- python benchmarks/verifier_bench.py
       python benchmarks/avx2_only.py -- .venv/bin/interviewer bench

ONNX Runtime (the embedder, the int8 verifier), llama.cpp, NumPy and PyTorch choose their kernels from what the
CPUID instruction reports, and ONNX Runtime has no switch to cap them. On a Linux CPU whose /proc/cpuinfo lists
`cpuid_fault`, the kernel can make CPUID trap; `cpuid_mask.c`, compiled here with the system's C compiler and
preloaded into COMMAND, answers each trapped CPUID with AVX-512, AVX-VNNI, bf16 and AMX cleared. Every thread and
child process then runs the kernels an AVX2 laptop would, natively, so speed figures taken this way are figures
for AVX2 kernels on this CPU (its clock, caches and memory stay this machine's). glibc's own string functions are
held to AVX2 through GLIBC_TUNABLES, and INTERVIEWER_CPUID_MASK=avx2 tells `cpu_info` (and every table that
names its CPU) what was hidden. Before running COMMAND it checks, in a child, that CPUID shows AVX2 and no AVX-512.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("cpuid_mask.c")
# glibc reads CPUID in the dynamic loader, before any preloaded code runs; these keep its memcpy & co. on AVX2.
GLIBC_HIDDEN = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512ER", "AVX512PF", "AVX_VNNI")


def cpuid_features() -> dict[str, bool]:
    """What this process's CPUID shows, as NumPy's run-time dispatch read it when NumPy was imported."""
    from numpy._core._multiarray_umath import __cpu_features__ as features

    return {name: bool(features.get(name)) for name in ("AVX2", "FMA3", "AVX512F", "AVX512VNNI", "AVX512BF16")}


def cpu_can_fault_on_cpuid() -> bool:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="ignore").splitlines():
            if line.startswith("flags"):
                return "cpuid_fault" in line.split()
    except OSError:
        pass
    return False


def build_mask() -> Path:
    """Compile the preload once per source version into the user's cache; return the shared object's path."""
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if compiler is None:
        sys.exit("No C compiler (cc or gcc) is installed, so the CPUID mask cannot be built; nothing was run.")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    target = Path.home() / ".cache" / "interviewer" / f"cpuid_mask-{digest}.so"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        done = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(partial), str(SOURCE)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"Could not compile {SOURCE.name}:\n{done.stderr.strip()}")
        partial.replace(target)
    return target


def masked_environment(mask: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["LD_PRELOAD"] = " ".join(filter(None, [str(mask), env.get("LD_PRELOAD", "")]))
    hidden = ",".join(f"-{name}" for name in GLIBC_HIDDEN)
    env["GLIBC_TUNABLES"] = ":".join(filter(None, [env.get("GLIBC_TUNABLES", ""), f"glibc.cpu.hwcaps={hidden}"]))
    env["INTERVIEWER_CPUID_MASK"] = "avx2"
    # The torch embedder decides on bf16 autocast from /proc/cpuinfo, which still lists this CPU's bf16.
    env.setdefault("INTERVIEWER_TORCH_BF16", "off")
    # Python's fault handler would take SIGSEGV over from the mask and report every CPUID as a crash.
    env.pop("PYTHONFAULTHANDLER", None)
    return env


def check(env: dict[str, str]) -> str:
    """What a child's CPUID shows under the mask, or exit when it is not AVX2 without AVX-512."""
    done = subprocess.run([sys.executable, __file__, "--features"], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"A masked child failed (exit {done.returncode}):\n{done.stderr.strip()[-800:]}")
    shown = json.loads(done.stdout)
    if not shown["AVX2"] or shown["AVX512F"] or shown["AVX512VNNI"]:
        sys.exit(f"The mask did not take: CPUID shows {shown}.")
    return "CPUID in a masked child: AVX2 yes, AVX-512 no, VNNI no"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the mask takes, then exit")
    parser.add_argument("--features", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run (after --)")
    args = parser.parse_args()
    if args.features:  # the child `check` runs under the mask
        print(json.dumps(cpuid_features()))
        return
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not args.check and not command:
        parser.error("give a command to run after --")
    if sys.platform != "linux" or not cpu_can_fault_on_cpuid():
        sys.exit("This CPU or kernel cannot make CPUID fault (no cpuid_fault in /proc/cpuinfo flags); "
                 "use benchmarks/avx2_profile.py --via qemu to emulate an AVX2-only CPU instead.")
    env = masked_environment(build_mask())
    print(check(env), file=sys.stderr, flush=True)
    if args.check:
        return
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
