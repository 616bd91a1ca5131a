"""The knowledge store: the only module that imports chromadb.

One Chroma collection (cosine space) holds every chunk with its embedding and metadata (source, heading path,
position, hashes, topic). The collection records which embedding model and chunker built it; a store built with
another model, an older chunker, or one that cannot be read is reported as a StoreError telling the user what
to run, and `interviewer ingest` rebuilds it (a corrupt store is moved aside first, never deleted).

The collection lives in a local folder (Chroma's embedded PersistentClient) or, with a store URL, on a Chroma
server shared by a team (HttpClient; nothing is written locally then). Requests to a server have bounded connect
and read timeouts, and any failure there is a StoreError naming the URL. Each stored document is the window with
its heading path, so the server's full-text search (`where_document` `$regex`) finds the words BM25 scores; the
collection's metadata carries the corpus statistics BM25 needs (sections, tokens, sections per topic), so no
client has to read the whole corpus to search it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.documents import CHUNKER_VERSION, Chunk
from interviewer.embeddings import Embedder
from interviewer.errors import StoreError

COLLECTION_NAME = "interviewer-knowledge"
STORE_SCHEMA_VERSION = 2  # 2: documents carry their heading path; metadata carries the lexical statistics
_ADD_BATCH = 512
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0


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
        heading = str(meta.get("heading", ""))
        if heading and text.startswith(heading + "\n"):
            text = text[len(heading) + 1 :]
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


def section_of_window(chunk_id: str) -> str:
    """A window's id is its section's id plus '-NNNN' (documents.Chunk.chunk_id)."""
    return chunk_id.rsplit("-", 1)[0]


def _client(path: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def _server_unreachable(url: str, exc: BaseException) -> StoreError:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return StoreError(
        f"the knowledge store server at {url} did not answer ({reason}). Start it (`chroma run --path DIR "
        "--host HOST --port PORT`) or unset store_url to use the local store.",
        "Knowledge store server unreachable",
    )


def _http_client(url: str):  # type: ignore[no-untyped-def]
    """chromadb's HttpClient for http(s)://HOST:PORT, its requests bounded by connect and read timeouts."""
    from urllib.parse import urlsplit

    import httpx

    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreError(f"store_url must look like http://HOST:PORT, not {url!r}", "Bad store URL")
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    # HttpClient's own session has no timeout and checks the server while it is built: ask first, with a bound.
    try:
        httpx.get(f"{parts.scheme}://{parts.hostname}:{port}/api/v2/heartbeat", timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        raise _server_unreachable(url, exc) from exc
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        client = chromadb.HttpClient(
            host=parts.hostname, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:  # chromadb wraps transport errors in assorted types
        raise _server_unreachable(url, exc) from exc
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = timeout
    return client


class _GuardedCollection:
    """A server collection whose every call turns a transport or server failure into a StoreError naming the URL."""

    def __init__(self, collection: Any, url: str) -> None:
        self._collection = collection
        self._url = url

    @property
    def metadata(self) -> Any:
        return self._collection.metadata

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._collection, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except Exception as exc:  # httpx errors, chromadb's HTTP errors: all mean the server failed us
                raise _server_unreachable(self._url, exc) from exc

        return guarded


def _forget_clients() -> None:
    """Chroma caches one client per path, holding the old files open; drop it before replacing a store."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


class KnowledgeStore:
    """A Chroma collection of chunks. Open it with `open_for_query` or `open_for_ingest`.

    `url` set: the collection is on a Chroma server and `path` is not used.
    """

    def __init__(self, path: Path, embedder: Embedder, collection: Any, url: str | None = None) -> None:
        self.path = path
        self.url = url
        self.embedder = embedder
        self._collection = collection

    @property
    def location(self) -> str:
        return self.url or str(self.path)

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
    def _open_server_collection(cls, url: str, embedder: Embedder, *, create: bool, rebuild: bool) -> tuple[Any, str]:
        client = _http_client(url)
        note = ""
        try:
            existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            if COLLECTION_NAME not in existing:
                if not create:
                    raise StoreError(
                        f"the knowledge store server at {url} holds no knowledge store yet. Build it with "
                        f"`interviewer ingest --store-url {url}`.",
                        "Knowledge store missing",
                    )
            elif create:
                problem = cls._mismatch(client.get_collection(COLLECTION_NAME).metadata, embedder)
                if rebuild or problem:
                    note = f"rebuilt the store: {problem}" if problem else "rebuilt the store as asked"
                    client.delete_collection(COLLECTION_NAME)
            collection = client.get_or_create_collection(
                COLLECTION_NAME, embedding_function=None, metadata=cls._expected_metadata(embedder)
            ) if create else client.get_collection(COLLECTION_NAME)
        except StoreError:
            raise
        except Exception as exc:  # transport errors and chromadb's HTTP errors alike
            raise _server_unreachable(url, exc) from exc
        return _GuardedCollection(collection, url), note

    @classmethod
    def open_for_query(cls, path: Path, embedder: Embedder, url: str | None = None) -> KnowledgeStore:
        if url:
            collection, _ = cls._open_server_collection(url, embedder, create=False, rebuild=False)
            problem = cls._mismatch(collection.metadata, embedder)
            if problem:
                raise StoreError(
                    f"the knowledge store at {url} cannot be used: {problem}. "
                    f"Run `interviewer ingest --rebuild --store-url {url}`.",
                    "Knowledge store out of date",
                )
            return cls(path, embedder, collection, url)
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
        cls, path: Path, embedder: Embedder, rebuild: bool = False, url: str | None = None
    ) -> tuple[KnowledgeStore, str]:
        """Open or create the store for writing. Returns the store and a note on anything it had to repair."""
        if url:
            collection, note = cls._open_server_collection(url, embedder, create=True, rebuild=rebuild)
            return cls(path, embedder, collection, url), note
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
                documents=[chunk.text_for_embedding() for chunk in batch],
                metadatas=[_chunk_metadata(chunk) for chunk in batch],
                embeddings=vectors[start : start + _ADD_BATCH].tolist(),
            )

    def update_lexical_statistics(self, count_tokens: Callable[[str], int]) -> None:
        """Record what BM25 needs about the whole corpus (sections, their tokens, sections per topic) in the
        collection's metadata, so searching never reads the corpus. Read once per ingest, not per search."""
        records = self._collection.get(include=["metadatas"])
        sections: dict[str, tuple[str, int]] = {}
        for meta in records.get("metadatas") or []:
            if meta and meta.get("section_id") not in sections:
                text = f"{meta.get('heading', '')}\n{meta.get('section_text', '')}"
                sections[str(meta.get("section_id"))] = (str(meta.get("topic", "")), count_tokens(text))
        per_topic: dict[str, int] = {}
        for topic, _ in sections.values():
            per_topic[topic] = per_topic.get(topic, 0) + 1
        metadata = {key: value for key, value in self._expected_metadata(self.embedder).items() if key != "hnsw:space"}
        metadata.update(
            lexical_sections=len(sections),
            lexical_tokens=sum(tokens for _, tokens in sections.values()),
            lexical_topics=json.dumps(per_topic, sort_keys=True),
        )
        self._collection.modify(metadata=metadata)

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

    def lexical_statistics(self) -> tuple[int, float, dict[str, int]]:
        """(sections, mean tokens per section, sections per topic), as recorded by the last ingest."""
        metadata = self._collection.metadata or {}
        sections = int(metadata.get("lexical_sections", 0))
        tokens = float(metadata.get("lexical_tokens", 0))
        per_topic = json.loads(str(metadata.get("lexical_topics", "{}")))
        return sections, tokens / sections if sections else 0.0, per_topic

    def windows_matching(self, pattern: str, limit: int, topics: Sequence[str] | None = None) -> list[str]:
        """Ids of up to `limit` windows whose text (with its heading path) matches a regular expression."""
        result = self._collection.get(
            where_document={"$regex": pattern}, where=_topic_filter(topics), include=[], limit=limit
        )
        return list(result["ids"])

    def sections(self, window_ids: Sequence[str]) -> dict[str, StoredChunk]:
        """The sections of some windows (section id -> one of its windows, carrying the section's text)."""
        if not window_ids:
            return {}
        records = self._collection.get(ids=list(window_ids), include=["documents", "metadatas"])
        found: dict[str, StoredChunk] = {}
        for chunk_id, text, meta in zip(
            records["ids"], records.get("documents") or [], records.get("metadatas") or [], strict=True
        ):
            chunk = StoredChunk.from_record(chunk_id, text or "", meta or {})
            found.setdefault(chunk.section_id, chunk)
        return found

    def nearest(
        self, vector: np.ndarray, n: int, topics: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the n nearest chunks, optionally only from some topics."""
        total = self.count()
        if total == 0:
            return []
        result = self._collection.query(
            query_embeddings=[vector.tolist()], n_results=min(n, total), where=_topic_filter(topics),
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = (result.get("distances") or [[]])[0]
        return [(chunk_id, 1.0 - float(distance)) for chunk_id, distance in zip(ids, distances, strict=True)]


def _topic_filter(topics: Sequence[str] | None) -> dict[str, Any] | None:
    if not topics:
        return None
    return {"topic": topics[0]} if len(topics) == 1 else {"topic": {"$in": list(topics)}}
