"""Chroma access: the only module that imports chromadb.

It makes the local and server clients (a server's requests bounded by connect and read timeouts), turns any
failure Chroma raises into one titled StoreError, reads collections a page at a time, and guards against damaged
index files: Chroma trusts them blindly (a damaged HNSW file crashes the process outright), so a store whose index
files changed since it last opened cleanly is first opened in a child process (check_index_files), and refused as
damaged if that crashes, hangs or fails.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from interviewer.errors import StoreError

MANIFEST_NAME = "interviewer-files.json"
CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 60.0  # opening a store in a child process; a large index loads in seconds


def local_client(path: Path):  # type: ignore[no-untyped-def]
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def server_unreachable(url: str, exc: BaseException) -> StoreError:
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return StoreError(
        f"the knowledge store server at {url} did not answer ({reason}). Start it (`chroma run --path DIR "
        "--host HOST --port PORT`) or unset store_url to use the local store.",
        "Knowledge store server unreachable",
    )


def server_client(url: str):  # type: ignore[no-untyped-def]
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
        raise server_unreachable(url, exc) from exc
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        client = chromadb.HttpClient(
            host=parts.hostname, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:  # chromadb wraps transport errors in assorted types
        raise server_unreachable(url, exc) from exc
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = timeout
    return client


def read_only_error(path: Path) -> StoreError:
    return StoreError(
        f"the knowledge store at {path} is read-only, and Chroma writes to its folder even to search. Make it "
        "writable (or set store_dir to a writable folder) and run `interviewer ingest`.",
        "Knowledge store read-only",
    )


def store_failed(path: Path, exc: BaseException) -> StoreError:
    """The one message for a local store Chroma cannot read, whatever Chroma raised."""
    if "readonly database" in str(exc) or (isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES)):
        return read_only_error(path)
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    return StoreError(
        f"the knowledge store at {path} cannot be read ({reason}). Run `interviewer ingest --rebuild` to rebuild it.",
        "Knowledge store unreadable",
    )


def writable(path: Path) -> bool:
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
    code = "import sys; from interviewer.retrieval.chroma import probe_store; probe_store(sys.argv[1])"
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
    client = local_client(Path(path))
    for listed in client.list_collections():
        name = listed.name if hasattr(listed, "name") else str(listed)
        read_everything(client.get_collection(name))


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


class GuardedCollection:
    """A collection whose every call turns a failure (a server down, a damaged file) into one titled StoreError.

    Chroma raises many exception types for the same trouble; the caller only needs to know the store failed.
    """

    def __init__(self, collection: Any, url: str | None = None, path: Path | None = None) -> None:
        self._collection = collection
        self._url = url
        self._path = path

    def _error(self, exc: BaseException) -> StoreError:
        if self._url is not None:
            return server_unreachable(self._url, exc)
        assert self._path is not None
        return store_failed(self._path, exc)

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


def read_all(collection: Any, include: list[str]) -> dict[str, list[Any]]:
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


def forget_clients() -> None:
    """Chroma caches one client per path, holding the old files open; drop it before replacing a store."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def read_everything(collection: Any) -> None:
    """Read what an ingest reads (every record's metadata) and search the index once, so damage anywhere in
    the store shows here, where it can be moved aside, rather than halfway through the ingest."""
    read_all(collection, ["metadatas"])
    sample = collection.get(limit=1, include=["embeddings"])
    embeddings = sample.get("embeddings")
    if embeddings is not None and len(embeddings):
        vector = embeddings[0]
        vector = vector.tolist() if hasattr(vector, "tolist") else list(vector)
        collection.query(query_embeddings=[vector], n_results=1, include=["distances"])
