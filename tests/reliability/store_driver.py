"""The real `interviewer` command line with the deterministic embedder in place of MiniLM, for the store-fault tests.

    python -m tests.reliability.store_driver ARGS...

Runs `interviewer ARGS...` exactly as installed (same Typer app, same error handling, exit codes and output), with
tests.fakes.BagOfWordsEmbedder as the embedding model, so an ingest or an interview starts in about a second instead
of loading torch. INTERVIEWER_TEST_EMBEDDING_MODEL names the fake model, to build a store "with another model".
"""

from __future__ import annotations

import os

import interviewer.retrieval.embeddings
from interviewer.cli import main
from tests.fakes import BagOfWordsEmbedder


def fake_embedder() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder(model_id=os.environ.get("INTERVIEWER_TEST_EMBEDDING_MODEL", "fake-bag-of-words"))


if __name__ == "__main__":
    interviewer.retrieval.embeddings.default_embedder = fake_embedder  # type: ignore[assignment]
    main()
