"""How well the follow-up check tells a question about the missing key point from one about another point.

For every key point A of the built-in pack, with MiniLM:
- on target: A's authored probe (a question about A in other words), checked as a follow-up for A;
- off target: every other key point B's probe, checked as a follow-up for A.
The check (interviewer/agent/follow_up.py): cosine to A's statement at least a threshold, and A is the closest of
the question's key points. Prints how each threshold, with and without the closest-point rule, splits the two.
"""

from __future__ import annotations

import numpy as np

from interviewer.agent.follow_up import ABOUT_THRESHOLD
from interviewer.packs import load_pack
from interviewer.resources import builtin_packs_dir
from interviewer.retrieval.embeddings import default_embedder

THRESHOLDS = (0.2, 0.25, 0.3, 0.4)


def measure() -> dict[str, float]:
    """For each threshold, with and without the closest-point rule: the share of own and other points accepted."""
    pack = load_pack(builtin_packs_dir() / "genai-core.yaml").pack
    embedder = default_embedder()
    on_target: list[tuple[float, bool]] = []
    off_target: list[tuple[float, bool]] = []
    for question in pack.questions:
        points = question.key_points
        vectors = embedder.encode([p.statement for p in points] + [p.probe for p in points])
        similarities = vectors[len(points):] @ vectors[: len(points)].T  # probe b x statement j
        for a in range(len(points)):
            for b in range(len(points)):
                row = similarities[b]
                closest = int(np.argmax(row)) == a
                (on_target if a == b else off_target).append((float(row[a]), closest))
    on, off = np.array(on_target), np.array(off_target)
    figures = {"key_points": float(len(on)), "own_cosine_median": float(np.median(on[:, 0])),
               "other_cosine_median": float(np.median(off[:, 0]))}
    for threshold in THRESHOLDS:
        for closest_rule in (False, True):
            accept_on = (on[:, 0] >= threshold) & (on[:, 1] > 0 if closest_rule else True)
            accept_off = (off[:, 0] >= threshold) & (off[:, 1] > 0 if closest_rule else True)
            name = f"{threshold:.2f}{'_closest' if closest_rule else ''}"
            figures[f"own_accepted_{name}"] = float(accept_on.mean())
            figures[f"other_accepted_{name}"] = float(accept_off.mean())
    return figures


def main() -> None:
    figures = measure()
    print(f"key points {figures['key_points']:.0f}; cosine to own statement median {figures['own_cosine_median']:.2f}, "
          f"to another point's statement median {figures['other_cosine_median']:.2f}")
    for threshold in THRESHOLDS:
        for closest_rule in (False, True):
            name = f"{threshold:.2f}{'_closest' if closest_rule else ''}"
            mark = "  <- in use" if closest_rule and abs(threshold - ABOUT_THRESHOLD) < 1e-9 else ""
            rule = "+ closest point" if closest_rule else "alone          "
            print(f"threshold {threshold:.2f} {rule}: own point accepted {figures[f'own_accepted_{name}']:.0%}, "
                  f"another point accepted {figures[f'other_accepted_{name}']:.0%}{mark}")


if __name__ == "__main__":
    main()
