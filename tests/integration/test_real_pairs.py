"""Right answers and answers that reverse them, graded with the real embedding model (knowledge/eval).

These 69 pairs were written alongside the reversal rules, so they measure the rules (the fallback when the verifier
cannot run) well and transfer poorly: the verifier path is measured on answers written by others
(knowledge/eval/independent). On these pairs the verifier path is weaker than the rules, and that is asserted as
measured, so a change that makes it worse still fails."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.real_model


def test_the_rules_fallback_keeps_contradicting_answers_far_below_right_ones() -> None:
    result = run_cli("eval", "pairs", "--no-verifier", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pairs"] >= 60
    # Measured: contradicting 0.62, right 3.79, 63 of 69 pairs (91%) 2 points apart, 94% caught; asserted with a
    # margin, except the issue's own target of 90% apart.
    assert report["mean_contradicting"] <= 1.0
    assert report["mean_right"] - report["mean_contradicting"] >= 2.5
    assert report["share_apart"] >= 0.9
    assert report["share_caught"] >= 0.88


def test_the_verifier_scores_contradicting_answers_below_right_ones() -> None:
    result = run_cli("eval", "pairs", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # Measured with verifier 2026-12-05-ed265881 (the named-things round and name swaps) and its refit of
    # fit-1432rows: right 1.76, contradicting 0.86, 16% 2 points apart, 62% caught; with 2026-12-05-89283018
    # (trained with key-point pairs in context) and fit-1144rows: right 1.87, contradicting 0.80, 16% 2 points
    # apart, 77% caught; with 2026-12-05-8b5518f3 (the learners'-fields
    # round) and fit-1036rows: right 1.49, contradicting 0.62, 13% apart, 67% caught; with 2026-12-05-b3a27899 (the
    # long-sentence round) and fit-928rows: right 1.53, contradicting 0.65, 16% apart, 68% caught. The verifier
    # before those (2026-12-04-82a720cd): right 1.96, contradicting 0.72, 26% apart, 54% caught. More reversals are
    # caught and the independent development answers rank better (README, "The verifier"), but these short right
    # answers score lower: the gap floor moved from 1.0 to 0.8 with it.
    assert report["mean_contradicting"] <= 1.0
    assert report["mean_right"] - report["mean_contradicting"] >= 0.8
    assert report["share_caught"] >= 0.6
