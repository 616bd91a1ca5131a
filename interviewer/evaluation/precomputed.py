"""Vectors encoded up front: grading thousands of answers stays fast when every text the grader will embed is
encoded first in large batches, and the grader is handed those vectors (`with_vectors_up_front`) instead of
asking the embedding model one answer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from interviewer.evaluation.datasets import GradingCase
from interviewer.evaluation.progress import ProgressCallback
from interviewer.grading import Grader
from interviewer.grading.evidence import texts_to_embed as evidence_texts
from interviewer.grading.guards import sanitise
from interviewer.grading.reference_match import texts_to_embed as reference_texts
from interviewer.packs import REFERENCE_ONLY_TAG, Question
from interviewer.retrieval.embeddings import Embedder


class PrecomputedEmbedder:
    """Serves vectors encoded up front in large batches; texts it has not seen go to the real embedder."""

    def __init__(
        self, embedder: Embedder, texts: Sequence[str], on_progress: ProgressCallback | None = None, block: int = 512
    ) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dimension = embedder.dimension
        unique = list(dict.fromkeys(texts))
        self._vectors: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), block):
            part = unique[start : start + block]
            for text, vector in zip(part, embedder.encode(part), strict=True):
                self._vectors[text] = vector
            if on_progress is not None:
                on_progress(min(start + block, len(unique)), len(unique))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [text for text in texts if text not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.encode(missing), strict=True):
                self._vectors[text] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])


def texts_to_embed(cases: Sequence[GradingCase]) -> list[str]:
    """Every text the grader will ask the embedder for (the evidence path's own list, per case)."""
    texts: list[str] = []
    for case in cases:
        texts.extend(case_texts(case.question, case.answer))
    return texts


def case_texts(question: Question, answer: str) -> list[str]:
    """The texts grading `answer` to `question` embeds: its key points, misconceptions and answer spans."""
    sentences = sanitise(answer).sentences
    statements = [point.statement for point in question.key_points] + [m.claim for m in question.misconceptions]
    texts = evidence_texts(statements, sentences)
    if REFERENCE_ONLY_TAG in question.tags:
        texts.extend(reference_texts(question.question, question.reference_answer, sentences))
    return texts


def with_vectors_up_front(grader: Grader, texts: Sequence[str], on_progress: ProgressCallback | None = None) -> Grader:
    """A copy of `grader` whose embedder serves `texts` from vectors encoded now; `grader` itself is unchanged."""
    return replace(grader, embedder=PrecomputedEmbedder(grader.embedder, texts, on_progress))
