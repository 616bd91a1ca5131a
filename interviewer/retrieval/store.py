"""The knowledge store: the only module that imports chromadb.

One Chroma collection (cosine space) holds every chunk with its embedding and metadata (source, heading path,
position, hashes, topic). The collection records which embedding model and chunker built it; a store built with
another model, an older chunker, or one that cannot be read is reported as a StoreError telling the user what
to run, and `interviewer ingest` rebuilds it (a corrupt store is moved aside first, never deleted). Chroma
needs to write to its folder even to search, so a read-only store is reported as such rather than as corrupt.
Chroma trusts its index files blindly (a damaged HNSW file crashes the process outright), so a store whose index
files changed since it last opened cleanly is first opened in a child process (check_index_files), and refused as
damaged if that crashes, hangs or fails.

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

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.errors import StoreError
from interviewer.retrieval.documents import CHUNKER_VERSION, Chunk
from interviewer.retrieval.embeddings import Embedder

COLLECTION_NAME = "interviewer-knowledge"
LEXICAL_COLLECTION_NAME = "interviewer-lexical"
MANIFEST_NAME = "interviewer-files.json"
# 2: documents carry their heading path; metadata carries the lexical statistics. 3: a postings collection.
STORE_SCHEMA_VERSION = 3
_POSTINGS_PER_RECORD = 4000  # a common term's postings are split so no record grows past a few hundred KB
_ADD_BATCH = 512
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 60.0  # opening a store in a child process; a large index loads in seconds


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


def _read_only(path: Path) -> StoreError:
    return StoreError(
        f"the knowledge store at {path} is read-only, and Chroma writes to its folder even to search. Make it "
        "writable (or set store_dir to a writable folder) and run `interviewer ingest`.",
        "Knowledge store read-only",
    )


def _store_failed(path: Path, exc: BaseException) -> StoreError:
    """The one message for a local store Chroma cannot read, whatever Chroma raised."""
    if "readonly database" in str(exc) or (isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES)):
        return _read_only(path)
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return StoreError(
        f"the knowledge store at {path} cannot be read ({reason}). Run `interviewer ingest --rebuild` to rebuild it.",
        "Knowledge store unreadable",
    )


def _writable(path: Path) -> bool:
    """Whether the store folder and its database can be written (False on a read-only file system, even for root)."""
    database = path / "chroma.sqlite3"
    return os.access(path, os.W_OK) and (not database.exists() or os.access(database, os.W_OK))


def _index_files(path: Path) -> dict[str, Path]:
    """Chroma's own index files in a store folder. Not the SQLite database, whose damage Chroma reports as an
    error; not length.bin, which Chroma rewrites with different bytes each time it opens an index it has not
    flushed yet (any store under ~1,000 windows) and whose damage it survives (measured: overwritten, it still
    searched correctly)."""
    return {
        str(file.relative_to(path)): file
        for file in sorted(path.rglob("*"))
        if file.is_file() and not file.name.startswith(("chroma.sqlite3", MANIFEST_NAME)) and file.name != "length.bin"
    }


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _index_state(path: Path) -> dict[str, list[Any]]:
    return {name: [file.stat().st_size, _file_sha256(file)] for name, file in _index_files(path).items()}


def _recorded_state(path: Path) -> dict[str, list[Any]] | None:
    try:
        recorded = json.loads((path / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return recorded if isinstance(recorded, dict) else None


def _probe_in_child(path: Path, timeout_s: float) -> str | None:
    """Open the store and search it once in a separate process: None when that works, else what went wrong.

    A separate process because a damaged HNSW file can make Chroma crash the process (SIGSEGV) or never return.
    """
    code = "import sys; from interviewer.retrieval.store import probe_store; probe_store(sys.argv[1])"
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              timeout=timeout_s, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    except subprocess.TimeoutExpired:
        return f"Chroma did not open it within {timeout_s:.0f} s"
    except OSError:  # no process could be started: nothing was learnt about the store, so Chroma is trusted
        return None
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"Chroma crashed reading it (signal {-done.returncode})"
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return " ".join((lines[-1] if lines else f"exit status {done.returncode}").split())[:300]


def probe_store(path: str) -> None:
    """What `_probe_in_child` runs: read every record of every collection in the store and search each index once
    (a damaged index crashes Chroma whichever collection it belongs to)."""
    client = _client(Path(path))
    for listed in client.list_collections():
        name = listed.name if hasattr(listed, "name") else str(listed)
        KnowledgeStore._read_everything(client.get_collection(name))


def check_index_files(path: Path, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Refuse a store whose index files Chroma cannot read, before Chroma reads them in this process.

    The files' sizes and hashes are recorded once a store has been opened successfully; while they match, nothing
    more is done. When they differ (an ingest wrote them, Chroma rewrote them when it was next opened, or they were
    damaged), the store is opened once in a child process, and only a store that opens there is recorded again.
    """
    state = _index_state(path)
    if not state or _recorded_state(path) == state:
        return
    problem = _probe_in_child(path, timeout_s)
    if problem is not None:
        raise StoreError(
            f"the knowledge store at {path} is damaged: {problem}. Run `interviewer ingest --rebuild` to rebuild it.",
            "Knowledge store damaged",
        )
    temporary = path / f"{MANIFEST_NAME}.{os.getpid()}.tmp"
    try:
        temporary.write_text(json.dumps({"files": _index_state(path)}, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path / MANIFEST_NAME)
    except OSError:
        temporary.unlink(missing_ok=True)  # unrecorded, the next open checks again: slower, never wrong


class _GuardedCollection:
    """A collection whose every call turns a failure (a server down, a damaged file) into one titled StoreError.

    Chroma raises many exception types for the same trouble; the caller only needs to know the store failed.
    """

    def __init__(self, collection: Any, url: str | None = None, path: Path | None = None) -> None:
        self._collection = collection
        self._url = url
        self._path = path

    def _error(self, exc: BaseException) -> StoreError:
        if self._url is not None:
            return _server_unreachable(self._url, exc)
        assert self._path is not None
        return _store_failed(self._path, exc)

    @property
    def metadata(self) -> Any:
        try:
            return self._collection.metadata
        except Exception as exc:  # noqa: BLE001 — as for any call
            raise self._error(exc) from exc

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._collection, name)

        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:  # httpx errors, chromadb's HTTP and internal errors: the store failed us
                raise self._error(exc) from exc

        return guarded


_PAGE = 5000  # records per read: one unbounded get() over 100k records exceeds SQLite's variable limit


def _read_all(collection: Any, include: list[str]) -> dict[str, list[Any]]:
    """Every record's id and the `include`d fields, read a page at a time."""
    merged: dict[str, list[Any]] = {"ids": [], **{field: [] for field in include}}
    offset = 0
    while True:
        page = collection.get(include=include, limit=_PAGE, offset=offset)
        merged["ids"].extend(page["ids"])
        for field in include:
            merged[field].extend(page.get(field) or [])
        if len(page["ids"]) < _PAGE:
            return merged
        offset += _PAGE


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
        return _GuardedCollection(collection, url=url), note

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
        if not _writable(path):
            raise _read_only(path)
        check_index_files(path)
        try:
            collection = _GuardedCollection(_client(path).get_collection(COLLECTION_NAME), path=path)
            metadata = collection.metadata
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises many types for a damaged store; all mean the same here
            raise _store_failed(path, exc) from exc
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
            raise _store_failed(path, exc) from exc
        if not _writable(path):
            raise _read_only(path)
        try:
            check_index_files(path)
            client = _client(path)
            existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
            if COLLECTION_NAME in existing:
                collection = client.get_collection(COLLECTION_NAME)
                problem = cls._mismatch(collection.metadata, embedder)
                if rebuild or problem:
                    note = f"rebuilt the store: {problem}" if problem else "rebuilt the store as asked"
                    client.delete_collection(COLLECTION_NAME)
                else:
                    cls._read_everything(collection)
        except Exception as exc:  # a damaged store: keep it for inspection and start afresh
            if "readonly database" in str(exc):
                raise _read_only(path) from exc
            reason = exc.title if isinstance(exc, StoreError) else type(exc).__name__
            note = f"the store could not be read ({reason}); moved it to {cls._move_aside(path)} and rebuilt it"
            client = _client(path)
        collection = client.get_or_create_collection(
            COLLECTION_NAME, embedding_function=None, metadata=cls._expected_metadata(embedder)
        )
        return cls(path, embedder, _GuardedCollection(collection, path=path)), note

    @staticmethod
    def _read_everything(collection: Any) -> None:
        """Read what an ingest reads (every record's metadata) and search the index once, so damage anywhere in
        the store shows here, where it can be moved aside, rather than halfway through the ingest."""
        _read_all(collection, ["metadatas"])
        sample = collection.get(limit=1, include=["embeddings"])
        embeddings = sample.get("embeddings")
        if embeddings is not None and len(embeddings):
            vector = embeddings[0]
            vector = vector.tolist() if hasattr(vector, "tolist") else list(vector)
            collection.query(query_embeddings=[vector], n_results=1, include=["distances"])

    @staticmethod
    def _move_aside(path: Path) -> Path:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        _forget_clients()
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
        records = _read_all(self._collection, ["metadatas"])
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
        records = _read_all(self._collection, ["metadatas"])
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
        client = _http_client(self.url) if self.url else _client(self.path)
        guard = {"url": self.url} if self.url else {"path": self.path}
        try:
            if fresh:
                existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
                if LEXICAL_COLLECTION_NAME in existing:
                    client.delete_collection(LEXICAL_COLLECTION_NAME)
                return _GuardedCollection(
                    client.create_collection(LEXICAL_COLLECTION_NAME, embedding_function=None), **guard)
            return _GuardedCollection(client.get_collection(LEXICAL_COLLECTION_NAME), **guard)
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
        records = _read_all(self._collection, ["documents", "metadatas"])
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
