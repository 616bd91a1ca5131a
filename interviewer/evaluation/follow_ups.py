"""How often a model's follow-up questions pass the checks: the measurement behind asking it for them at all.

For a sample of the built-in pack's questions, the candidate's answer states the first key point and misses the
others; the model is asked, exactly as in an interview (same prompt, tools and review), for a follow-up about
the heaviest missing point. A follow-up "passes" when the interview would show it instead of the authored probe.
With `--write-calibration` the counts go into the per-model weights file (interviewer/grading/model_weight.py), and an
interview asks the model for follow-ups only if enough of them passed.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.agent.follow_up import write_follow_up
from interviewer.agent.tools import ToolBox
from interviewer.evaluation.progress import Progress
from interviewer.grading.model_weight import MIN_FOLLOW_UP_ACCEPTANCE, ModelWeight
from interviewer.packs import Question
from interviewer.retrieval.embeddings import Embedder

if TYPE_CHECKING:
    from interviewer.config import Settings


@dataclass
class FollowUpTrial:
    question_id: str
    key_point_id: str
    accepted: bool
    text: str
    reason: str | None
    seconds: float


@dataclass
class FollowUpReport:
    model: str
    key: str
    trials: list[FollowUpTrial] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(trial.accepted for trial in self.trials)

    @property
    def seconds_per_follow_up(self) -> float:
        return sum(trial.seconds for trial in self.trials) / max(len(self.trials), 1)

    def reasons(self) -> Counter[str]:
        return Counter((trial.reason or "").split(" (")[0] for trial in self.trials if not trial.accepted)

    def entry(self, measured_on: str) -> ModelWeight:
        return ModelWeight(key=self.key, follow_ups_tried=len(self.trials), follow_ups_accepted=self.accepted,
                           follow_ups_measured_on=measured_on)

    def as_json(self) -> dict[str, object]:
        return {
            "model": self.model, "key": self.key, "tried": len(self.trials), "accepted": self.accepted,
            "seconds_per_follow_up": round(self.seconds_per_follow_up, 2),
            "rejected_because": dict(self.reasons()),
            "trials": [trial.__dict__ for trial in self.trials],
        }


def sample_questions(questions: Sequence[Question], limit: int, seed: int) -> list[Question]:
    usable = [question for question in questions if len(question.key_points) >= 2]
    return random.Random(seed).sample(usable, min(limit, len(usable)))


def measure_follow_ups(
    chat_model: Any, toolbox: ToolBox, embedder: Embedder, questions: Sequence[Question], *, model: str, key: str,
    on_progress: Callable[[int, int], None] | None = None,
) -> FollowUpReport:
    report = FollowUpReport(model=model, key=key)
    for done, question in enumerate(questions, 1):
        answer = question.key_points[0].statement
        missing = max(question.key_points[1:], key=lambda point: point.weight)
        started = time.perf_counter()
        draft = write_follow_up(chat_model, toolbox, embedder, question, missing, [answer])
        report.trials.append(FollowUpTrial(question.id, missing.id, draft.source == "model", draft.text,
                                           draft.rejected, time.perf_counter() - started))
        if on_progress is not None:
            on_progress(done, len(questions))
    return report


def _quiet(_text: str) -> None:
    return None


@dataclass
class FollowUpEvaluation:
    """Every figure `interviewer eval follow-ups` prints, and where the counts were written."""

    report: FollowUpReport
    written_to: Path | None = None

    def as_json(self) -> dict[str, object]:
        payload = self.report.as_json()
        if self.written_to is not None:
            payload["written"] = str(self.written_to)
        return payload

    def lines(self) -> list[str]:
        report, tried = self.report, len(self.report.trials)
        asked = tried and report.accepted / tried >= MIN_FOLLOW_UP_ACCEPTANCE
        lines = [f"{report.model}: {report.accepted} of {tried} follow-ups passed the checks "
                 f"({report.seconds_per_follow_up:.1f} s each); asked in interviews: {'yes' if asked else 'no'}"]
        lines += [f"  rejected {count}x: {reason}" for reason, count in report.reasons().most_common()]
        if self.written_to is not None:
            lines.append(f"written to {self.written_to}")
        return lines


def run_follow_up_evaluation(
    settings: Settings, pack: str, *, model: Path | None = None, limit: int = 20, seed: int = 0,
    write_to: Path | None = None, note: Callable[[str], None] | None = None, progress: Progress | None = None,
) -> FollowUpEvaluation:
    """`interviewer eval follow-ups`: the model writes follow-ups for `limit` of the pack's questions, as in an
    interview (its store looked up through tools, a problem with it told to `note`); the counts are stored for
    this model in `write_to` when given."""
    from interviewer.errors import ModelError
    from interviewer.grading.model_weight import model_key, write_weight
    from interviewer.packs import discover_packs
    from interviewer.resources import builtin_packs_dir
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.wiring import RetrieverOnFirstSearch, build_llm

    progress = progress or Progress()
    catalog = discover_packs(builtin_packs_dir(), settings.user_packs_path)
    questions = sample_questions(catalog.get(pack).pack.questions, limit, seed)
    llm = build_llm(settings, model)
    if not llm.offers_chat_model:
        raise ModelError("follow-ups are written by an in-process model only; pass --model FILE", "Cannot measure")
    retriever = RetrieverOnFirstSearch(settings, note or _quiet)
    toolbox = ToolBox(retriever, None, pack, sorted({question.topic for question in questions}))
    with progress.display:
        report = measure_follow_ups(llm.chat_model(), toolbox, default_embedder(), questions, model=llm.model_id,
                                    key=model_key(llm), on_progress=progress.stage("Writing follow-ups"))
    if write_to is not None:
        write_weight(write_to, report.entry(f"{pack}, {len(questions)} questions, seed {seed}"))
    return FollowUpEvaluation(report, write_to)
