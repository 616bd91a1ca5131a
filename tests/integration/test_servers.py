"""The shared setup on real servers: a Chroma server and llama.cpp's OpenAI-compatible server on 127.0.0.1.

Both start on free ports with a bounded wait and are always stopped (terminate, then kill). Ingest, search, a grade
and a short plain-mode interview run against them, and the results are compared with the in-process path.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from interviewer.config import load_settings
from interviewer.llm import default_model_path
from interviewer.wiring import build_retriever
from tests.conftest import run_cli

pytestmark = pytest.mark.real_model

FIXTURE_DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "docs"
START_WAIT_S = 60.0
SERVER_LOGS: dict[str, Path] = {}  # a server's URL -> its log, which records every request it served
QUERIES = ["how does the HNSW graph search work", "temperature sampling", "product quantization of vectors"]
ANSWER = (
    "RAG retrieves the most relevant chunks from your own documents and puts them into the prompt, so the model "
    "answers from current, private sources and can cite them, with fewer hallucinations and no retraining."
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(command: list[str], ready_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_WAIT_S
            while True:
                if process.poll() is not None:
                    pytest.fail(f"{command[:3]} exited with {process.returncode}: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(ready_url, timeout=1.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[:3]} did not start within {START_WAIT_S:.0f}s: {log.read_text()[-2000:]}")
                time.sleep(0.25)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [str(chroma), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    yield from (url for _ in _serve(command, f"{url}/api/v2/heartbeat", folder / "chroma.log"))


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("llm-server")
    port = _free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "4096", "--n_threads", "1"]  # 2 threads spin against the clients
    url = f"http://127.0.0.1:{port}/v1"
    SERVER_LOGS[url] = folder / "llm.log"
    yield from (url for _ in _serve(command, f"{url}/models", folder / "llm.log"))


@pytest.fixture(scope="module")
def both_stores(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The fixture documents ingested into the server and into a local store."""
    local = tmp_path_factory.mktemp("local") / "store"
    for where in (["--store-url", store_url], ["--store", str(local)]):
        result = run_cli("ingest", "--only", str(FIXTURE_DOCS), *where, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "3 added" in result.stdout
    return store_url, local


def test_search_on_the_server_ranks_as_the_local_store(both_stores: tuple[str, Path]) -> None:
    store_url, local = both_stores
    assert not (Path(os.environ["INTERVIEWER_DATA_DIR"]) / "store").exists(), "nothing is written locally"
    served = build_retriever(load_settings(store_url=store_url))
    embedded = build_retriever(load_settings(store_dir=local))
    for query in QUERIES:
        from_server, from_folder = served.search(query, k=5), embedded.search(query, k=5)
        assert from_server and [(r.source, r.heading) for r in from_server] == [
            (r.source, r.heading) for r in from_folder]
        # The same ranking; scores agree to float32 rounding (the server sends its distances as JSON numbers).
        assert [r.score for r in from_server] == pytest.approx([r.score for r in from_folder], abs=1e-4)
    result = run_cli("search", QUERIES[0], "--json", "--store-url", store_url, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["heading"] == served.search(QUERIES[0], k=1)[0].heading


# llama.cpp's server (one thread, as a small shared box should run it) reads the grading prompt in ~1.7 s and
# answers in ~4 s on an idle machine; on 2 cores busy with other work its first token can come after the 12 s read
# timeout. Both are promises of the product: a grade the server's model took part in records that model, and a
# server too slow to answer leaves an evidence-only grade whose note names the server. The tests hold it to whichever
# happened, so neither outcome passes unchecked.
def assert_served_or_named(grade: dict[str, object], served_id: str, llm_url: str) -> None:
    if grade["evidence_only"]:
        note = str(grade["model_note"])
        assert llm_url in note or served_id in note, grade  # the server that failed is named
    else:
        assert grade["model_id"] == served_id, grade


def test_a_grade_through_the_model_server_records_its_model(both_stores: tuple[str, Path], llm_url: str) -> None:
    store_url, _ = both_stores
    served_id = httpx.get(f"{llm_url}/models", timeout=5).json()["data"][0]["id"]
    result = run_cli("grade", "--pack", "genai-core", "--question", "rag-what-and-why", "--answer", ANSWER, "--json",
                     "--store-url", store_url, "--llm-url", llm_url, timeout=120)
    assert result.returncode == 0, result.stderr
    grade = json.loads(result.stdout)
    assert_served_or_named(grade, served_id, llm_url)
    assert 0 <= grade["overall"] <= 5


def test_a_plain_interview_runs_on_both_servers(both_stores: tuple[str, Path], llm_url: str,
                                                tmp_path: Path) -> None:
    store_url, _ = both_stores
    served_id = httpx.get(f"{llm_url}/models", timeout=5).json()["data"][0]["id"]
    result = subprocess.run(
        [sys.executable, "-m", "interviewer.cli", "interview", "--plain", "--questions", "1", "--follow-ups", "0",
         "--store-url", store_url, "--llm-url", llm_url],
        input=f"{ANSWER}\n.\n", capture_output=True, text=True, timeout=150,
        env={**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    assert "Session " in result.stdout and "/5" in result.stdout
    from interviewer.records.history import History

    [attempt] = History(tmp_path / "data" / "history.sqlite").sessions()[0].attempts
    assert_served_or_named(attempt.grade, served_id, llm_url)


def test_servers_that_are_down_are_named_within_15_s() -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    result = run_cli("search", "HNSW", "--store-url", dead, timeout=60)
    assert result.returncode != 0 and dead in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 15


def test_follow_ups_are_asked_through_the_model_server(both_stores: tuple[str, Path], llm_url: str,
                                                        tmp_path: Path) -> None:
    """The interviewer's chat model is the server's: a follow-up is requested from it (with the search tool
    offered), and whatever it answers, the session goes on with a reviewed follow-up or the authored probe."""
    store_url, _ = both_stores
    log = SERVER_LOGS[llm_url]
    requests_before = log.read_text(errors="replace").count("POST /v1/chat/completions")
    result = subprocess.run(
        [sys.executable, "-m", "interviewer.cli", "interview", "--plain", "--questions", "1", "--follow-ups", "1",
         "--store-url", store_url, "--llm-url", llm_url],
        input="It has something to do with documents, I think.\n.\nNo idea.\n.\n", capture_output=True,
        text=True, timeout=200, env={**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "Follow-up" in result.stdout, result.stdout[-2000:]
    requests = log.read_text(errors="replace").count("POST /v1/chat/completions") - requests_before
    assert requests >= 2, f"the grade and the follow-up both went to the server ({requests} requests)"
    from interviewer.records.history import History

    transcript = History(tmp_path / "data" / "history.sqlite").sessions()[0].transcript
    follow_up = next(item for item in transcript if item["type"] == "follow-up")
    assert follow_up["data"]["source"] in ("model", "probe")
    assert follow_up["data"].get("rejected") != "no interviewer model", "the server's model was asked"
