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


def test_percentiles_use_the_nearest_rank() -> None:
    assert bench.spread([5.0, 1.0, 3.0], "x") == {"x_p50": 3.0, "x_p95": 5.0}
