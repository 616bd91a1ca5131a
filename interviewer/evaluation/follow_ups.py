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
from typing import Any

from interviewer.agent.follow_up import write_follow_up
from interviewer.agent.tools import ToolBox
from interviewer.grading.model_weight import ModelWeight
from interviewer.packs import Question
from interviewer.retrieval.embeddings import Embedder


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
