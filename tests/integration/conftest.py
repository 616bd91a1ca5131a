from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.fixture(scope="session")
def builtin_store_ingest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    store = tmp_path_factory.mktemp("builtin") / "store"
    result = run_cli("ingest", "--store", str(store))
    assert result.returncode == 0, result.stderr
    result.store = store  # type: ignore[attr-defined]
    return result  # type: ignore[return-value]


@pytest.fixture(scope="session")
def builtin_store(builtin_store_ingest) -> Path:  # type: ignore[no-untyped-def]
    """The built-in knowledge documents ingested once with the real embedding model, shared by the modules."""
    return builtin_store_ingest.store
