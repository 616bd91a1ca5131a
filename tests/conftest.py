from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import BagOfWordsEmbedder

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's data, config or environment."""
    home = tmp_path_factory.mktemp("home")
    for name in list(__import__("os").environ):
        if name.startswith("INTERVIEWER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("INTERVIEWER_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home


@pytest.fixture
def embedder() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder()


@pytest.fixture
def docs_dir() -> Path:
    return FIXTURES / "docs"


@pytest.fixture
def knowledge_or_seeds() -> Path:
    """The raw seed documents when they are beside the repository, else the product's own documents."""
    return SEEDS_DIR if SEEDS_DIR.is_dir() else REPO_ROOT / "knowledge" / "docs"


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `interviewer ARGS...` as a user would, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "interviewer.cli", *args], capture_output=True, text=True, timeout=timeout
    )
