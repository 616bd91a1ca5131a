"""Hand-made grades for tests of what is built from the history (reports, Anki export): no grader, no model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from interviewer.grading import Grade
from interviewer.packs import Pack, load_pack
from interviewer.records.history import History

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ATTENTION = "transformers-scaled-dot-product"
LLM = "llm-basics-what-is-an-llm"


def starter_pack() -> Pack:
    return load_pack(FIXTURES / "packs" / "starter.yaml").pack


def make_grade(
    pack: Pack, question_id: str, statuses: dict[str, str], overall: float, **extra: Any
) -> dict[str, Any]:
    """A grade dict as the interview stores it (`Grade.model_dump(mode='json')`), key point statuses chosen by hand."""
    question = pack.question(question_id)
    points = []
    for point in question.key_points:
        status = statuses.get(point.id, "covered")
        points.append({
            "key_point_id": point.id, "statement": point.statement, "weight": point.weight, "status": status,
            "coverage": {"covered": 0.9, "partly": 0.4, "missing": 0.05, "contradicted": 0.05}[status],
            "evidence_quote": None if status == "missing" else f"quote for {point.id}",
            "similarity": 0.5, "word_overlap": 0.5, "model_verdict": None, "model_quote_verified": None,
            "probe": point.probe,
        })
    level = int(round(overall))
    grade = {
        "schema_version": 1, "question_id": question_id, "overall": overall, "percent": int(round(overall * 20)),
        "criteria": [
            {"criterion": name, "score": level, "descriptor": f"{name} level {level}", "justification": "test"}
            for name in ("correctness", "completeness", "depth", "clarity")
        ],
        "key_points": points, "strengths": [], "gaps": [], "advice": [f"Think about: {question.key_points[0].probe}"],
        "guard": None, "flags": [], "explanation": f"weighted coverage gives {overall:.1f}/5.",
        "citations": [{"source": "transformers.md", "heading": "Attention", "section_id": "transformers.md#3"}],
        "evidence_only": True, "model_id": None, "model_note": None, "prompt_version": "grading@test", "seed": 0,
        "calibration_version": "test", "timings": {},
    }
    grade.update(extra)
    # Through the real model, so these hand-made grades cannot drift from what the grader stores.
    return Grade.model_validate(grade).model_dump(mode="json")


def grade_attempt(history: History, attempt_id: int, grade: dict[str, Any]) -> None:
    history.record_grade(attempt_id, json.dumps(grade), grade["overall"], None, "grading@test")
