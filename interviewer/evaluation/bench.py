"""Speed figures: what `interviewer bench` prints and what the scripts in benchmarks/ print in more detail.

Each `measure_*` function returns its figures as a dict of plain numbers (milliseconds, seconds, ratios), taken
after a warm-up, with medians and p95 over repeats. `run_all` measures everything in one process over a store it
builds in a temporary folder (the first build is the cold-ingest figure), together with the CPU it ran on and its
peak RSS; `table_rows` turns that into the one table, where a figure that could not be taken is an explicit
"n/a (reason)". The full-screen UI is timed in a separate process (`python -m tui.bench --json`, under tmux): this
package never imports the UI. Heavy modules are imported inside the functions, so `interviewer --help` stays fast.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

Status = Callable[[str], None]

# The flags that decide which kernels run: AVX2 everywhere, AVX-512 and its bf16/VNNI dot products, Intel's AMX.
CPU_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
# Environment switches that restrict which kernels a library picks; recorded with the figures they shaped.
KERNEL_SWITCHES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "INTERVIEWER_EMBEDDING_BACKEND", "OPENBLAS_CORETYPE",
                   "NPY_DISABLE_CPU_FEATURES", "INTERVIEWER_CPUID_MASK")
# What benchmarks/avx2_only.py hides from CPUID: the flags an AVX2-only CPU does not have.
BEYOND_AVX2 = ("avx512", "amx", "avx_vnni")
AN_ANSWER_FOR_A_FOLLOW_UP = "I think it has to do with how the data is handled."


def _quiet(_: str) -> None:
    return None


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value at `fraction` of the sorted values (nearest rank); p50 is the median of an odd count."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def spread(values: Sequence[float], name: str) -> dict[str, float]:
    return {f"{name}_p50": percentile(values, 0.5), f"{name}_p95": percentile(values, 0.95)}


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_info() -> dict[str, Any]:
    """The CPU model, core count and the kernel-deciding flags, as `lscpu` reads them from /proc/cpuinfo, less
    what benchmarks/avx2_only.py hid from CPUID (libraries pick their kernels from CPUID, not /proc/cpuinfo)."""
    model, flags = "", set[str]()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(errors="ignore").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    model = model or platform.processor() or "unknown CPU"
    masked = os.environ.get("INTERVIEWER_CPUID_MASK") == "avx2"
    if masked:
        flags = {flag for flag in flags if not flag.startswith(BEYOND_AVX2)}
    present = [flag for flag in CPU_FLAGS if flag in flags]
    if "amx_bf16" in flags:
        profile = "AMX bf16"
    elif "avx512_bf16" in flags:
        profile = "AVX-512 bf16"
    elif "avx512f" in flags:
        profile = "AVX-512 (no bf16)"
    elif "avx2" in flags:
        profile = "AVX2 only (AVX-512 hidden from CPUID)" if masked else "AVX2 only"
    else:
        profile = "no AVX2"
    return {"model": model, "cores": os.cpu_count() or 0, "flags": present, "profile": profile,
            "switches": {name: os.environ[name] for name in KERNEL_SWITCHES if name in os.environ}}


def interviewer_command() -> list[str]:
    """How a user starts `interviewer`: the installed script beside this Python, else the core's module."""
    script = Path(sys.executable).parent / "interviewer"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "interviewer.cli"]


def measure_help(repeats: int = 5) -> dict[str, float]:
    """Wall time of `interviewer --help` in a fresh process, the median of `repeats` after one warm-up run."""
    command = [*interviewer_command(), "--help"]
    seconds = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, timeout=60)
        seconds.append(time.perf_counter() - started)
    return {"help_s": statistics.median(seconds[1:]), "help_runs": repeats}


def measure_ingest(roots: Sequence[Path], folder: Path, embed_every_chunk: bool = True) -> dict[str, float]:
    """A cold build of a store at folder/"store" (kept for the other measurements), an unchanged re-run, and,
    with `embed_every_chunk`, a second build with the vector cache off: what the embedder itself costs, as for a
    user's own documents. The model load is timed on its own because a process pays it once."""
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.ingest import ingest

    store = folder / "store"
    # The cold build comes first, before this process has loaded any model, as on a new machine.
    cold = ingest(roots, store, default_embedder())
    warm = ingest(roots, store, default_embedder())
    started = time.perf_counter()
    default_embedder().encode(["warm up"])
    figures: dict[str, float] = {
        "cold_ingest_s": cold.seconds, "cold_chunks": cold.chunks_embedded, "cold_reused": cold.chunks_reused,
        "unchanged_rerun_s": warm.seconds, "embedding_model_load_s": time.perf_counter() - started,
    }
    if embed_every_chunk:
        previous = os.environ.get("INTERVIEWER_VECTOR_CACHE")
        os.environ["INTERVIEWER_VECTOR_CACHE"] = "off"
        try:
            uncached = ingest(roots, folder / "uncached", default_embedder())
        finally:
            if previous is None:
                del os.environ["INTERVIEWER_VECTOR_CACHE"]
            else:
                os.environ["INTERVIEWER_VECTOR_CACHE"] = previous
        shutil.rmtree(folder / "uncached", ignore_errors=True)
        figures["uncached_ingest_s"] = uncached.seconds
        figures["uncached_chunks_per_s"] = uncached.chunks_embedded / max(uncached.seconds, 1e-9)
    return figures


def measure_retrieval(store: Path, rounds: int = 3, max_queries: int | None = None) -> dict[str, float]:
    """Hybrid search (k=5) over the retrieval evaluation queries, one at a time, after a warm-up query."""
    from interviewer.evaluation.retrieval import default_retrieval_dataset, load_retrieval_dataset
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.search import HybridRetriever
    from interviewer.retrieval.store import KnowledgeStore

    embedder = default_embedder()
    queries = [case.query for case in load_retrieval_dataset(default_retrieval_dataset())][:max_queries]
    started = time.perf_counter()
    retriever = HybridRetriever(KnowledgeStore.open_for_query(store, embedder), embedder)
    open_ms = (time.perf_counter() - started) * 1000
    retriever.search("warm up", k=5)
    timings = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            retriever.search(query, k=5)
            timings.append((time.perf_counter() - started) * 1000)
    return {"retriever_open_ms": open_ms, **spread(timings, "search_ms"), "search_mean_ms": statistics.mean(timings),
            "queries": len(queries), "rounds": rounds}


class RecordingLLM:
    """Delegates to the real model and keeps the last request, so the bare call can repeat it exactly."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.last: tuple[Any, Any, int] | None = None

    @property
    def model_id(self) -> str:
        return str(self.llm.model_id)

    def __getattr__(self, name: str) -> Any:  # warm(), resolved_path, ...: what the grader may look up
        return getattr(self.llm, name)

    def complete_structured(self, messages: Any, output: Any, *, max_tokens: int = 400) -> Any:
        self.last = (messages, output, max_tokens)
        return self.llm.complete_structured(messages, output, max_tokens=max_tokens)


def default_llm(settings: Any) -> Any:
    """The in-process llama.cpp model these figures are about (a model server's speed is the server's)."""
    from interviewer.llm import LlamaCppLLM

    return LlamaCppLLM(settings.model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=settings.seed)


def benchmark_questions(count: int) -> list[Any]:
    """`count` built-in questions spread over the pack (every n-th), the same ones on every run."""
    from interviewer.packs import load_pack
    from interviewer.resources import builtin_packs_dir

    questions = load_pack(builtin_packs_dir() / "genai-core.yaml").pack.questions
    return questions[:: max(1, len(questions) // count)][:count]


def measure_grading(store: Path, settings: Any, questions: int = 20, read_ahead: bool = True,
                    warm_up: bool = True) -> dict[str, Any]:
    """Grades of ~80-word answers, end to end and split into retrieval, evidence and model call, each followed by
    the bare llama.cpp call on the same prompt and grammar (what the model alone costs), in one run.

    A model whose measured weight is 0 is not asked when grading; it is asked here anyway (at the weight an
    unmeasured model gets), since what the model costs is the point, and the figures say so.
    """
    picked = benchmark_questions(questions + 1)
    measured = picked[1:] if warm_up else picked[:questions]
    llm = default_llm(settings)
    recorder = RecordingLLM(llm)
    grader, measured_weight = _grader_asking(recorder, store, settings)
    if warm_up:
        grader.grade(picked[0], picked[0].reference_answer)  # loads both models
    rows: dict[str, list[float]] = {name: [] for name in ("total", "retrieval", "evidence", "verifier", "model",
                                                          "bare")}
    prepared: list[float] = []
    valid = 0
    for question in measured:
        answer = " ".join(question.reference_answer.split()[:80])
        started = time.perf_counter()
        grade = grader.grade(question, answer)
        rows["total"].append((time.perf_counter() - started) * 1000)
        for part in ("retrieval", "evidence", "verifier", "model"):
            rows[part].append(getattr(grade.timings, f"{part}_ms"))
        valid += 0 if grade.evidence_only else 1
        rows["bare"].append(_bare_call_ms(llm, recorder))
        if read_ahead:
            prepared.append(_read_ahead_ms(llm, grader, question, answer))
    figures: dict[str, Any] = {"answers": len(measured), "model_answers_valid": valid, "model_id": llm.model_id,
                               "measured_model_weight": measured_weight,
                               "model_asked_despite_weight_0": measured_weight <= 0}
    for name, values in rows.items():
        figures.update(spread(values, f"{name}_ms"))
    if prepared:
        figures.update(spread(prepared, "read_ahead_ms"))
    figures["grade_over_bare"] = figures["total_ms_p50"] / max(figures["bare_ms_p50"], 1e-9)
    figures["model_call_over_bare"] = figures["model_ms_p50"] / max(figures["bare_ms_p50"], 1e-9)
    return figures


def builtin_dev_cases(answers: int) -> list[Any]:
    """The first `answers` answers of the independent development set to built-in questions, each graded against
    its pack question as an interview grades it (what the benchmarks that grade answers by others read)."""
    from interviewer.evaluation.datasets import load_grading_dataset, with_pack_questions
    from interviewer.packs import load_pack
    from interviewer.resources import builtin_packs_dir, knowledge_dir

    questions = {q.id: q for q in load_pack(builtin_packs_dir() / "genai-core.yaml").pack.questions}
    dataset = knowledge_dir() / "eval" / "independent" / "dev" / "builtin-answers.csv"
    return with_pack_questions(load_grading_dataset(dataset), questions)[:answers]


def measure_verifier(answers: int = 96) -> dict[str, Any]:
    """The verifier's share of a grade as an interview pays it: answers written by others to built-in questions
    (the first `answers` of the independent development set), each graded after `Grader.prepare` read its
    question (and the verifier its reference answer) while the question was on screen. No store, no model.

    Twice: the answer arriving whole (every pair read after it is sent: the verifier's whole cost), and the answer
    read as it was typed, the way the TUI reads it at each pause (`Grader.read_draft` after every sentence but the
    last, whose ctrl+s follows it at once), by a second verifier whose readings start empty."""
    from interviewer.grading import Grader
    from interviewer.grading.verifier import OnnxVerifier, default_verifier
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.text import split_sentences

    verifier = default_verifier()
    if verifier is None:
        return {"unavailable": "the verifier model is missing"}
    whole = Grader(embedder=default_embedder(), llm=None, verifier=verifier)
    typed = Grader(embedder=default_embedder(), llm=None, verifier=OnnxVerifier())
    verifier_ms, total_ms, typed_ms, draft_ms = [], [], [], []
    for case in builtin_dev_cases(answers):
        whole.prepare(case.question)
        started = time.perf_counter()
        grade = whole.grade(case.question, case.answer, use_model=False)
        total_ms.append((time.perf_counter() - started) * 1000)
        verifier_ms.append(grade.timings.verifier_ms)
        typed.prepare(case.question)
        sentences = split_sentences(case.answer)
        for count in range(1, len(sentences)):
            started = time.perf_counter()
            typed.read_draft(case.question, " ".join(sentences[:count]))
            draft_ms.append((time.perf_counter() - started) * 1000)
        typed_ms.append(typed.grade(case.question, case.answer, use_model=False).timings.verifier_ms)
    return {"answers": len(verifier_ms), **spread(verifier_ms, "verifier_ms"), **spread(total_ms, "grade_ms"),
            **spread(typed_ms, "typed_verifier_ms"), **spread(draft_ms or [0.0], "draft_read_ms"),
            "peak_rss_mb": peak_rss_mb()}


def _grader_asking(llm: Any, store: Path, settings: Any) -> tuple[Any, float]:
    """The grader an interview uses, over the store at `store`, asking `llm` even where its measured weight is 0
    (then at the weight an unmeasured model gets); and that measured weight."""
    from interviewer.grading import Grader
    from interviewer.grading.model_weight import UNMEASURED_WEIGHT
    from interviewer.grading.verifier import default_verifier
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.search import HybridRetriever
    from interviewer.retrieval.store import KnowledgeStore

    embedder = default_embedder()
    retriever = HybridRetriever(KnowledgeStore.open_for_query(store, embedder), embedder)
    grader = Grader(embedder=embedder, retriever=retriever, llm=llm, seed=settings.seed, verifier=default_verifier())
    measured_weight = grader.verdict_weight()
    if measured_weight <= 0:
        grader = replace(grader, model_weight=UNMEASURED_WEIGHT)
    return grader, measured_weight


def _bare_call_ms(llm: Any, recorder: RecordingLLM) -> float:
    """The last graded request again, straight to llama.cpp: what the model alone costs."""
    assert recorder.last is not None
    messages, output, max_tokens = recorder.last
    llm.load().reset()  # no prompt-cache reuse: the bare call pays for its prompt as the graded one did
    started = time.perf_counter()
    llm.bare_completion(messages, output, max_tokens=max_tokens)
    return (time.perf_counter() - started) * 1000


def _read_ahead_ms(llm: Any, grader: Any, question: Any, answer: str) -> float:
    """As in an interview: the question's prompt is read while the candidate types, then the answer arrives."""
    llm.load().reset()
    grader.prepare(question)
    started = time.perf_counter()
    grader.grade(question, answer)
    return (time.perf_counter() - started) * 1000


FIRST_GRADE_SCRIPT = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from interviewer.retrieval.embeddings import default_embedder
from interviewer.grading import Grader
from interviewer.grading.verifier import default_verifier
from interviewer.retrieval.search import HybridRetriever
from interviewer.retrieval.store import KnowledgeStore
from interviewer.evaluation.bench import benchmark_questions
question = benchmark_questions(1)[0]
embedder = default_embedder()
retriever = None if sys.argv[1] == "-" else HybridRetriever(KnowledgeStore.open_for_query(Path(sys.argv[1]),
                                                                                         embedder), embedder)
grader = Grader(embedder=embedder, retriever=retriever, llm=None, verifier=default_verifier())
grader.prepare(question)
prepared = time.perf_counter()
grade = grader.grade(question, " ".join(question.reference_answer.split()[:80]))
done = time.perf_counter()
print(json.dumps({"prepare_ms": (prepared - started) * 1000, "first_grade_ms": (done - prepared) * 1000,
                  "verifier": grade.verifier_id}))
"""


def measure_first_grade(store: Path | None) -> dict[str, Any]:
    """The first grade of a session in a new process (as after `interviewer` starts): models are loaded while
    the question is read (`Grader.prepare`), then the answer is graded; the second figure is the wait. Without a
    store (None) no references are looked up."""
    result = subprocess.run([sys.executable, "-c", FIRST_GRADE_SCRIPT, str(store) if store else "-"],
                            capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        return {"unavailable": (result.stderr.strip().splitlines() or ["failed"])[-1]}
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def measure_tokens(settings: Any, repeats: int = 3, new_tokens: int = 64, warm_up: bool = True) -> dict[str, Any]:
    """Prompt reading and generation speed of the in-process model: a ~400-token prompt (reference answers of the
    pack) read from scratch, then `new_tokens` generated greedily with end-of-text banned so the count is fixed."""
    llm = default_llm(settings)
    llama = llm.load()
    text = " ".join(question.reference_answer for question in benchmark_questions(8))
    tokens = llama.tokenize(text.encode())[:400]
    prompt = llama.detokenize(tokens).decode(errors="ignore") + "\n\nIn one paragraph, the main point is"
    prompt_tokens = len(llama.tokenize(prompt.encode()))
    reading, writing, generated = [], [], 0
    for _ in range(repeats + int(warm_up)):
        llama.reset()
        started = time.perf_counter()
        first = 0.0
        generated = 0
        for _chunk in llama.create_completion(prompt, max_tokens=new_tokens, temperature=0.0, stream=True,
                                              logit_bias={llama.token_eos(): -100.0}):
            generated += 1
            if generated == 1:
                first = time.perf_counter()
        ended = time.perf_counter()
        reading.append(prompt_tokens / max(first - started, 1e-9))
        writing.append((generated - 1) / max(ended - first, 1e-9))
    return {"model_id": llm.model_id, "threads": settings.n_threads, "prompt_tokens": prompt_tokens,
            "generated_tokens": generated, "prompt_tokens_per_s": statistics.median(reading[int(warm_up):]),
            "generation_tokens_per_s": statistics.median(writing[int(warm_up):])}


def measure_graph_turn(store: Path, settings: Any, data_dir: Path, questions: int = 4,
                       follow_ups: int = 1) -> dict[str, float]:
    """Interview turns with the default models through the LangGraph session (checkpointed as in use), against
    the node functions it calls: grading, the follow-up the model writes, history writes. What is left is the
    framework: scheduling, state merging and the synchronous SQLite checkpoint. The first turn is a warm-up."""
    from interviewer.agent.planning import SessionPlan
    from interviewer.agent.state import Action
    from interviewer.wiring import open_interview

    # The built-in pack over the bench's store, with this machine's model settings; in-process, as timed above.
    settings = settings.model_copy(update={"data_dir": data_dir, "store_dir": store, "packs_dir": data_dir / "packs",
                                           "store_url": None, "llm_url": None})
    spent = [0.0]  # seconds inside node functions since the answer was sent (interrupts included)

    def count(_node: str, seconds: float) -> None:
        spent[0] += seconds

    turns: list[float] = []
    direct: list[float] = []
    session = open_interview(settings, note=_quiet, on_node=count)
    try:
        step = session.start(SessionPlan(pack="genai-core", questions=questions, max_follow_ups=follow_ups))
        while step.turn is not None:
            turn = step.turn
            session.prepare(turn)  # what a front end does while the candidate types
            question = session.deps.pack("genai-core").question(turn.question_id)
            text = question.key_points[0].statement if turn.kind == "question" else AN_ANSWER_FOR_A_FOLLOW_UP
            spent[0] = 0.0
            started = time.perf_counter()
            step = session.send(Action(type="answer", text=text))
            turns.append(time.perf_counter() - started)
            direct.append(spent[0])
    finally:
        session.close()
    if len(turns) > 1:
        turns, direct = turns[1:], direct[1:]
    framework = [turn - inside for turn, inside in zip(turns, direct, strict=True)]
    return {"turns": len(turns), "turn_ms_p50": statistics.median(turns) * 1000,
            "turn_ms_p95": percentile(turns, 0.95) * 1000, "turn_ms_max": max(turns) * 1000,
            "direct_ms_p50": statistics.median(direct) * 1000, "framework_ms_p50": statistics.median(framework) * 1000,
            "framework_ms_p95": percentile(framework, 0.95) * 1000,
            "turn_over_direct": statistics.median(t / max(d, 1e-9) for t, d in zip(turns, direct, strict=True))}


def measure_tui(store: Path, runs: int = 3, timeout: float = 300) -> dict[str, Any]:
    """Launch → first paint and → first question of the full-screen UI, in another process under tmux; a reason
    instead of figures where tmux or the UI package is missing or the run fails."""
    if shutil.which("tmux") is None:
        return {"unavailable": "tmux is not installed"}
    if importlib.util.find_spec("tui") is None:
        return {"unavailable": "the terminal UI package is not installed"}
    command = [sys.executable, "-m", "tui.bench", "--json", "--runs", str(runs), "--store", str(store)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"unavailable": f"the UI benchmark took over {timeout:.0f} s"}
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return {"unavailable": f"the UI benchmark failed: {lines[-1] if lines else f'exit {result.returncode}'}"}
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


@dataclass
class Row:
    """One line of the table: its figures (numbers, for --json) and how they read, or why there are none."""

    what: str
    result: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    unavailable: str | None = None

    def text(self) -> str:
        return f"n/a ({self.unavailable})" if self.unavailable else self.result


@dataclass
class BenchReport:
    cpu: dict[str, Any]
    quick: bool
    seconds: float
    rows: list[Row]
    embedding_backend: str = ""
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"cpu": self.cpu, "quick": self.quick, "seconds": round(self.seconds, 1),
                "embedding_backend": self.embedding_backend, "phase_seconds": self.phase_seconds,
                "rows": [{**asdict(row), "result": row.text()} for row in self.rows]}


def _guarded(name: str, measure: Callable[[], dict[str, Any]], status: Status) -> dict[str, Any]:
    """A measurement that fails becomes a reason in its rows, not the end of the whole run."""
    from interviewer.errors import InterviewerError

    status(f"measuring {name}…")
    started = time.perf_counter()
    try:
        figures = measure()
    except (InterviewerError, OSError, RuntimeError, subprocess.SubprocessError) as exc:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        figures = {"unavailable": f"{name} failed: {message}"}
    figures["bench_seconds"] = time.perf_counter() - started
    return figures


def run_all(quick: bool = False, status: Status = _quiet) -> BenchReport:
    """Every figure of the table, measured in this process over a store built in a temporary folder."""
    from interviewer.config import load_settings
    from interviewer.resources import builtin_docs_dir
    from interviewer.retrieval.embeddings import default_embedder

    started = time.perf_counter()
    settings = load_settings()
    skipped = "skipped with --quick"
    with tempfile.TemporaryDirectory(prefix="interviewer-bench-") as tmp:
        folder = Path(tmp)
        store = folder / "store"
        found: dict[str, dict[str, Any]] = {}
        found["help"] = _guarded("interviewer --help", lambda: measure_help(3 if quick else 5), status)
        found["ingest"] = _guarded("ingest", lambda: measure_ingest([builtin_docs_dir()], folder,
                                                                     embed_every_chunk=not quick), status)
        if "unavailable" in found["ingest"]:
            for name in ("retrieval", "grading", "graph", "tui"):
                found[name] = {"unavailable": "no store: ingest failed"}
        else:
            found["retrieval"] = _guarded("retrieval", lambda: measure_retrieval(store, rounds=1 if quick else 3,
                                                                                 max_queries=30 if quick else None),
                                          status)
            found["grading"] = _guarded("grading", lambda: measure_grading(
                store, settings, 1 if quick else 20, read_ahead=not quick, warm_up=not quick), status)
            found["first_grade"] = _guarded("first grade", lambda: measure_first_grade(store), status)
            found["verifier"] = _guarded("the verifier", lambda: measure_verifier(24 if quick else 96), status)
            found["graph"] = _guarded("one graph turn", lambda: measure_graph_turn(
                store, settings, folder / "data", questions=1 if quick else 4, follow_ups=0 if quick else 1), status)
            found["tui"] = _guarded("the terminal UI", lambda: measure_tui(store, runs=1 if quick else 3), status)
        found["tokens"] = _guarded("tokens/s", lambda: measure_tokens(
            settings, repeats=1 if quick else 3, new_tokens=16 if quick else 64, warm_up=not quick), status)
        backend = str(getattr(default_embedder(), "backend", type(default_embedder()).__name__))
    rows = table_rows(found, skipped if quick else None)
    rows.append(Row("peak RSS of this process (both models, store open)", f"{peak_rss_mb():.0f} MB",
                    {"peak_rss_mb": peak_rss_mb()}))
    cpu = cpu_info()
    switches = ", ".join(f"{k}={v}" for k, v in cpu["switches"].items())
    rows.append(Row("CPU", f"{cpu['model']}, {cpu['cores']} cores, {cpu['profile']} ({' '.join(cpu['flags'])})"
                    + (f"; {switches}" if switches else ""), {"cores": cpu["cores"]}))
    phases = {name: round(figures.pop("bench_seconds", 0.0), 1) for name, figures in found.items()}
    return BenchReport(cpu, quick, time.perf_counter() - started, rows, backend, phases)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ms(figures: dict[str, Any], name: str) -> str:
    return f"p50 {figures[f'{name}_p50']:.0f} ms, p95 {figures[f'{name}_p95']:.0f} ms"


def table_rows(found: dict[str, dict[str, Any]], quick_reason: str | None = None) -> list[Row]:
    """The table's rows, in a fixed order, from what `run_all` measured."""
    rows: list[Row] = []

    def add(what: str, group: str, keys: Sequence[str], render: Callable[[dict[str, Any]], str],
            missing: str | None = None) -> None:
        figures = found.get(group, {})
        reason = figures.get("unavailable")
        if reason is None and any(key not in figures for key in keys):
            reason = missing or "not measured"
        picked = {key: figures[key] for key in keys if key in figures}
        rows.append(Row(what, "" if reason else render(figures), {} if reason else picked, reason))

    add("`interviewer --help`", "help", ["help_s"], lambda f: f"{f['help_s']:.2f} s (median of {f['help_runs']})")
    add("launch → first paint (TUI)", "tui", ["paint_s"], lambda f: f"{f['paint_s']:.2f} s (median of {f['runs']})")
    add("launch → first question (TUI)", "tui", ["first_question_s"],
        lambda f: f"{f['first_question_s']:.2f} s (median of {f['runs']})")
    add("ctrl+s → first grade on screen (TUI, fresh session; target ≤ 0.5 s)", "tui",
        ["pasted_grade_s", "typed_grade_s"],
        lambda f: f"{f['pasted_grade_s']:.2f} s with the answer pasted, {f['typed_grade_s']:.2f} s typed with "
                  f"pauses (median of {f['runs']})")
    add("cold ingest of knowledge/", "ingest", ["cold_ingest_s", "cold_chunks", "cold_reused"],
        lambda f: f"{f['cold_ingest_s']:.1f} s ({f['cold_chunks']:.0f} chunks, {f['cold_reused']:.0f} vectors "
                  "shipped or cached)")
    add("unchanged re-run", "ingest", ["unchanged_rerun_s"], lambda f: f"{f['unchanged_rerun_s']:.2f} s")
    add("ingest embedding every chunk (vector cache off)", "ingest", ["uncached_ingest_s", "uncached_chunks_per_s"],
        lambda f: f"{f['uncached_ingest_s']:.1f} s ({f['uncached_chunks_per_s']:.0f} chunks/s)", quick_reason)
    add("embedding model load", "ingest", ["embedding_model_load_s"], lambda f: f"{f['embedding_model_load_s']:.2f} s")
    add("retrieval, hybrid search k=5", "retrieval", ["search_ms_p50", "search_ms_p95"],
        lambda f: f"p50 {f['search_ms_p50']:.1f} ms, p95 {f['search_ms_p95']:.1f} ms ({f['queries']} queries × "
                  f"{f['rounds']})")
    add("grading, ~80-word answer, end to end", "grading", ["total_ms_p50", "total_ms_p95"],
        lambda f: _ms(f, "total_ms") + f" ({_count(f['answers'], 'answer')}, model output valid in "
                                       f"{f['model_answers_valid']})")
    add("  of which retrieval", "grading", ["retrieval_ms_p50", "retrieval_ms_p95"], lambda f: _ms(f, "retrieval_ms"))
    add("  of which evidence", "grading", ["evidence_ms_p50", "evidence_ms_p95"], lambda f: _ms(f, "evidence_ms"))
    add("  of which the verifier (the reference read in the same grade)", "grading",
        ["verifier_ms_p50", "verifier_ms_p95"], lambda f: _ms(f, "verifier_ms"))
    add("  of which model call", "grading", ["model_ms_p50", "model_ms_p95"],
        lambda f: _ms(f, "model_ms") + (" (asked although its measured weight is 0)"
                                        if f["model_asked_despite_weight_0"] else ""))
    add("bare llama.cpp call, same prompt", "grading", ["bare_ms_p50", "bare_ms_p95", "grade_over_bare"],
        lambda f: _ms(f, "bare_ms") + f"; grade ÷ bare {f['grade_over_bare']:.2f}x, model call ÷ bare "
                                      f"{f['model_call_over_bare']:.2f}x")
    add("grading with the question read ahead", "grading", ["read_ahead_ms_p50", "read_ahead_ms_p95"],
        lambda f: _ms(f, "read_ahead_ms"), quick_reason)
    add("the verifier's share of a grade, question read ahead (target p95 ≤ 150 ms)", "verifier",
        ["verifier_ms_p50", "verifier_ms_p95"],
        lambda f: _ms(f, "verifier_ms") + f" ({f['answers']} answers by others; whole grade without store or model "
                                          + _ms(f, "grade_ms") + ")")
    add("the verifier's share after ctrl+s, answer read at each pause in typing", "verifier",
        ["typed_verifier_ms_p50", "typed_verifier_ms_p95"],
        lambda f: _ms(f, "typed_verifier_ms") + " (after a pause at each sentence; each pause's reading "
                                                + _ms(f, "draft_read_ms") + ")")
    add("first grade of a session, fresh process, question read ahead (target ≤ 0.5 s)", "first_grade",
        ["first_grade_ms", "prepare_ms"],
        lambda f: f"{f['first_grade_ms']:.0f} ms after the answer ({f['prepare_ms']:.0f} ms of loading while the "
                  "question is read)")
    add("interview: next question or follow-up after an answer (default settings)", "graph",
        ["turn_ms_p50", "turn_ms_p95", "turn_ms_max"],
        lambda f: f"p50 {f['turn_ms_p50']:.0f} ms, p95 {f['turn_ms_p95']:.0f} ms, max {f['turn_ms_max']:.0f} ms "
                  f"({_count(f['turns'], 'answer')}, question read ahead; grade, follow-up and checkpoint included)")
    add("one graph turn vs the node calls it makes", "graph",
        ["turn_ms_p50", "direct_ms_p50", "framework_ms_p50", "turn_over_direct"],
        lambda f: f"turn p50 {f['turn_ms_p50']:.0f} ms, nodes {f['direct_ms_p50']:.0f} ms, framework "
                  f"{f['framework_ms_p50']:.0f} ms; ratio {f['turn_over_direct']:.3f}x ({_count(f['turns'], 'turn')})")
    add("tokens/s (llama.cpp, default model)", "tokens", ["prompt_tokens_per_s", "generation_tokens_per_s"],
        lambda f: f"prompt {f['prompt_tokens_per_s']:.0f} tok/s ({f['prompt_tokens']} tokens), generation "
                  f"{f['generation_tokens_per_s']:.0f} tok/s, {f['threads']} threads, {f['model_id']}")
    return rows


def render_markdown(report: BenchReport) -> str:
    """The table as plain text (a Markdown table, as the README carries it)."""
    lines = ["| what | result |", "|---|---|"]
    lines += [f"| {row.what.strip()} | {row.text()} |" for row in report.rows]
    if report.quick:
        lines.append("\n--quick: single runs, no warm-up, fewer repeats: a check that every figure can be taken, not a "
                     "measurement.")
    return "\n".join(lines)
