"""Measuring retrieval: recall@1, recall@k and MRR over a `query<TAB>pattern` file.

The file format is a contract: one case per line, `query<TAB>pattern`, where a retrieved chunk is a hit when
the case-insensitive regular expression `pattern` matches its heading or its text. Blank lines and lines
starting with '#' are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from interviewer.errors import DatasetError
from interviewer.evaluation.progress import Progress
from interviewer.resources import builtin_eval_dir
from interviewer.retrieval.search import RetrievedChunk, Retriever

if TYPE_CHECKING:
    from interviewer.config import Settings


def default_retrieval_dataset() -> Path:
    return builtin_eval_dir() / "retrieval.tsv"


@dataclass(frozen=True)
class RetrievalCase:
    line: int
    query: str
    pattern: re.Pattern[str]

    def is_hit(self, chunk: RetrievedChunk) -> bool:
        return bool(self.pattern.search(chunk.heading) or self.pattern.search(chunk.text))


def load_retrieval_dataset(path: Path) -> list[RetrievalCase]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise DatasetError(f"{path}:{number}: expected 'query<TAB>pattern'")
        try:
            pattern = re.compile(parts[1].strip(), re.IGNORECASE)
        except re.error as exc:
            raise DatasetError(f"{path}:{number}: invalid regular expression: {exc}") from exc
        cases.append(RetrievalCase(number, parts[0].strip(), pattern))
    if not cases:
        raise DatasetError(f"{path} holds no 'query<TAB>pattern' lines")
    return cases


@dataclass
class RetrievalEvalReport:
    k: int
    cases: int
    recall_at_1: float
    recall_at_k: float
    mrr: float
    misses: list[dict[str, object]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "k": self.k,
            "cases": self.cases,
            "recall@1": round(self.recall_at_1, 4),
            f"recall@{self.k}": round(self.recall_at_k, 4),
            "mrr": round(self.mrr, 4),
            "misses": self.misses,
        }

    def lines(self) -> list[str]:
        """What `interviewer eval retrieval` prints."""
        lines = [f"queries {self.cases}  recall@1 {self.recall_at_1:.3f}  recall@{self.k} {self.recall_at_k:.3f}  "
                 f"MRR {self.mrr:.3f}"]
        lines += [f"  miss (line {miss['line']}): {miss['query']}  -> top: {miss['top']}" for miss in self.misses]
        return lines


def evaluate_retrieval(
    retriever: Retriever, cases: Sequence[RetrievalCase], k: int = 5,
    on_progress: Callable[[int, int], None] | None = None,
) -> RetrievalEvalReport:
    hits_at_1 = hits_at_k = 0
    reciprocal_ranks = 0.0
    misses = []
    for done, case in enumerate(cases, 1):
        if on_progress is not None:
            on_progress(done - 1, len(cases))
        results = retriever.search(case.query, k=k)
        rank = next((i for i, chunk in enumerate(results, start=1) if case.is_hit(chunk)), None)
        if rank is None:
            misses.append(
                {
                    "line": case.line,
                    "query": case.query,
                    "pattern": case.pattern.pattern,
                    "top": results[0].citation if results else None,
                }
            )
            continue
        hits_at_k += 1
        hits_at_1 += rank == 1
        reciprocal_ranks += 1.0 / rank
    n = len(cases)
    return RetrievalEvalReport(k, n, hits_at_1 / n, hits_at_k / n, reciprocal_ranks / n, misses)


def run_retrieval_evaluation(
    settings: Settings, dataset: Path | None = None, *, k: int = 5, fusion: str = "zscore",
    progress: Progress | None = None,
) -> RetrievalEvalReport:
    """`interviewer eval retrieval`: the settings' store searched for every query of `dataset` (default: the
    built-in query set)."""
    from interviewer.wiring import build_retriever

    progress = progress or Progress()
    cases = load_retrieval_dataset(dataset or default_retrieval_dataset())
    with progress.display:
        retriever = build_retriever(settings, fusion)
        return evaluate_retrieval(retriever, cases, k=k, on_progress=progress.stage("Searching"))
