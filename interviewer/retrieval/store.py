"""The knowledge store: chunks, their embeddings and the inverted index, in Chroma (through chroma.py).

One Chroma collection (cosine space) holds every chunk with its embedding and metadata (source, heading path,
position, hashes, topic). The collection records which embedding model and chunker built it; a store built with
another model, an older chunker, or one that cannot be read is reported as a StoreError telling the user what
to run, and `interviewer ingest` rebuilds it (a corrupt store is moved aside first, never deleted). Chroma
needs to write to its folder even to search, so a read-only store is reported as such rather than as corrupt.
A store whose index files changed since it last opened cleanly is checked first (chroma.check_index_files).

The collection lives in a local folder (Chroma's embedded PersistentClient) or, with a store URL, on a Chroma
server shared by a team (HttpClient; nothing is written locally then). Requests to a server have bounded connect
and read timeouts, and any failure there is a StoreError naming the URL. Each stored document is the window with
its heading path. BM25's side of a search reads an inverted index kept beside the chunks, in a second
collection of the same store: one record per term (split into parts for common terms) holding the sections it
occurs in with their term frequency, length and topic. A search fetches the postings of its query words by
metadata lookup and nothing else, so no client reads the whole corpus, and the cost of a search grows with how
often its words occur, not with the size of the store. The chunk collection's metadata carries the corpus
statistics (sections, tokens, sections per topic). Each ingest that changed anything rebuilds the index.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.errors import StoreError
from interviewer.retrieval.chroma import (
    GuardedCollection,
    check_index_files,
    forget_clients,
    local_client,
    read_all,
    read_everything,
    read_only_error,
    server_client,
    server_unreachable,
    store_failed,
    writable,
)
from interviewer.retrieval.documents import CHUNKER_VERSION, Chunk
from interviewer.retrieval.embeddings import Embedder

COLLECTION_NAME = "interviewer-knowledge"
LEXICAL_COLLECTION_NAME = "interviewer-lexical"
# 2: documents carry their heading path; metadata carries the lexical statistics. 3: a postings collection.
STORE_SCHEMA_VERSION = 3
_POSTINGS_PER_RECORD = 4000  # a common term's postings are split so no record grows past a few hundred KB
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


class KnowledgeStore:
    """A Chroma collection of chunks. Open it with `open_for_query` or `open_for_ingest`.

    `url` set: the collection is on a Chroma server and `path` is not used.
    """

    def __init__(self, path: Path, embedder: Embedder, collection: Any, url: str | None = None) -> None:
        self.path = path
        self.url = url
        self.embedder = embedder
        self._collection = collection
        # Looked up once, not per search: on a server each lookup costs a heartbeat, a client and a request.
        self._postings_collection: Any = None

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
        client = server_client(url)
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
            raise server_unreachable(url, exc) from exc
        return GuardedCollection(collection, url=url), note

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
        if not writable(path):
            raise read_only_error(path)
        check_index_files(path)
        try:
            collection = GuardedCollection(local_client(path).get_collection(COLLECTION_NAME), path=path)
            metadata = collection.metadata
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises many types for a damaged store; all mean the same here
            raise store_failed(path, exc) from exc
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
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise store_failed(path, exc) from exc
        if not writable(path):
            raise read_only_error(path)
        try:
            check_index_files(path)
            client = local_client(path)
            existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            if COLLECTION_NAME in existing:
                collection = client.get_collection(COLLECTION_NAME)
                problem = cls._mismatch(collection.metadata, embedder)
                if rebuild or problem:
                    note = f"rebuilt the store: {problem}" if problem else "rebuilt the store as asked"
                    client.delete_collection(COLLECTION_NAME)
                else:
                    read_everything(collection)
        except Exception as exc:  # a damaged store: keep it for inspection and start afresh
            if "readonly database" in str(exc):
                raise read_only_error(path) from exc
            reason = exc.title if isinstance(exc, StoreError) else type(exc).__name__
            note = f"the store could not be read ({reason}); moved it to {cls._move_aside(path)} and rebuilt it"
            client = local_client(path)
        collection = client.get_or_create_collection(
            COLLECTION_NAME, embedding_function=None, metadata=cls._expected_metadata(embedder)
        )
        return cls(path, embedder, GuardedCollection(collection, path=path)), note

    @staticmethod
    def _move_aside(path: Path) -> Path:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        forget_clients()
        try:
            shutil.move(str(path), str(aside))
            path.mkdir(parents=True)
        except OSError as exc:
            raise StoreError(
                f"the knowledge store at {path} is damaged and could not be moved aside ({exc.strerror}). "
                f"Move or delete it yourself, then run `interviewer ingest`.",
                "Knowledge store unreadable",
            ) from exc
        return aside

    def seal(self) -> None:
        """Check and record the index files an ingest leaves behind (see check_index_files), so the first search
        does not pay for it; a server store has none here."""
        if self.url is None:
            check_index_files(self.path)

    # --- writing ------------------------------------------------------------------------------------------

    def file_hashes(self) -> dict[str, str]:
        """path -> sha256 of every file the store holds chunks of."""
        records = read_all(self._collection, ["metadatas"])
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

    def update_lexical_index(self, tokenize: Callable[[str], list[str]]) -> None:
        """Rebuild what BM25 needs: the postings of every term (see the module's docstring) and the corpus
        statistics (sections, their tokens, sections per topic) in the collection's metadata, so searching never
        reads the corpus. The corpus is read once per ingest, not per search."""
        records = read_all(self._collection, ["metadatas"])
        sections: dict[str, tuple[str, int]] = {}
        postings: dict[str, list[tuple[str, int, int, str]]] = {}
        for chunk_id, meta in zip(records["ids"], records.get("metadatas") or [], strict=True):
            if not meta or meta.get("section_id") in sections:
                continue
            counts = Counter(tokenize(f"{meta.get('heading', '')}\n{meta.get('section_text', '')}"))
            topic, length = str(meta.get("topic", "")), sum(counts.values())
            sections[str(meta.get("section_id"))] = (topic, length)
            for term, frequency in counts.items():
                # The window id leads to its section and, for a result, to the section's text.
                postings.setdefault(term, []).append((str(chunk_id), frequency, length, topic))
        self._write_postings(postings)
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

    def _lexical(self, *, fresh: bool = False) -> Any:
        """The postings collection, on the same client as the chunks; `fresh` replaces it with an empty one."""
        client = server_client(self.url) if self.url else local_client(self.path)
        guard = {"url": self.url} if self.url else {"path": self.path}
        try:
            if fresh:
                existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
                if LEXICAL_COLLECTION_NAME in existing:
                    client.delete_collection(LEXICAL_COLLECTION_NAME)
                return GuardedCollection(
                    client.create_collection(LEXICAL_COLLECTION_NAME, embedding_function=None), **guard)
            return GuardedCollection(client.get_collection(LEXICAL_COLLECTION_NAME), **guard)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 — a missing index is the same trouble as a damaged one
            raise StoreError(
                f"the knowledge store at {self.location} has no usable search index ({type(exc).__name__}). "
                f"Run `interviewer ingest --rebuild{' --store-url ' + self.url if self.url else ''}`.",
                "Knowledge store out of date",
            ) from exc

    def has_lexical_index(self) -> bool:
        try:
            self._lexical()
        except StoreError:
            return False
        return True

    def _write_postings(self, postings: dict[str, list[tuple[str, int, int, str]]]) -> None:
        collection = self._postings_collection = self._lexical(fresh=True)
        ids: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for term in sorted(postings):
            entries = postings[term]
            for part, start in enumerate(range(0, len(entries), _POSTINGS_PER_RECORD)):
                ids.append(f"{term}#{part}")
                metadatas.append({"term": term, "postings": json.dumps(entries[start : start + _POSTINGS_PER_RECORD],
                                                                       separators=(",", ":"))})
        for start in range(0, len(ids), _ADD_BATCH):
            batch = slice(start, start + _ADD_BATCH)
            # A collection needs vectors; the index is read by metadata lookup only, so each gets a constant one.
            collection.add(ids=ids[batch], metadatas=metadatas[batch], embeddings=[[1.0]] * len(ids[batch]))

    # --- reading ------------------------------------------------------------------------------------------

    def postings(self, terms: Sequence[str]) -> dict[str, list[tuple[str, int, int, str]]]:
        """term -> (window id, term frequency, section length in tokens, topic) of every section it occurs in."""
        if not terms:
            return {}
        query: dict[str, Any] = {"where": {"term": {"$in": list(terms)}}, "include": ["metadatas"]}
        if self._postings_collection is None:
            self._postings_collection = self._lexical()
        try:
            records = self._postings_collection.get(**query)
        except StoreError:
            # Another process's ingest may have replaced the index since it was looked up: look it up again, once.
            self._postings_collection = self._lexical()
            records = self._postings_collection.get(**query)
        found: dict[str, list[tuple[str, int, int, str]]] = {}
        for meta in records.get("metadatas") or []:
            if meta:
                found.setdefault(str(meta["term"]), []).extend(
                    (str(w), int(tf), int(length), str(topic)) for w, tf, length, topic in json.loads(meta["postings"]))
        return found

    def count(self) -> int:
        return int(self._collection.count())

    def all_chunks(self) -> list[StoredChunk]:
        records = read_all(self._collection, ["documents", "metadatas"])
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
