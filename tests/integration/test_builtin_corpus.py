"""The built-in corpus with the real embedding model: the retrieval quality the product promises."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytestmark = pytest.mark.real_model


def test_the_builtin_corpus_ingests_cleanly(builtin_store_ingest) -> None:  # type: ignore[no-untyped-def]
    assert "20 added" in builtin_store_ingest.stdout and "Skipped" not in builtin_store_ingest.stderr


def test_eval_retrieval_meets_the_quality_bar(builtin_store: Path) -> None:
    result = run_cli("eval", "retrieval", "--json", "--store", str(builtin_store))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["cases"] >= 60
    assert report["recall@5"] >= 0.95, report["misses"][:10]
    assert report["recall@1"] >= 0.75
    assert 0 < report["mrr"] <= 1


def test_topic_filtered_search_stays_in_topic(builtin_store: Path) -> None:
    result = run_cli(
        "search", "how are the vectors compressed", "--topic", "vector-search", "--json", "--store", str(builtin_store)
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload and {item["topic"] for item in payload} == {"vector-search"}
    assert payload[0]["source"] == "vector-search.md"
