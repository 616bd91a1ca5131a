"""Store faults: the knowledge store deleted, emptied, read-only, its database or an index file damaged, built with
another embedding model, or its Chroma server gone mid-session.

Every case runs the real command line in fresh processes (tests/reliability/store_driver.py: the installed CLI with
the bag-of-words embedder, so each process starts in about a second) over a store built from tests/fixtures/docs.
Each fault is detected with a titled message and no traceback; an interview over the broken store still grades
every answer (without citations, with a note saying why) and never invents anything; `interviewer ingest` then
succeeds (moving a damaged store aside) and searching works again. Mid-session, the store failing between two
answers costs only the citations of what is graded next; after `interviewer ingest` the session resumes with them,
and the history holds every answer once, graded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from interviewer.records.history import History
from interviewer.retrieval.chroma import forget_clients as _forget_clients
from interviewer.retrieval.ingest import ingest as ingest_in_process
from tests.conftest import FIXTURES, REPO_ROOT
from tests.fakes import BagOfWordsEmbedder

DOCS = FIXTURES / "docs"
WAIT_S = 60.0  # the most any one process may take; each takes about a second
INTERVIEW = ("interview", "--plain", "--no-model", "--pack", "genai-core", "--topics", "rag", "--questions", "3",
             "--follow-ups", "1")
# Answers that cover a little of a question, so each is graded and followed up; every one is unique.
ANSWERS = [f"RAG retrieves some passages and the model reads them, attempt {n}." for n in range(12)]
RESUME = ("interview", "--plain", "--no-model", "--resume")
NO_CITATIONS = "Note: grading without citations"


def store_dir() -> Path:
    return Path(os.environ["INTERVIEWER_DATA_DIR"]) / "store"


def cli(*args: str, stdin: str = "", read_only: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`interviewer ARGS` in a fresh process; with `read_only`, that folder is mounted read-only for it alone."""
    command = [sys.executable, "-m", "tests.reliability.store_driver", *args]
    if read_only is not None:
        command = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"',
                   str(read_only), *command]
    return subprocess.run(command, cwd=REPO_ROOT, input=stdin, capture_output=True, text=True, timeout=WAIT_S,
                          env=dict(os.environ))


def titled_error(result: subprocess.CompletedProcess[str], title: str) -> str:
    """The process failed with `Error: <title>` and one line saying what to do, and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Note:")]
    assert lines == [f"Error: {title}", lines[-1]], result.stderr
    return lines[-1]


def ingest() -> subprocess.CompletedProcess[str]:
    result = cli("ingest", "--only", str(DOCS))
    assert result.returncode == 0 and "Traceback" not in result.stderr, (result.stdout, result.stderr)
    return result


def search_works() -> None:
    result = cli("search", "vector search", "-k", "2")
    assert result.returncode == 0 and result.stdout.startswith("1. "), (result.stdout, result.stderr)


def answers_on_stdin(answers: list[str]) -> str:
    return "".join(f"{text}\n.\n" for text in answers)


def can_mount_read_only(folder: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" '
                            '&& ! touch "$0/x" 2>/dev/null', str(folder)], capture_output=True, timeout=30)
    return probe.returncode == 0


# --- faults ------------------------------------------------------------------------------------------------------

def delete(store: Path) -> None:
    shutil.rmtree(store)


def empty(store: Path) -> None:
    for item in store.iterdir():
        shutil.rmtree(item) if item.is_dir() else item.unlink()


def overwrite_database(store: Path) -> None:
    (store / "chroma.sqlite3").write_bytes(os.urandom(64 * 1024))


def truncate_database(store: Path) -> None:
    database = store / "chroma.sqlite3"
    database.write_bytes(database.read_bytes()[:4096])


def scramble_database_pages(store: Path) -> None:
    """Pages in the middle overwritten, the header intact: Chroma opens it and fails on the first query."""
    database = store / "chroma.sqlite3"
    data = bytearray(database.read_bytes())
    middle = len(data) // 3
    data[middle : middle + len(data) // 3] = os.urandom(len(data) // 3)
    database.write_bytes(bytes(data))


def index_file(store: Path, name: str) -> Path:
    """The largest of the store's index files of that name: the chunks' HNSW index, whatever else the store holds."""
    found = sorted(store.glob(f"*/{name}"), key=lambda file: file.stat().st_size)
    assert found, f"no {name} in {store}"
    return found[-1]


def scramble_index(store: Path) -> None:
    """The HNSW graph file overwritten with random bytes of the same size: Chroma dies of SIGSEGV reading it."""
    target = index_file(store, "data_level0.bin")
    target.write_bytes(os.urandom(target.stat().st_size))


def delete_index(store: Path) -> None:
    index_file(store, "data_level0.bin").unlink()


def big_corpus(folder: Path) -> Path:
    """1,200 short sections: more windows than Chroma keeps unflushed, so its HNSW files are really written."""
    folder.mkdir(parents=True, exist_ok=True)
    sections = "".join(f"## Topic {n}\n\nSection {n} explains beam search variant {n} and its width {n % 7}.\n\n"
                       for n in range(1200))
    (folder / "many.md").write_text(f"# Many sections\n\n{sections}", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stores built once, in this process, as `interviewer ingest` builds them; each test copies the one it needs.

    "small": tests/fixtures/docs. "big": those and 1,200 more sections. "other model": the small one, built with
    another embedding model.
    """
    folder = tmp_path_factory.mktemp("stores")
    corpus = big_corpus(folder / "big-corpus")
    for name, roots, model in (("small", [DOCS], "fake-bag-of-words"), ("big", [DOCS, corpus], "fake-bag-of-words"),
                               ("other model", [DOCS], "another-model")):
        ingest_in_process(roots, folder / name, BagOfWordsEmbedder(model_id=model))
    _forget_clients()  # nothing of this process holds the files open while the tests damage copies of them
    return {name: folder / name for name in ("small", "big", "other model")}


def use_store(built: dict[str, Path], name: str = "small") -> Path:
    shutil.copytree(built[name], store_dir())
    return store_dir()


@dataclass(frozen=True)
class Fault:
    damage: Callable[[Path], None]
    title: str  # what `interviewer search` says over the damaged store
    big: bool = False  # needs a store whose HNSW index Chroma has flushed to disk
    interview: bool = True  # also run an interview over it (one fault per way the store fails is enough)


FAULTS = {
    "folder deleted": Fault(delete, "Knowledge store missing"),
    "folder emptied": Fault(empty, "Knowledge store missing", interview=False),
    "database overwritten": Fault(overwrite_database, "Knowledge store unreadable", interview=False),
    "database truncated": Fault(truncate_database, "Knowledge store unreadable", interview=False),
    "database pages scrambled": Fault(scramble_database_pages, "Knowledge store unreadable"),
    "index file scrambled": Fault(scramble_index, "Knowledge store damaged", big=True),
    "index file deleted": Fault(delete_index, "Knowledge store damaged", big=True, interview=False),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_damaged_store_is_reported_graded_around_and_rebuilt(name: str, built: dict[str, Path]) -> None:
    fault = FAULTS[name]
    fault.damage(use_store(built, "big" if fault.big else "small"))

    message = titled_error(cli("search", "beam search"), fault.title)
    assert "interviewer ingest" in message

    if fault.interview:  # an interview over the broken store grades every answer, without citations, saying why
        interview = cli(*INTERVIEW, stdin=answers_on_stdin(ANSWERS[:2]))
        assert interview.returncode == 0 and "Traceback" not in interview.stderr + interview.stdout, interview.stderr
        assert interview.stdout.count("\nScore ") == 1 and "Follow-up: " in interview.stdout
        assert NO_CITATIONS in interview.stderr and "References:" not in interview.stdout

    rebuilt = ingest()
    if fault.title != "Knowledge store missing":  # (a store built from nothing is searched in other tests)
        assert "moved it to" in rebuilt.stderr  # the damaged store is kept for inspection, never deleted
        search_works()


def test_a_store_built_with_another_embedding_model_is_rebuilt_by_ingest(built: dict[str, Path]) -> None:
    use_store(built, "other model")
    message = titled_error(cli("search", "beam search"), "Knowledge store out of date")
    assert "another-model" in message and "interviewer ingest --rebuild" in message
    assert "rebuilt the store: it was built with the embedding model 'another-model'" in ingest().stderr
    search_works()


def test_a_read_only_store_says_so_and_works_again_once_writable(built: dict[str, Path]) -> None:
    store = use_store(built)
    if not can_mount_read_only(store):
        pytest.skip("cannot mount a folder read-only here (needs unshare and mount rights)")
    for args in (("search", "beam search"), ("ingest", "--rebuild", "--only", str(DOCS))):
        message = titled_error(cli(*args, read_only=store), "Knowledge store read-only")
        assert "read-only" in message and "Traceback" not in message
    interview = cli(*INTERVIEW, stdin=answers_on_stdin(ANSWERS[:1]), read_only=store)
    assert interview.returncode == 0 and "\nScore " in interview.stdout, interview.stderr
    assert f"{NO_CITATIONS} (Knowledge store read-only" in interview.stderr
    assert not list(store.parent.glob("store.corrupt-*"))  # a read-only store is not mistaken for a corrupt one
    ingest()
    search_works()


# --- mid-session ---------------------------------------------------------------------------------------------------

class PlainSession:
    """A plain interview in a real process, answered one prompt at a time."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.reliability.store_driver", *INTERVIEW, *args],
                                        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                         for stream, into in ((self.process.stdout, self.out), (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.stdout.count(text) < count:
            assert self.process.poll() is None or self.stdout.count(text) >= count, (self.stdout, self.stderr)
            assert time.monotonic() < deadline, f"{text!r} x{count} never came:\n{self.stdout}\n{self.stderr}"
            time.sleep(0.05)

    def answer(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{text}\n.\n")
        self.process.stdin.flush()

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        code = self.process.wait(timeout=WAIT_S)
        for reader in self._readers:
            reader.join(timeout=10)
        return code


def run_with_a_store_failing_mid_session(break_store: Callable[[], None], mend_store: Callable[[], None],
                                         *store_args: str) -> None:
    """Question 1 graded with citations; the store fails; question 2 graded without, saying why; the input ends;
    `interviewer ingest` mends the store; the resumed session grades the rest with citations again."""
    session = PlainSession(*store_args)
    try:
        session.wait_for("Question 1 of 3")
        session.answer(ANSWERS[0])
        session.wait_for("\nFollow-up:\n")  # question 1's grade is out; question 2 is not looked up yet
        assert "References:" in session.stdout
        break_store()
        session.answer(ANSWERS[1])
        session.wait_for("Question 2 of 3")
        session.answer(ANSWERS[2])
        session.wait_for("\nScore ", count=2)
        session.wait_for("\nFollow-up:\n", count=2)
    finally:
        code = session.close()
    assert code == 0 and "Traceback" not in session.stdout + session.stderr, session.stderr
    assert session.stderr.count(NO_CITATIONS) == 1  # said once, not at every search
    question_2 = session.stdout.split("Question 2 of 3")[1]
    assert "References:" not in question_2 and "Input ended. Session" in question_2
    session_id = question_2.split("Input ended. Session ")[1].split()[0]
    assert f"interviewer interview --resume {session_id}" in question_2

    mend_store()
    resumed = cli(*RESUME, session_id, *store_args, stdin=answers_on_stdin(ANSWERS[3:]))
    assert resumed.returncode == 0 and NO_CITATIONS not in resumed.stderr, resumed.stderr
    assert "References:" in resumed.stdout and "Traceback" not in resumed.stdout + resumed.stderr

    data_dir = Path(os.environ["INTERVIEWER_DATA_DIR"])
    stored = History(data_dir / "history.sqlite").session(session_id)
    assert stored is not None and stored.finished_at
    answers = Counter(attempt.answer for attempt in stored.attempts)
    assert set(ANSWERS[:3]) <= set(answers) and max(answers.values()) == 1  # nothing lost, nothing twice
    assert all(attempt.grade for attempt in stored.attempts)
    for name in ("history.sqlite", "sessions.sqlite"):
        with sqlite3.connect(data_dir / name) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_the_local_store_damaged_mid_session_costs_only_citations(built: dict[str, Path]) -> None:
    use_store(built)
    run_with_a_store_failing_mid_session(lambda: overwrite_database(store_dir()), ingest)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChromaServer:
    """`chroma run` on a free port, started within a bounded wait; stop() and start() again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        log = (self.folder / "chroma.log").open("ab")
        self.process = subprocess.Popen([str(chroma), "run", "--path", str(self.folder / "db"), "--host",
                                         "127.0.0.1", "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT_S
        while True:
            assert self.process.poll() is None, (self.folder / "chroma.log").read_text()[-2000:]
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Chroma server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)  # down, not shut down politely
            self.process.wait(timeout=30)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    if not Path(sys.executable).with_name("chroma").exists():
        pytest.skip("chromadb's `chroma` command is not installed")
    server = ChromaServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_chroma_server_going_down_mid_session_costs_only_citations(chroma_server: ChromaServer) -> None:
    url = ("--store-url", chroma_server.url)
    ingest_on_server = ("ingest", "--only", str(DOCS), *url)
    assert cli(*ingest_on_server).returncode == 0

    def restart_and_ingest() -> None:
        down = cli("search", "beam search", *url)
        assert chroma_server.url in titled_error(down, "Knowledge store server unreachable")
        chroma_server.start()
        result = cli(*ingest_on_server)
        assert result.returncode == 0, result.stderr

    run_with_a_store_failing_mid_session(chroma_server.stop, restart_and_ingest, *url)
    assert not store_dir().exists()  # with a server, nothing is written locally
