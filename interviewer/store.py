"""The persistent knowledge store: the only module that imports chromadb.

One Chroma collection (cosine space) holds every chunk with its embedding and metadata (source, heading path,
position, hashes, topic). The collection records which embedding model and chunker built it; a store built with
another model, an older chunker, or one that cannot be read is reported as a StoreError telling the user what
to run, and `interviewer ingest` rebuilds it (a corrupt store is moved aside first, never deleted).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.documents import CHUNKER_VERSION, Chunk
from interviewer.embeddings import Embedder
from interviewer.errors import StoreError

COLLECTION_NAME = "interviewer-knowledge"
STORE_SCHEMA_VERSION = 1
_ADD_BATCH = 512


@dataclass(frozen=True)
class StoredChunk:
    chunk_id: str
    text: str
    section_id: str
    section_text: str
    source: str
    heading: str
    section: str
    topic: str
    position: int
    path: str

    @classmethod
    def from_record(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> StoredChunk:
        return cls(
            chunk_id=chunk_id,
            text=text,
            section_id=str(meta.get("section_id", chunk_id)),
            section_text=str(meta.get("section_text", text)),
            source=str(meta.get("source", "")),
            heading=str(meta.get("heading", "")),
            section=str(meta.get("section", "")),
            topic=str(meta.get("topic", "")),
            position=int(meta.get("position", 0)),
            path=str(meta.get("path", "")),
        )


def _chunk_metadata(chunk: Chunk) -> dict[str, Any]:
    return {
        "source": chunk.source,
        "path": chunk.path,
        "topic": chunk.topic,
        "title": chunk.title,
        "heading": chunk.heading,
        "section": chunk.section,
        "section_id": chunk.section_id,
        # Every window carries its whole section so a hit on any window can return the full section.
        "section_text": chunk.section_text,
        "position": chunk.position,
        "chunk_hash": chunk.chunk_hash,
        "file_sha256": chunk.file_sha256,
    }


def _client(path: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def _forget_clients() -> None:
    """Chroma caches one client per path, holding the old files open; drop it before replacing a store."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


class KnowledgeStore:
    """A Chroma collection of chunks. Open it with `open_for_query` or `open_for_ingest`."""

    def __init__(self, path: Path, embedder: Embedder, collection: Any) -> None:
        self.path = path
        self.embedder = embedder
        self._collection = collection

    # --- opening ------------------------------------------------------------------------------------------

    @staticmethod
    def _expected_metadata(embedder: Embedder) -> dict[str, Any]:
        return {
            "hnsw:space": "cosine",
            "embedding_model": embedder.model_id,
            "embedding_dimension": embedder.dimension,
            "chunker_version": CHUNKER_VERSION,
            "schema_version": STORE_SCHEMA_VERSION,
        }

    @staticmethod
    def _mismatch(metadata: dict[str, Any] | None, embedder: Embedder) -> str | None:
        metadata = metadata or {}
        if metadata.get("embedding_model") != embedder.model_id:
            built_with = metadata.get("embedding_model")
            return f"it was built with the embedding model '{built_with}', not '{embedder.model_id}'"
        if metadata.get("embedding_dimension") != embedder.dimension:
            return (
                f"its vectors have {metadata.get('embedding_dimension')} dimensions, not {embedder.dimension}"
            )
        if (
            metadata.get("chunker_version") != CHUNKER_VERSION
            or metadata.get("schema_version") != STORE_SCHEMA_VERSION
        ):
            return "it was built by an older version of interviewer"
        return None

    @classmethod
    def open_for_query(cls, path: Path, embedder: Embedder) -> KnowledgeStore:
        if not (path / "chroma.sqlite3").is_file():
            raise StoreError(
                f"no knowledge store at {path}. Build it with `interviewer ingest` (or `make run`).",
                "Knowledge store missing",
            )
        try:
            collection = _client(path).get_collection(COLLECTION_NAME)
            metadata = collection.metadata
        except Exception as exc:  # chromadb raises many types for a damaged store; all mean the same here
            raise StoreError(
                f"the knowledge store at {path} cannot be read ({type(exc).__name__}: {exc}). "
                "Run `interviewer ingest --rebuild` to rebuild it.",
                "Knowledge store unreadable",
            ) from exc
        problem = cls._mismatch(metadata, embedder)
        if problem:
            raise StoreError(
                f"the knowledge store at {path} cannot be used: {problem}. Run `interviewer ingest --rebuild`.",
                "Knowledge store out of date",
            )
        return cls(path, embedder, collection)

    @classmethod
    def open_for_ingest(
        cls, path: Path, embedder: Embedder, rebuild: bool = False
    ) -> tuple[KnowledgeStore, str]:
        """Open or create the store for writing. Returns the store and a note on anything it had to repair."""
        note = ""
        path.mkdir(parents=True, exist_ok=True)
        try:
            client = _client(path)
            existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            if COLLECTION_NAME in existing:
                collection = client.get_collection(COLLECTION_NAME)
                problem = cls._mismatch(collection.metadata, embedder)
                if rebuild or problem:
                    note = f"rebuilt the store: {problem}" if problem else "rebuilt the store as asked"
                    client.delete_collection(COLLECTION_NAME)
        except Exception as exc:  # a damaged store: keep it for inspection and start afresh
            aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            _forget_clients()
            shutil.move(str(path), str(aside))
            path.mkdir(parents=True)
            client = _client(path)
            note = f"the store could not be read ({type(exc).__name__}); moved it to {aside} and rebuilt it"
        collection = client.get_or_create_collection(
            COLLECTION_NAME, embedding_function=None, metadata=cls._expected_metadata(embedder)
        )
        return cls(path, embedder, collection), note

    # --- writing ------------------------------------------------------------------------------------------

    def file_hashes(self) -> dict[str, str]:
        """path -> sha256 of every file the store holds chunks of."""
        records = self._collection.get(include=["metadatas"])
        hashes: dict[str, str] = {}
        for meta in records.get("metadatas") or []:
            if meta:
                hashes[str(meta.get("path"))] = str(meta.get("file_sha256"))
        return hashes

    def remove_file(self, path: str) -> None:
        self._collection.delete(where={"path": path})

    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        for start in range(0, len(chunks), _ADD_BATCH):
            batch = chunks[start : start + _ADD_BATCH]
            self._collection.add(
                ids=[chunk.chunk_id for chunk in batch],
                documents=[chunk.text for chunk in batch],
                metadatas=[_chunk_metadata(chunk) for chunk in batch],
                embeddings=vectors[start : start + _ADD_BATCH].tolist(),
            )

    # --- reading ------------------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self._collection.count())

    def all_chunks(self) -> list[StoredChunk]:
        records = self._collection.get(include=["documents", "metadatas"])
        chunks = [
            StoredChunk.from_record(chunk_id, text or "", meta or {})
            for chunk_id, text, meta in zip(
                records["ids"], records.get("documents") or [], records.get("metadatas") or [], strict=True
            )
        ]
        chunks.sort(key=lambda chunk: (chunk.source, chunk.position))
        return chunks

    def nearest(
        self, vector: np.ndarray, n: int, topics: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks, optionally only from some topics."""
        total = self.count()
        if total == 0:
            return []
        where: dict[str, Any] | None = None
        if topics:
            where = {"topic": topics[0]} if len(topics) == 1 else {"topic": {"$in": list(topics)}}
        result = self._collection.query(
            query_embeddings=[vector.tolist()], n_results=min(n, total), where=where, include=["distances"]
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances, strict=True)]
