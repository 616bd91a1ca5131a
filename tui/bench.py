"""How quickly the terminal UI answers, with the default models, timed from outside under tmux.

    python -m tui.bench [--runs 3] [--store DIR] [--json] [--keys]

- launch -> first paint: `interviewer` started in tmux until Home is on screen;
- launch -> first question: `interviewer interview --questions 1` until the question is on screen;
- ctrl+s -> first grade on screen: a fresh `interviewer interview --questions 1`, the models loaded while the
  question is read, then the answer either pasted at once or typed a sentence at a time with a pause after each
  (the answer is then read as it is typed), ctrl+s, until the grade shows in the transcript;
- with --keys, key latency while a grade runs: a key sent with tmux until it shows in the editor, while the answer
  before it is being graded in the worker thread; the keys of --runs sessions pooled.
Sessions go to a temporary data dir; the knowledge store is --store or the one your settings name (build it first
with `interviewer ingest`). `interviewer bench` runs this in its own process (the core never imports the UI).
Targets on 2 cores: first paint <= 0.5 s, first question <= 1.5 s, first grade <= 0.5 s after ctrl+s, key p95
<= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from interviewer.evaluation.bench import cpu_info, percentile

ANSWER = ("Retrieval-augmented generation finds passages relevant to the question in a document index and puts "
          "them in the prompt, so the model answers from current, citable sources.")


def interviewer_command() -> list[str]:
    """The `interviewer` script beside this Python, as a user starts it, else the same entry point as a module."""
    script = Path(sys.executable).parent / "interviewer"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "tui.entry"]


@contextmanager
def tmux_session(kind: str, args: list[str], env: dict[str, str], size: tuple[int, int] = (120, 40)) -> Iterator[str]:
    """`interviewer *args` in a detached tmux session of `size` columns and rows, named for `kind` and this process,
    with escape-time 0 so ctrl keys arrive at once; yields its name and kills it on the way out."""
    name = f"tui-{kind}-{os.getpid()}"
    # A kill first, its failure ignored, as each timer did before: right after the previous session is killed the
    # tmux server may still be exiting, and a new-session straight after it failed once in eight runs without it.
    subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                    *interviewer_command(), *args], check=True, env=env)
    try:
        subprocess.run(["tmux", "set", "-s", "escape-time", "0"], check=True)
        yield name
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def capture(name: str) -> str:
    """What tmux session `name` shows now."""
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout


def flowed(screen: str) -> str:
    """The screen's words in order, borders and line breaks gone: text the editor wrapped reads as typed (the
    pane may be narrower than asked for: without a client attached, tmux can keep its default 80 columns)."""
    return " ".join(screen.replace("│", " ").split())


def wait_for_text(name: str, text: str, seconds: float = 120) -> None:
    """Poll tmux session `name` until `text` is on screen, wherever it was wrapped."""
    deadline = time.perf_counter() + seconds
    wanted = flowed(text)
    while wanted not in flowed(capture(name)):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{text!r} did not appear within {seconds} s")
        time.sleep(0.01)


# Three sentences, typed one at a time with a pause after each but the last, as a candidate writes.
TYPED_ANSWER = ("Retrieval-augmented generation finds passages relevant to the question in a document index. ",
                "It puts them in the prompt, so the model answers from current, citable sources. ",
                "Updating the index is far cheaper than retraining the model.")
PAUSE_S = 1.5  # longer than the editor's pause before it has the draft read (READ_DRAFT_AFTER_SECONDS)


def first_grade_on_screen(env: dict[str, str], typed: bool, seconds: float = 120) -> float:
    """Seconds from ctrl+s to the first grade of a fresh session on screen ("/5" in the transcript)."""
    with tmux_session("grade", ["interview", "--questions", "1", "--topics", "rag", "--follow-ups", "0"],
                      env) as name:
        wait_for_text(name, "Models ready.", seconds)  # loaded while the question is read
        for i, sentence in enumerate(TYPED_ANSWER if typed else ["".join(TYPED_ANSWER)]):
            if i:
                time.sleep(PAUSE_S)
            subprocess.run(["tmux", "send-keys", "-t", name, "-l", sentence], check=True)
        wait_for_text(name, "cheaper than retraining", seconds)
        started = time.perf_counter()
        subprocess.run(["tmux", "send-keys", "-t", name, "C-s"], check=True)
        wait_for_text(name, "/5", seconds)
        return time.perf_counter() - started


def time_to_screen(args: list[str], text: str, env: dict[str, str], seconds: float = 120) -> float:
    started = time.perf_counter()
    with tmux_session("bench", args, env, size=(100, 30)) as name:
        wait_for_text(name, text, seconds)
        return time.perf_counter() - started


def key_latency(env: dict[str, str], keys: int = 40) -> list[float]:
    """Seconds from sending a key with tmux to seeing it on screen, while the answer before it is being graded."""
    latencies: list[float] = []
    with tmux_session("keys", ["interview", "--questions", "3", "--topics", "rag", "--follow-ups", "1"], env) as name:
        wait_for_text(name, "1 of 3")
        time.sleep(3)  # the read-ahead of the question, as while a candidate reads it
        subprocess.run(["tmux", "send-keys", "-t", name, "-l", ANSWER], check=True)
        subprocess.run(["tmux", "send-keys", "-t", name, "C-s"], check=True)
        wait_for_text(name, "rading your answer")
        typed, grading = "", ("rading your answer", "Preparing what comes")
        while len(latencies) < keys and any(stage in capture(name) for stage in grading):
            typed += "q"
            started = time.perf_counter()
            subprocess.run(["tmux", "send-keys", "-t", name, "-l", "q"], check=True)
            while typed not in capture(name):
                if time.perf_counter() - started > 10:
                    raise RuntimeError("a key did not show within 10 s")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - started)
    return latencies


def measure(store: Path, runs: int = 3, keys: bool = False) -> dict[str, float]:
    """Medians over `runs` launches (after one unmeasured launch that warms the file cache), in seconds."""
    data = Path(tempfile.mkdtemp(prefix="tui-bench-"))
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(data), "INTERVIEWER_STORE_DIR": str(store),
           "TERM": "xterm-256color", "HF_HUB_OFFLINE": "1"}
    try:
        time_to_screen([], "New session", env)
        paint = [time_to_screen([], "New session", env) for _ in range(runs)]
        question = [time_to_screen(["interview", "--questions", "1", "--topics", "rag"], "1 of 1", env)
                    for _ in range(runs)]
        figures = {"runs": runs, "paint_s": statistics.median(paint), "first_question_s": statistics.median(question)}
        for typed, key in ((False, "pasted_grade_s"), (True, "typed_grade_s")):
            # Each in a fresh data dir: the first grade of a session, as in a fresh home.
            figures[key] = statistics.median(
                first_grade_on_screen({**env, "INTERVIEWER_DATA_DIR": str(data / f"{key}-{run}")}, typed)
                for run in range(runs))
        if keys:
            # Pooled over `runs` sessions: a grade now takes so little time that one session fits only 7-12 keys,
            # and a p95 of so few is little more than the slowest key.
            latencies = [latency for run in range(runs)
                         for latency in key_latency({**env, "INTERVIEWER_DATA_DIR": str(data / f"keys-{run}")})]
            figures.update(keys=len(latencies), key_sessions=runs, key_ms_p50=percentile(latencies, 0.5) * 1000,
                           key_ms_p95=percentile(latencies, 0.95) * 1000)
        return figures
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", type=Path, help="the knowledge store (default: the one your settings name)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keys", action="store_true", help="also measure key latency while a grade runs")
    options = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("tmux is not installed: the terminal UI cannot be timed")
    if options.store is None:
        from interviewer.config import load_settings

        options.store = load_settings().store_path
    figures = measure(options.store, options.runs, options.keys)
    if options.json:
        print(json.dumps(figures))
        return
    cpu = cpu_info()
    print(f"CPU: {cpu['model']}, {cpu['cores']} cores, {cpu['profile']}")
    print(f"launch -> first paint (Home): median {figures['paint_s']:.2f} s over {options.runs} runs "
          "(target <= 0.5 s)")
    print(f"launch -> first question: median {figures['first_question_s']:.2f} s over {options.runs} runs "
          "(target <= 1.5 s)")
    print(f"ctrl+s -> first grade on screen, fresh process: median {figures['pasted_grade_s']:.2f} s with the "
          f"answer pasted, {figures['typed_grade_s']:.2f} s typed with pauses, over {options.runs} runs "
          "(target <= 0.5 s)")
    if options.keys:
        print(f"key latency while a grade runs (tmux key to screen, includes ~2-5 ms of polling): p50 "
              f"{figures['key_ms_p50']:.0f} ms, p95 {figures['key_ms_p95']:.0f} ms over {figures['keys']:.0f} keys "
              f"in {figures['key_sessions']:.0f} sessions "
              "(target p95 <= 50 ms)")


if __name__ == "__main__":
    main()
