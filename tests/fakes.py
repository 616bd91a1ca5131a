"""Fakes at the project's own seams: deterministic embedders (and, later, a scripted LLM)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from interviewer.retrieval import tokenize


class BagOfWordsEmbedder:
    """Hashes stemmed words into a fixed-size vector: deterministic, instant, and shared words rank higher.

    Good for plumbing tests and for tests where ranking matters in an obvious way; it knows no synonyms.
    """

    def __init__(self, dimension: int = 384, model_id: str = "fake-bag-of-words") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def _bucket(self, token: str) -> int:
        return int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in tokenize(text):
                vectors[row, self._bucket(token)] += 1.0
            norm = np.linalg.norm(vectors[row])
            if norm > 0:
                vectors[row] /= norm
            else:
                vectors[row, 0] = 1.0
        return vectors

    @property
    def texts_encoded(self) -> int:
        return sum(len(call) for call in self.calls)
