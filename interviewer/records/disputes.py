"""Disputed grades as grading data: the candidate's fair scores in the CSV `interviewer eval grading` reads.

A dispute (`History.record_dispute`) says "this answer deserved that score". Written as a row of the grading
dataset (question, reference_answer, student_answer, score, key_points; see evaluation/datasets.py), it joins the
hand-scored answers the calibration is fitted on, so the grader can be refitted with `--fit-calibration`. The
question text, reference answer and key points come from the pack as installed now, since the history keeps only
what the candidate was asked; a dispute whose pack or question is gone cannot be written and is skipped with the
reason. A follow-up asked about one key point, so its row pairs the follow-up's own prompt with that key point's
statement as the reference. The extra columns (interviewer_score, note, question_id, pack) are for the reader;
the loader ignores columns it does not know.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from interviewer.packs import Pack
from interviewer.records.sessions import DisputeRecord

GRADING_CSV_COLUMNS = (
    "question",
    "reference_answer",
    "student_answer",
    "score",
    "key_points",
    "interviewer_score",
    "note",
    "question_id",
    "pack",
)


@dataclass(frozen=True)
class DisputeRows:
    """The disputes that could be written as grading rows, and why each of the others could not."""

    rows: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _key_point_cell(statements: Iterable[str]) -> str:
    # The loader splits the cell on ';', so a ';' inside a statement would cut it in two.
    return "; ".join(statement.replace(";", ",") for statement in statements)


def _score_text(score: float | None) -> str:
    return "" if score is None else f"{float(score):.1f}"


def grading_rows(disputes: Iterable[DisputeRecord], packs: Mapping[str, Pack]) -> DisputeRows:
    """Grading-dataset rows for disputes as `History.disputes()` lists them; `packs` maps pack name to pack."""
    result = DisputeRows()
    for dispute in disputes:
        where = f"{dispute.session_id} {dispute.turn} ({dispute.pack}/{dispute.question_id})"
        pack = packs.get(dispute.pack)
        if pack is None:
            result.skipped.append(f"{where}: the pack '{dispute.pack}' is not installed")
            continue
        question = next((q for q in pack.questions if q.id == dispute.question_id), None)
        if question is None:
            result.skipped.append(f"{where}: the pack has no question '{dispute.question_id}' any more")
            continue
        if dispute.kind == "follow-up":
            point = next((p for p in question.key_points if p.id == dispute.key_point_id), None)
            if point is None:
                result.skipped.append(f"{where}: the question has no key point '{dispute.key_point_id}' any more")
                continue
            asked, reference, key_points = dispute.prompt, point.statement, [point.statement]
        else:
            asked, reference = question.question, question.reference_answer
            key_points = [point.statement for point in question.key_points]
        result.rows.append(
            {
                "question": asked,
                "reference_answer": reference,
                "student_answer": dispute.answer,
                "score": _score_text(dispute.dispute_score),
                "key_points": _key_point_cell(key_points),
                "interviewer_score": _score_text(dispute.overall),
                "note": dispute.dispute_note or "",
                "question_id": question.id,
                "pack": pack.name,
            }
        )
    return result


def write_grading_csv(rows: Iterable[dict[str, str]], handle: TextIO) -> None:
    """Rows as CSV with a header; open `handle` with newline='' so quoted line breaks in answers survive."""
    writer = csv.DictWriter(handle, fieldnames=GRADING_CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)


# A dispute says the grade was wrong by at least this much upwards: then each "wrong" verdict it carried was likely
# a false alarm, and the sentence it quoted is a training example of what the statement does not rule out.
DISPUTED_ERROR_MARGIN = 1.5


def verifier_pairs(disputes: Iterable[DisputeRecord]) -> list[dict[str, str]]:
    """Verifier training pairs proposed by disputes (knowledge/verifier/pairs.jsonl lines), to review first.

    A disputed grade that found a wrong claim, where the candidate's fair score is well above the grade, gives
    the sentence it quoted against the statement: for a contradicted key point labelled `support` (the candidate
    says the sentence makes the point), for a misconception labelled `contradict` (the sentence denies the wrong
    claim rather than stating it). A reviewer may relabel a pair as neutral before adding it. The grade is read
    as stored, leniently (a grade that is not valid JSON reads as none)."""
    pairs = []
    for dispute in disputes:
        grade = dispute.grade or {}
        given, fair = dispute.overall, dispute.dispute_score
        if given is None or fair - given < DISPUTED_ERROR_MARGIN:
            continue
        group = f"dispute/{dispute.pack}/{dispute.question_id}"
        source = f"dispute/{dispute.session_id}/{dispute.turn}"
        for point in grade.get("key_points") or []:
            if point.get("status") == "contradicted" and point.get("evidence_quote"):
                pairs.append({"statement": str(point["statement"]), "sentence": str(point["evidence_quote"]),
                              "label": "support", "how": "disputed", "group": group,
                              "source": f"{source}/kp:{point.get('key_point_id', '')}"})
        for index, hit in enumerate(grade.get("misconceptions") or []):
            if hit.get("quote"):
                pairs.append({"statement": str(hit["claim"]), "sentence": str(hit["quote"]), "label": "contradict",
                              "how": "disputed", "group": group, "source": f"{source}/mc:{index}"})
    return pairs
