"""How long a candidate waits in an interview with the default models, turn by turn.

Usage: python benchmarks/interview_bench.py [--questions N]
Runs a practice session over the built-in pack (partial answers, so follow-ups are written) in a temporary data
dir, with the question read ahead while the "candidate types" as the plain terminal does. Prints p50/p95 of the
wait after an answer (grading, then writing a follow-up or picking the next question), how often the model's own
follow-up passed the checks, checkpoint and history sizes, and peak RSS.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from interviewer.agent.planning import SessionPlan
from interviewer.agent.state import Action
from interviewer.config import Settings
from interviewer.evaluation.bench import AN_ANSWER_FOR_A_FOLLOW_UP, peak_rss_mb, percentile
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.ingest import ingest
from interviewer.wiring import open_interview


def live_kb(path: Path) -> float:
    """Bytes in use in an SQLite file (deleted rows leave free pages that are reused, not returned)."""
    import sqlite3

    db = sqlite3.connect(path)
    pages, free, size = (db.execute(f"PRAGMA {name}").fetchone()[0]
                         for name in ("page_count", "freelist_count", "page_size"))
    db.close()
    return (pages - free) * size / 1024


def measure(questions: int = 6) -> dict[str, float]:
    """Seconds waited after each answer (p50/p95/max), follow-up counts, database sizes and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        from interviewer.retrieval.embeddings import default_embedder

        ingest([builtin_docs_dir()], settings.store_path, default_embedder())
        started = time.perf_counter()
        session = open_interview(settings, note=print)
        step = session.start(SessionPlan(pack="genai-core", questions=questions, max_follow_ups=1))
        first_question_s = time.perf_counter() - started
        waits: list[float] = []
        grade_waits: list[float] = []
        follow_ups = {"model": 0, "probe": 0}
        while step.turn is not None:
            turn = step.turn
            session.prepare(turn)  # what the plain terminal does while the candidate types
            question = session.deps.pack("genai-core").question(turn.question_id)
            text = question.key_points[0].statement if turn.kind == "question" else AN_ANSWER_FOR_A_FOLLOW_UP
            t0 = time.perf_counter()
            graded_at: list[float] = []

            def on_events(events, t0=t0, graded_at=graded_at):  # type: ignore[no-untyped-def]
                if any(event.type == "grade" for event in events):
                    graded_at.append(time.perf_counter() - t0)
                for event in events:
                    if event.type == "follow-up":
                        follow_ups[event.data["source"]] += 1

            step = session.send(Action(type="answer", text=text), on_events=on_events)
            waits.append(time.perf_counter() - t0)
            grade_waits.extend(graded_at[:1])
        session.close()
        sizes = {name: live_kb(Path(tmp) / name) for name in ("history.sqlite", "sessions.sqlite")}
    return {
        "first_question_s": first_question_s, "answers": len(waits),
        "grade_wait_s_p50": percentile(grade_waits, 0.5), "grade_wait_s_p95": percentile(grade_waits, 0.95),
        "next_wait_s_p50": percentile(waits, 0.5), "next_wait_s_p95": percentile(waits, 0.95),
        "next_wait_s_max": max(waits), "model_follow_ups": follow_ups["model"], "probe_follow_ups": follow_ups["probe"],
        "history_kb": sizes["history.sqlite"], "checkpoints_kb": sizes["sessions.sqlite"],
        "peak_rss_gb": peak_rss_mb() / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args()
    f = measure(args.questions)
    print(f"open and first question: {f['first_question_s']:.2f}s")
    print(f"answers {f['answers']:.0f}: grade shown after p50 {f['grade_wait_s_p50']:.2f}s, "
          f"p95 {f['grade_wait_s_p95']:.2f}s; next question or follow-up after p50 "
          f"{f['next_wait_s_p50']:.2f}s, p95 {f['next_wait_s_p95']:.2f}s, max {f['next_wait_s_max']:.2f}s")
    print(f"follow-ups written by the model and accepted: {f['model_follow_ups']:.0f} of "
          f"{f['model_follow_ups'] + f['probe_follow_ups']:.0f} (the rest used the authored probe)")
    print(f"history {f['history_kb']:.0f} KB; checkpoints left after the session "
          f"{f['checkpoints_kb']:.0f} KB; peak RSS {f['peak_rss_gb']:.2f} GB")


if __name__ == "__main__":
    main()
