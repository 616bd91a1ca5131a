"""Builds the working parts from Settings: retriever, grader, interview session. Shared by every front end."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interviewer.config import Settings
from interviewer.errors import InterviewerError, ModelError

if TYPE_CHECKING:
    from interviewer.llm import ModelBackend

Note = Callable[[str], None]


def _ignore(_: str) -> None:
    return None


def build_retriever(settings: Settings, fusion: str = "zscore") -> Any:
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.search import FUSIONS, HybridRetriever
    from interviewer.retrieval.store import KnowledgeStore

    if fusion not in FUSIONS:
        raise InterviewerError(f"--fusion must be one of {', '.join(FUSIONS)}", "Unknown fusion")
    embedder = default_embedder()
    store = KnowledgeStore.open_for_query(settings.store_path, embedder, url=settings.store_url)
    return HybridRetriever(store, embedder, fusion=fusion)


def build_llm(settings: Settings, model: Path | None = None) -> ModelBackend:
    """The model server at llm_url when one is set (and no --model file is given), else llama.cpp in-process."""
    from interviewer.llm import LlamaCppLLM, OpenAICompatibleLLM

    if settings.llm_url and model is None:
        return OpenAICompatibleLLM(settings.llm_url, seed=settings.seed)
    return LlamaCppLLM(model or settings.model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                       seed=settings.seed)


class RetrieverOnFirstSearch:
    """The hybrid retriever, opened at its first search rather than when an interview opens.

    Opening it imports chromadb and reads the store (about half a second, more on a slow CPU), which is better
    spent while the candidate reads the first question than before it is shown. A store that cannot be opened, or
    that fails later (its server goes down, a file is damaged under it), is reported once through `note`, and
    grading goes on without citations for the rest of the session, as when it is missing at the start: the answer
    being graded is never lost to a store. A resumed session opens the store afresh.
    """

    def __init__(self, settings: Settings, note: Note) -> None:
        self._settings = settings
        self._note = note
        self._retriever: Any = None
        self._failed = False
        self._lock = threading.Lock()

    def _open(self) -> Any:
        with self._lock:
            if self._retriever is None and not self._failed:
                try:
                    self._retriever = build_retriever(self._settings)
                except InterviewerError as exc:
                    self._give_up(exc)
            return self._retriever

    def _give_up(self, exc: InterviewerError) -> None:
        self._failed = True
        self._retriever = None
        self._note(f"Note: grading without citations ({exc.title}: {exc.message})")

    def search(self, query: str, k: int = 5, topics: Sequence[str] | None = None) -> list[Any]:
        retriever = self._open()
        if retriever is None:
            return []
        try:
            return list(retriever.search(query, k=k, topics=topics))
        except InterviewerError as exc:  # the store failed after opening: one note, then no more waiting on it
            with self._lock:
                if not self._failed:
                    self._give_up(exc)
            return []


class ChatModelOnFirstUse:
    """The interviewer's chat model, built when a follow-up or hint first needs it (LangChain's llama.cpp
    wrapper costs most of a second to import); until then the interview's first question is already showing."""

    def __init__(self, llm: ModelBackend) -> None:
        self._llm = llm
        self._model: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._model is None:
            self._model = self._llm.chat_model()
        return getattr(self._model, name)


def build_grader(settings: Settings, model: Path | None, use_model: bool, note: Note = _ignore) -> Any:
    return _grader_with(settings, build_llm(settings, model) if use_model else None, note)


def _grader_with(settings: Settings, llm: ModelBackend | None, note: Note) -> Any:
    from interviewer.grading import Grader
    from interviewer.grading.verifier import default_verifier
    from interviewer.retrieval.embeddings import default_embedder

    embedder = default_embedder()
    missing_store = store_status(settings)
    if missing_store is not None:
        note(f"Note: grading without citations (Knowledge store problem: {missing_store})")
    retriever = None if missing_store is not None else RetrieverOnFirstSearch(settings, note)
    return Grader(embedder=embedder, retriever=retriever, llm=llm, seed=settings.seed, data_dir=settings.data_dir,
                  verifier=default_verifier(), reference_k=settings.retrieval_k)


def open_interview(
    settings: Settings, model: Path | None = None, use_model: bool = True, note: Note = _ignore,
    catalog: Any = None, on_node: Callable[[str, float], None] | None = None,
) -> Any:
    """An InterviewSession over the packs, the history and the checkpoints in the data dir.

    A model that cannot be loaded is reported once through `note`; the interview then runs on evidence-only
    grading and authored follow-ups instead of failing. Pass `catalog` when the packs are already loaded.
    """
    from interviewer.agent.nodes import InterviewDeps
    from interviewer.agent.session import InterviewSession
    from interviewer.packs import discover_packs
    from interviewer.records.history import History
    from interviewer.resources import builtin_packs_dir

    if catalog is None:
        catalog = discover_packs(builtin_packs_dir(), settings.user_packs_path)
    for problem in catalog.skipped:
        note(f"Skipped a broken pack: {problem.message}")
    llm = build_llm(settings, model) if use_model else None
    grader = _grader_with(settings, llm, note)
    chat_model = None
    follow_ups_by_model: str | None = None  # why the model is not asked for follow-ups, if it is not
    if llm is not None:
        # Only the file is checked here; the model loads at its first use, after the first question is shown.
        problem = model_status(settings, model)
        if problem is not None:
            note(f"Model unavailable: {problem}. Grading from evidence only; follow-ups are the authored ones.")
            grader.llm = None
        elif llm.offers_chat_model:
            chat_model = ChatModelOnFirstUse(llm)
            from interviewer.grading.model_weight import follow_ups_worth_asking, weights_files

            # Keyed by the GGUF file, so looked up at once; a server's id would cost a request before question 1.
            if llm.resolved_path is not None:
                follow_ups_by_model = follow_ups_worth_asking(llm, weights_files(settings.data_dir))
    history = History(settings.history_path)
    deps = InterviewDeps(packs={loaded.pack.name: loaded.pack for loaded in catalog.packs}, grader=grader,
                         history=history, chat_model=chat_model, model_follow_ups_off=follow_ups_by_model,
                         on_node=on_node)
    return InterviewSession(deps, settings.checkpoints_path)



def build_store(settings: Settings, catalog: Any = None, on_progress: Callable[[int, int], None] | None = None) -> Any:
    """Build or refresh the knowledge store from the built-in documents and the packs' own; returns the report."""
    from interviewer.retrieval.embeddings import default_embedder
    from interviewer.retrieval.ingest import default_roots, ingest

    return ingest(default_roots(catalog), settings.store_path, default_embedder(), on_progress=on_progress,
                  store_url=settings.store_url, section_topics=catalog.section_topics() if catalog else None)


def store_status(settings: Settings) -> str | None:
    """Why the knowledge store cannot be used yet (None when it looks built), without opening it.

    Opening it needs chromadb and the embedding model; this answers instantly for a start screen. A store built
    with another embedding model is still reported when it is opened. A store on a server (store_url) is
    reported when it is first used: asking the server here could keep a start screen waiting.
    """
    if settings.store_url:
        return None
    path = settings.store_path
    if not path.is_dir() or not any(path.iterdir()):
        return f"no knowledge store at {path}: build it (here, or with `interviewer ingest`)"
    return None


def model_status(settings: Settings, model: Path | None = None) -> str | None:
    """Why the language model cannot be loaded (None when its file is there), without loading it."""
    from interviewer.llm import default_model_path

    if settings.llm_url and model is None:
        return None  # a model server is asked at its first use; a failure then is reported with its URL
    try:
        path = model or settings.model_path or default_model_path()
    except ModelError as exc:
        return exc.message
    if not Path(path).is_file():
        return f"no model file at {path}: set model_path, pass --model, or run `make install` for the bundled one"
    return None
