"""Building and refreshing the knowledge store from documents, incrementally.

A file whose content hash is already in the store is skipped; a changed file has its chunks replaced; a file
that no longer exists on disk has its chunks removed. An unreadable file is reported and skipped; it does not
stop the rest of the ingest. With a store URL the store is a team's shared Chroma server: only files under the
folders being ingested are removed from it, since others' files are not on this machine. A local store ends
sealed: its index files are opened once in a child process and recorded (store.check_index_files), so the first
search does not pay for that check and later damage to them is caught before Chroma reads them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from interviewer.errors import DocumentError
from interviewer.packs import PackCatalog
from interviewer.resources import builtin_docs_dir
from interviewer.retrieval.documents import Chunk, Document, chunk_document, find_documents, load_document
from interviewer.retrieval.embeddings import Embedder
from interviewer.retrieval.store import KnowledgeStore
from interviewer.retrieval.vector_cache import cache_for, vector_cache_enabled
from interviewer.text import tokenize

ProgressCallback = Callable[[int, int], None]
# Large blocks let the encoder sort by length (less padding); small model batches are fastest on 2 cores.
_EMBED_BATCH = 256


@dataclass
class IngestReport:
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_embedded: int = 0  # chunks (re)written to the store
    chunks_reused: int = 0  # of those, vectors known by content (shipped or cached), not computed
    chunks_total: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.files_seen} files",
            f"{self.added} added",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
            f"{self.removed} removed",
            f"{self.chunks_embedded} chunks embedded"
            + (f" ({self.chunks_reused} known by content)" if self.chunks_reused else ""),
            f"{self.chunks_total} chunks in store",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return "Ingested " + ", ".join(parts) + f" in {self.seconds:.1f}s"


def default_roots(catalog: PackCatalog | None) -> list[Path]:
    """The product's own documents plus every loaded pack's documents."""
    roots = [builtin_docs_dir()]
    if catalog is not None:
        for loaded in catalog.packs:
            roots.extend(loaded.document_paths())
    return roots


def _collect_files(roots: Iterable[Path], report: IngestReport) -> list[tuple[Path, str]]:
    seen: set[Path] = set()
    files: list[tuple[Path, str]] = []
    for root in roots:
        try:
            found = find_documents(root)
        except DocumentError as exc:
            report.skipped.append(exc.message)
            continue
        for path, source in found:
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append((resolved, source))
    return files


def _embed(
    embedder: Embedder, chunks: Sequence[Chunk], on_progress: ProgressCallback | None
) -> tuple[np.ndarray, int]:
    """Vectors for `chunks`: those already known by content come from the vector cache, the rest are embedded."""
    texts = [chunk.text_for_embedding() for chunk in chunks]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    cache = cache_for(embedder) if texts and vector_cache_enabled() else None
    known = cache.lookup(texts) if cache is not None else [None] * len(texts)
    missing = [row for row, vector in enumerate(known) if vector is None]
    for row, vector in enumerate(known):
        if vector is not None:
            vectors[row] = vector
    done = len(texts) - len(missing)
    if on_progress is not None and texts:
        on_progress(done, len(texts))
    for start in range(0, len(missing), _EMBED_BATCH):
        rows = missing[start : start + _EMBED_BATCH]
        batch = [texts[row] for row in rows]
        encoded = embedder.encode(batch)
        vectors[rows] = encoded
        if cache is not None:
            cache.remember(batch, encoded)
        done += len(rows)
        if on_progress is not None:
            on_progress(done, len(texts))
    return vectors, len(texts) - len(missing)


def _remove_deleted(store: KnowledgeStore, stored: Mapping[str, str], present: set[str], roots: Sequence[Path],
                    *, shared: bool) -> int:
    """Drop the stored files that no longer exist; on a shared server, only those under the folders given."""
    folders = [root.resolve() for root in roots]
    removed = 0
    for stored_path in stored:
        if stored_path in present or Path(stored_path).exists():
            continue
        if shared and not any(Path(stored_path).is_relative_to(folder) for folder in folders):
            continue  # a teammate's file on the shared server
        store.remove_file(stored_path)
        removed += 1
    return removed


def ingest(
    roots: Sequence[Path],
    store_path: Path,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    on_progress: ProgressCallback | None = None,
    store_url: str | None = None,
    section_topics: Mapping[Path, Mapping[str, str]] | None = None,
) -> IngestReport:
    """Bring the store up to date with the documents under `roots`; `section_topics` (document -> heading ->
    topic, from PackCatalog.section_topics) tags a pack's documents with the pack's topics."""
    started = time.perf_counter()
    report = IngestReport()
    store, note = KnowledgeStore.open_for_ingest(store_path, embedder, rebuild=rebuild, url=store_url)
    if note:
        report.notes.append(note)
    stored_hashes = store.file_hashes()

    changed: list[tuple[Document, bool]] = []
    present: set[str] = set()
    for path, source in _collect_files(roots, report):
        report.files_seen += 1
        present.add(str(path))
        try:
            document = load_document(path, source=source, section_topics=(section_topics or {}).get(path))
        except DocumentError as exc:
            report.skipped.append(exc.message)
            continue
        previous = stored_hashes.get(str(path))
        if previous == document.sha256:
            report.unchanged += 1
        else:
            changed.append((document, previous is not None))

    new_chunks: list[Chunk] = []
    for document, _ in changed:
        new_chunks.extend(chunk_document(document))
    vectors, report.chunks_reused = _embed(embedder, new_chunks, on_progress)

    for document, existed in changed:
        if existed:
            store.remove_file(str(document.path))
            report.updated += 1
        else:
            report.added += 1
    store.add_chunks(new_chunks, vectors)
    report.chunks_embedded = len(new_chunks)

    report.removed = _remove_deleted(store, stored_hashes, present, roots, shared=store_url is not None)

    if changed or report.removed or note or not store.lexical_statistics()[0] or not store.has_lexical_index():
        store.update_lexical_index(tokenize)
    report.chunks_total = store.count()
    store.seal()
    report.seconds = time.perf_counter() - started
    return report
