"""Chunk vectors remembered by content, so the same text is never embedded twice.

Embedding is the slow part of an ingest (about 1,000 chunks for the built-in documents, tens of seconds on a
laptop CPU without bf16 matmuls). Two layers answer "what is the vector of this text under this model?":

- the shipped file, knowledge/vectors/<model>.npz: the vectors of the built-in documents' chunks, computed once
  when the documents change (`make vectors`) and checked by the test suite, so a first ingest on a new machine
  embeds nothing it ships with;
- a per-user cache (an SQLite file in the cache folder), filled by every ingest, so a rebuilt or repaired store,
  a second data folder or a changed document costs only the chunks that are new.

Both are keyed by the model's fingerprint (its weights and tokenizer) and a hash of the exact text embedded: a
different model, or a changed chunk, simply misses. The cache is an optimisation only: if its file cannot be
read or written, ingest embeds as before.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from interviewer.resources import knowledge_dir

_KEY_BYTES = 16
_CREATE_TABLE = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:_KEY_BYTES]


def shipped_vectors_path(model_id: str) -> Path:
    return knowledge_dir() / "vectors" / f"{model_id}.npz"


class VectorCache:
    """Look up and remember vectors for one model fingerprint."""

    def __init__(self, fingerprint: str, dimension: int, user_db: Path | None, shipped: Path | None) -> None:
        self.fingerprint = fingerprint
        self.dimension = dimension
        self._shipped: dict[bytes, np.ndarray] = {}
        if shipped is not None:
            self._shipped = _load_shipped(shipped, fingerprint, dimension)
        self._db: sqlite3.Connection | None = None
        if user_db is not None:
            self._db = _open_user_db(user_db)

    def lookup(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        keys = [text_key(text) for text in texts]
        found: list[np.ndarray | None] = [self._shipped.get(key) for key in keys]
        missing = [key for key, vector in zip(keys, found, strict=True) if vector is None]
        if missing and self._db is not None:
            stored = self._user_lookup(missing)
            found = [vector if vector is not None else stored.get(key) for key, vector in zip(keys, found, strict=True)]
        return found

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        if self._db is None or not len(texts):
            return
        rows = [(text_key(text), np.asarray(vector, dtype=np.float32).tobytes()) for text, vector in
                zip(texts, vectors, strict=True)]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors(key, vector) VALUES (?, ?)", rows)
        except sqlite3.Error:
            self._db = None  # a full disk or a damaged file only costs speed

    def _user_lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        assert self._db is not None
        found: dict[bytes, np.ndarray] = {}
        try:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                marks = ",".join("?" * len(part))
                for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dimension,):
                        found[bytes(key)] = vector
        except sqlite3.Error:
            self._db = None
            return {}
        return found


def _load_shipped(path: Path, fingerprint: str, dimension: int) -> dict[bytes, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["fingerprint"]) != fingerprint:
                return {}  # built for other weights: its vectors would be wrong, not just stale
            keys = data["keys"]
            vectors = data["vectors"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        return {}
    if vectors.ndim != 2 or vectors.shape[1] != dimension or keys.shape != (len(vectors), _KEY_BYTES):
        return {}
    return {key.tobytes(): vector for key, vector in zip(keys, vectors, strict=True)}


def _open_user_db(path: Path) -> sqlite3.Connection | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_CREATE_TABLE)
        connection.execute("SELECT count(*) FROM vectors LIMIT 1").fetchone()
        return connection
    except sqlite3.Error:
        # Damaged: start it afresh rather than embed without a cache from now on.
        try:
            path.unlink(missing_ok=True)
            connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
            connection.execute(_CREATE_TABLE)
            return connection
        except (OSError, sqlite3.Error):
            return None
    except OSError:
        return None


def vector_cache_enabled() -> bool:
    """`INTERVIEWER_VECTOR_CACHE=off` embeds every chunk (benchmarks measure the embedder with it)."""
    return os.environ.get("INTERVIEWER_VECTOR_CACHE", "on").strip().lower() not in ("off", "0", "false", "no")


def cache_for(embedder: object) -> VectorCache | None:
    """The cache for `embedder`, or None for an embedder without a fingerprint (a test fake, a custom model)."""
    fingerprint = getattr(embedder, "fingerprint", None)
    if not fingerprint:
        return None
    from interviewer.retrieval.embeddings import cache_root

    model_id = str(getattr(embedder, "model_id", "model"))
    dimension = int(getattr(embedder, "dimension", 0))
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:16]
    return VectorCache(
        fingerprint,
        dimension,
        user_db=cache_root() / "embeddings" / f"vectors-{digest}.sqlite3",
        shipped=shipped_vectors_path(model_id),
    )


def write_shipped_vectors() -> int:
    """`make vectors`: embed every chunk of the built-in documents and write knowledge/vectors/<model>.npz."""
    from interviewer.resources import builtin_docs_dir
    from interviewer.retrieval.documents import chunk_document, find_documents, load_document
    from interviewer.retrieval.embeddings import default_embedder

    embedder = default_embedder()
    texts: list[str] = []
    for path, source in find_documents(builtin_docs_dir()):
        texts.extend(chunk.text_for_embedding() for chunk in chunk_document(load_document(path, source=source)))
    unique = sorted(set(texts))
    vectors = embedder.encode(unique)
    target = shipped_vectors_path(embedder.model_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Raw bytes as uint8 rows: numpy's fixed-width bytes type would drop a key's trailing zero bytes.
    keys = np.frombuffer(b"".join(text_key(text) for text in unique), dtype=np.uint8).reshape(-1, _KEY_BYTES)
    np.savez_compressed(target, fingerprint=np.array(getattr(embedder, "fingerprint", "")), keys=keys,
                        vectors=vectors.astype(np.float32))
    print(f"wrote {len(unique)} vectors to {target}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["--ship"]:
        print("usage: python -m interviewer.retrieval.vector_cache --ship", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(write_shipped_vectors())
