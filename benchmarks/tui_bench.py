"""How quickly the terminal UI answers, with the default models: prints the figures.

    python benchmarks/tui_bench.py [--runs 3]

- launch -> first paint: `interviewer` started in tmux until Home is on screen;
- launch -> first question: `interviewer interview --questions 1` until the question is on screen;
- key latency while a grade runs: a key sent with tmux until it shows in the editor, while the answer before it
  is being graded in the worker thread.
Sessions go to a temporary data dir; the knowledge store is the one your settings name (build it first with
`interviewer ingest`). Targets on 2 cores: first paint <= 0.5 s, first question <= 1.5 s, key p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ANSWER = ("Retrieval-augmented generation finds passages relevant to the question in a document index and puts "
          "them in the prompt, so the model answers from current, citable sources.")


def cpu() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        flags = Path("/proc/cpuinfo").read_text()
        fast = [flag for flag in ("avx512_bf16", "amx_bf16") if flag in flags]
    except OSError:
        fast = []
    return f"{model}, {os.cpu_count()} cores, {'+'.join(fast) or 'AVX2 only (no AVX-512 bf16 / AMX)'}"


def time_to_screen(args: list[str], text: str, env: dict[str, str], seconds: float = 120) -> float:
    name = f"tui-bench-{os.getpid()}"
    script = Path(sys.executable).parent / "interviewer"
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    started = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", str(script), *args],
                   check=True, env=env)
    try:
        while time.perf_counter() - started < seconds:
            shown = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if text in shown:
                return time.perf_counter() - started
            time.sleep(0.01)
        raise RuntimeError(f"{text!r} did not appear within {seconds} s")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def key_latency(env: dict[str, str], keys: int = 40) -> list[float]:
    """Seconds from sending a key with tmux to seeing it on screen, while the answer before it is being graded."""
    name = f"tui-keys-{os.getpid()}"
    script = Path(sys.executable).parent / "interviewer"

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout

    def wait_for(text: str, seconds: float = 120) -> None:
        deadline = time.perf_counter() + seconds
        while text not in screen():
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{text!r} did not appear")
            time.sleep(0.02)

    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", str(script), "interview",
                    "--questions", "3", "--topics", "rag", "--follow-ups", "1"], check=True, env=env)
    subprocess.run(["tmux", "set", "-s", "escape-time", "0"], check=True)
    latencies: list[float] = []
    try:
        wait_for("1 of 3")
        time.sleep(3)  # the read-ahead of the question, as while a candidate reads it
        subprocess.run(["tmux", "send-keys", "-t", name, "-l", ANSWER], check=True)
        subprocess.run(["tmux", "send-keys", "-t", name, "C-s"], check=True)
        wait_for("rading your answer")
        typed = ""
        while len(latencies) < keys and ("rading your answer" in screen() or "Preparing what comes" in screen()):
            typed += "q"
            started = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, "-l", "q"], check=True)
            while typed not in screen():
                if time.perf_counter() - started > 10:
                    raise RuntimeError("a key did not show within 10 s")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    from interviewer.config import load_settings

    store = load_settings().store_path
    data = Path(tempfile.mkdtemp(prefix="tui-bench-"))
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(data), "INTERVIEWER_STORE_DIR": str(store),
           "TERM": "xterm-256color", "HF_HUB_OFFLINE": "1"}
    print(f"CPU: {cpu()}")
    if shutil.which("tmux"):
        paint = [time_to_screen([], "New session", env) for _ in range(options.runs)]
        question = [time_to_screen(["interview", "--questions", "1", "--topics", "rag"], "1 of 1", env)
                    for _ in range(options.runs)]
        print(f"launch -> first paint (Home): median {statistics.median(paint):.2f} s over {len(paint)} runs "
              f"(target <= 0.5 s)")
        print(f"launch -> first question: median {statistics.median(question):.2f} s over {len(question)} runs "
              f"(target <= 1.5 s)")
    else:
        print("tmux is not installed: launch figures skipped")
        latencies = key_latency({**env, "INTERVIEWER_DATA_DIR": str(data / "keys")})
        print(f"key latency while a grade runs (tmux key to screen, includes ~2-5 ms of polling): p50 "
              f"{percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms "
              f"over {len(latencies)} keys (target p95 <= 50 ms)")
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
