"""The learned verifier: does one answer sentence support a statement, contradict it, or not address it?

A cross-encoder fine-tuned from the bundled MiniLM on pairs written for the purpose (knowledge/verifier/, trained
by `make verifier`, interviewer/grading/train_verifier.py) and shipped as one int8 ONNX file beside this module.
It reads the statement and the sentence together, so it sees what cosine similarity cannot: "not", directions,
swapped roles. Its probabilities are evidence for the score (interviewer/grading/score.py), never the score itself.

This module owns onnxruntime for the verifier and imports it lazily; the tokenizer is the bundled MiniLM's.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from interviewer.errors import ModelError
from interviewer.retrieval.embeddings import bundled_model_path

LABELS = ("support", "contradict", "neutral")
SUPPORT, CONTRADICT, NEUTRAL = range(3)
MODEL_FILE = Path(__file__).with_name("verifier.onnx")
CARD_FILE = Path(__file__).with_name("verifier.json")  # how the shipped file was made: data fingerprint, figures
MAX_PAIR_TOKENS = 128


class Verifier(Protocol):
    """What grading needs of a verifier: probabilities of (support, contradict, neutral) per pair."""

    model_id: str

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(statement, sentence) pairs -> an (n, 3) array of probabilities in LABELS order."""
        ...


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_card(path: Path = CARD_FILE) -> dict[str, Any]:
    """The shipped model's card (training data fingerprint, size, held-out figures), or {} when absent."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _load_pair_tokenizer(model_path: str) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    # The statement is short and authored; a long sentence is what gets cut.
    tokenizer.enable_truncation(MAX_PAIR_TOKENS, strategy="longest_first")
    tokenizer.enable_padding()
    return tokenizer


def encode_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
    """Token ids, attention mask and segment ids for [CLS] statement [SEP] sentence [SEP], as BERT was trained."""
    encodings = tokenizer.encode_batch([(statement, sentence) for statement, sentence in pairs])
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=1, keepdims=True), dtype=np.float32)


class OnnxVerifier:
    """The shipped verifier run by ONNX Runtime; loads on first use (or `warm()`), remembers pairs it has judged
    (an evaluation grades each answer again per calibration fold: ~60k pairs is a dataset's worth, ~30 MB)."""

    def __init__(self, model_file: Path = MODEL_FILE, *, threads: int | None = None,
                 cache_size: int = 60_000) -> None:
        # `threads` pairs run at once, one core each: a pair alone is a small matrix product that two cores split
        # poorly (benchmarks/verifier_bench.py p95: 87 -> 79 ms here, 156 -> 138-150 ms on AVX2 kernels), and the
        # readings are bit for bit the same.
        self.model_file = model_file
        card = load_card(model_file.with_suffix(".json"))
        self.model_id = f"verifier:{card.get('version', model_file.stem)}"
        self._threads = threads
        self._session: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        self._cache_size = cache_size
        self.pairs_read = 0  # pairs run through the model (not answered from the readings kept)

    def warm(self) -> None:
        """Load the model now (e.g. while the candidate reads the question) so the first grade does not wait."""
        self._load()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                if not self.model_file.is_file():
                    raise ModelError(f"the verifier model {self.model_file} is missing; run `make verifier`",
                                     "Verifier missing")
                try:
                    import onnxruntime

                    options = onnxruntime.SessionOptions()
                    options.intra_op_num_threads = 1
                    options.log_severity_level = 3
                    session = onnxruntime.InferenceSession(str(self.model_file), options,
                                                           providers=["CPUExecutionProvider"])
                    tokenizer = _load_pair_tokenizer(bundled_model_path())
                except ImportError as exc:
                    raise ModelError(f"onnxruntime is not installed: {exc}", "Verifier missing") from exc
                except ModelError:
                    raise
                except Exception as exc:  # onnxruntime raises its own types for a damaged file
                    raise ModelError(f"cannot load the verifier {self.model_file}: {exc}",
                                     "Verifier failed to load") from exc
                workers = self._threads or min(2, os.cpu_count() or 1)
                if workers > 1:
                    self._pool = ThreadPoolExecutor(workers, thread_name_prefix="verifier")
                self._session, self._tokenizer = session, tokenizer
        return self._session, self._tokenizer

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Each pair is run alone. The int8 model quantizes its activations with one scale per tensor, taken when
        it runs, so in a batch a pair's reading depends on its neighbours and their padding: on the 1,151 pairs
        of 40 grades, batches of 32 gave 75 of them (6.5%) another verdict than the same pairs read alone, and
        moved readings by up to 0.53. Alone, a pair reads the same in any grade, beside any other sentence, or
        from the cache; and with no padding to compute, a grade's readings are faster (p95 129 -> 87 ms here,
        221 -> 156 ms on AVX2 kernels, before pairs ran two at once)."""
        result = np.zeros((len(pairs), len(LABELS)), dtype=np.float32)
        todo = list(dict.fromkeys(pair for pair in pairs if pair not in self._cache))
        if todo:
            session, tokenizer = self._load()
            self.pairs_read += len(todo)
            # Longest first, so the two cores finish together.
            todo.sort(key=lambda pair: len(pair[0]) + len(pair[1]), reverse=True)
            inputs = [encode_pairs(tokenizer, [pair]) for pair in todo]

            def run(encoded: dict[str, np.ndarray]) -> np.ndarray:
                return np.asarray(session.run(None, encoded)[0], dtype=np.float32)

            try:
                logits = list(self._pool.map(run, inputs)) if self._pool is not None else [run(x) for x in inputs]
            except Exception as exc:  # a runtime failure is a model failure, reported once with a title
                raise ModelError(f"the verifier failed: {exc}", "Verifier failed") from exc
            for pair, row in zip(todo, logits, strict=True):
                if len(self._cache) >= self._cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[pair] = softmax(row)[0]
        for i, pair in enumerate(pairs):
            result[i] = self._cache[pair]
        return result


@lru_cache(maxsize=1)
def default_verifier() -> Verifier | None:
    """The process-wide shipped verifier, or None when its file is not there (grading then says so)."""
    if os.environ.get("INTERVIEWER_VERIFIER", "on").strip().lower() == "off":
        return None
    return OnnxVerifier() if MODEL_FILE.is_file() else None
