from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.evaluation import bench


def test_every_row_says_why_when_nothing_was_measured() -> None:
    rows = bench.table_rows({"help": {"help_s": 0.4, "help_runs": 5}, "tui": {"unavailable": "tmux is not installed"}},
                            quick_reason="skipped with --quick")
    by_name = {row.what.strip(): row for row in rows}
    assert by_name["`interviewer --help`"].figures == {"help_s": 0.4}
    assert by_name["launch → first paint (TUI)"].text() == "n/a (tmux is not installed)"
    assert by_name["grading with the question read ahead"].text() == "n/a (skipped with --quick)"
    assert all(row.figures or row.unavailable for row in rows)


def test_the_ui_is_not_timed_without_tmux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bench.shutil, "which", lambda _name: None)
    assert bench.measure_tui(tmp_path) == {"unavailable": "tmux is not installed"}


def test_cpu_info_names_the_model_and_the_kernel_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    cpu = bench.cpu_info()
    assert cpu["model"] and cpu["cores"] >= 1
    assert set(cpu["flags"]) <= set(bench.CPU_FLAGS)
    assert cpu["switches"]["ATEN_CPU_CAPABILITY"] == "avx2"


def test_cpu_info_under_the_avx2_mask_names_only_what_cpuid_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    cpuinfo = "model name\t: Some CPU\nflags\t\t: fpu avx2 fma avx512f avx512_vnni avx512_bf16 avx_vnni amx_tile\n"
    real_read_text = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: cpuinfo if str(self) == "/proc/cpuinfo"
                        else real_read_text(self, *a, **k))
    assert bench.cpu_info()["profile"] == "AVX-512 bf16"
    monkeypatch.setenv("INTERVIEWER_CPUID_MASK", "avx2")
    cpu = bench.cpu_info()
    assert cpu["flags"] == ["avx2", "fma"]
    assert cpu["profile"] == "AVX2 only (AVX-512 hidden from CPUID)"
    assert cpu["switches"]["INTERVIEWER_CPUID_MASK"] == "avx2"


def test_percentiles_use_the_nearest_rank() -> None:
    assert bench.spread([5.0, 1.0, 3.0], "x") == {"x_p50": 3.0, "x_p95": 5.0}


def test_an_interview_tells_on_node_the_seconds_of_every_node_it_runs(tmp_path: Path) -> None:
    """`bench` times the graph's own overhead through this hook (the node functions' seconds, interrupts included)."""
    from interviewer.agent.nodes import InterviewDeps
    from interviewer.agent.session import InterviewSession
    from interviewer.agent.state import NODE_NAMES
    from interviewer.grading import Calibration, Grader
    from interviewer.records.history import History
    from tests.agent_helpers import Clock, answer, genai_core, plan, shared_retriever
    from tests.fakes import BagOfWordsEmbedder

    seen: list[tuple[str, float]] = []
    pack = genai_core()
    grader = Grader(embedder=BagOfWordsEmbedder(), retriever=shared_retriever(), llm=None,
                    calibration=Calibration(version="test"))
    deps = InterviewDeps(packs={pack.name: pack}, grader=grader, history=History(tmp_path / "history.sqlite"),
                         now=Clock(), on_node=lambda name, seconds: seen.append((name, seconds)))
    session = InterviewSession(deps, tmp_path / "sessions.sqlite")
    try:
        step = session.start(plan(questions=1, max_follow_ups=0))
        assert step.turn is not None
        session.send(answer("I don't know, sorry."))
    finally:
        session.close()
    names = [name for name, _seconds in seen]
    assert names[:3] == ["plan", "pick", "ask"]
    assert {"retrieve", "grade", "decide", "summarise"} <= set(names) <= set(NODE_NAMES)
    assert all(seconds >= 0 for _name, seconds in seen)


def _avx2_only_script():  # type: ignore[no-untyped-def]
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "avx2_only.py"
    spec = importlib.util.spec_from_file_location("avx2_only", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_avx2_mask_says_plainly_when_the_cpu_cannot_trap_cpuid(monkeypatch: pytest.MonkeyPatch) -> None:
    avx2_only = _avx2_only_script()
    monkeypatch.setattr(avx2_only, "cpu_can_fault_on_cpuid", lambda: False)
    monkeypatch.setattr("sys.argv", ["avx2_only.py", "--", "true"])
    with pytest.raises(SystemExit) as stopped:
        avx2_only.main()
    assert "cannot make CPUID fault" in str(stopped.value.code) and "--via qemu" in str(stopped.value.code)


def test_the_avx2_mask_keeps_what_the_user_preloads_and_names_itself(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    avx2_only = _avx2_only_script()
    monkeypatch.setenv("LD_PRELOAD", "/opt/mine.so")
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")
    env = avx2_only.masked_environment(tmp_path / "mask.so")
    assert env["LD_PRELOAD"] == f"{tmp_path / 'mask.so'} /opt/mine.so"
    assert "-AVX512F" in env["GLIBC_TUNABLES"] and env["INTERVIEWER_CPUID_MASK"] == "avx2"
    assert "PYTHONFAULTHANDLER" not in env  # its handler would take the CPUID traps over
