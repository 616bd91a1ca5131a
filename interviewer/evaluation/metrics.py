"""How far a grader's scores agree with human ones: Pearson, Spearman, quadratic weighted kappa, RMSE and MAE,
and, for a set that labels its answers by kind, how strong and confidently wrong answers land.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from interviewer.evaluation.datasets import GradingCase, question_key


def quadratic_weighted_kappa(gold: Sequence[int], predicted: Sequence[int], levels: int = 6) -> float:
    observed = np.zeros((levels, levels))
    for g, p in zip(gold, predicted, strict=True):
        observed[g, p] += 1
    weights = np.array([[(i - j) ** 2 / (levels - 1) ** 2 for j in range(levels)] for i in range(levels)])
    expected = np.outer(observed.sum(1), observed.sum(0)) / max(1, observed.sum())
    denominator = (weights * expected).sum()
    return float(1 - (weights * observed).sum() / denominator) if denominator else 1.0


def agreement_metrics(gold: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> dict[str, float]:
    from scipy.stats import pearsonr, spearmanr

    g, p = np.asarray(gold, dtype=float), np.asarray(predicted, dtype=float)
    constant = g.std() == 0 or p.std() == 0
    return {
        "pearson": float("nan") if constant else float(pearsonr(g, p)[0]),
        "spearman": float("nan") if constant else float(spearmanr(g, p)[0]),
        "qwk": quadratic_weighted_kappa([int(round(x)) for x in g], [int(round(x)) for x in p]),
        "rmse": float(math.sqrt(np.mean((g - p) ** 2))),
        "mae": float(np.mean(np.abs(g - p))),
    }


# Kinds of answer an evaluation set may label (its `kind` column): a right, complete answer, and a confidently
# wrong one (fluent, on topic, its claims reversed).
STRONG_KINDS = frozenset({"strong", "right"})
WRONG_KINDS = frozenset({"wrong", "reversed", "contradicting"})
STRONG_FLOOR, WRONG_CEILING, APART = 2.5, 3.0, 2.0


def kind_figures(cases: Sequence[GradingCase], predicted: Sequence[float]) -> dict[str, float] | None:
    """For a set labelled by kind: strong answers under 2.5, wrong answers at 3 or more and their mean, and the
    share of questions whose strong and wrong answers are at least 2 points apart. None without such labels."""
    strong: dict[str, list[float]] = {}
    wrong: dict[str, list[float]] = {}
    for case, score in zip(cases, predicted, strict=True):
        kind = (case.row.get("kind") or "").strip().lower()
        if kind in STRONG_KINDS:
            strong.setdefault(question_key(case), []).append(score)
        elif kind in WRONG_KINDS:
            wrong.setdefault(question_key(case), []).append(score)
    if not strong and not wrong:
        return None
    strong_scores = [s for scores in strong.values() for s in scores]
    wrong_scores = [s for scores in wrong.values() for s in scores]
    both = [key for key in strong if key in wrong]
    apart = [key for key in both if min(strong[key]) - max(wrong[key]) >= APART]
    return {
        "strong_answers": len(strong_scores),
        "strong_mean": float(np.mean(strong_scores)) if strong_scores else float("nan"),
        "strong_under_2_5": sum(1 for s in strong_scores if s < STRONG_FLOOR),
        "wrong_answers": len(wrong_scores),
        "wrong_mean": float(np.mean(wrong_scores)) if wrong_scores else float("nan"),
        "wrong_at_least_3": sum(1 for s in wrong_scores if s >= WRONG_CEILING),
        "questions_with_both": len(both),
        "share_apart": len(apart) / len(both) if both else float("nan"),
    }
