"""Right answers and answers that reverse them, graded with the real embedding model (knowledge/eval)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.real_model


def test_contradicting_answers_score_far_below_right_ones() -> None:
    result = run_cli("eval", "pairs", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pairs"] >= 60
    # Measured: contradicting 0.62, right 3.79, 63 of 69 pairs (91%) 2 points apart, 94% caught; asserted with a
    # margin, except the issue's own target of 90% apart.
    assert report["mean_contradicting"] <= 1.0
    assert report["mean_right"] - report["mean_contradicting"] >= 2.5
    assert report["share_apart"] >= 0.9
    assert report["share_caught"] >= 0.88
