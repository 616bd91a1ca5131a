"""The plain-terminal interview: one answer per prompt, commands, and the end of input."""

from __future__ import annotations

import io
import threading
import time

from rich.console import Console

from interviewer.plain import PlainInterview, ReadAhead, read_answer
from interviewer.records.history import History
from tests.agent_helpers import genai_core, make_session, plan
from tests.fakes import make_fake_chat_model, reply, tool_call


def lines(text: str):  # type: ignore[no-untyped-def]
    return iter(io.StringIO(text).readlines())


def test_an_answer_ends_at_a_dot_line_or_the_end_of_input():
    source = lines("first line\nsecond line\n.\n/hint\nlast words")
    assert read_answer(source) == "first line\nsecond line"
    assert read_answer(source) == "/hint"
    assert read_answer(source) == "last words"
    assert read_answer(source) is None


def test_a_command_only_counts_on_the_first_line():
    assert read_answer(lines("I would /skip nothing\n/skip\n.\n")) == "I would /skip nothing\n/skip"


def test_the_answer_so_far_is_handed_on_after_each_line_but_a_command_is_not():
    seen: list[str] = []
    assert read_answer(lines("RAG retrieves.\nIt grounds\n.\n"), seen.append) == "RAG retrieves.\nIt grounds"
    assert seen == ["RAG retrieves.\n", "RAG retrieves.\nIt grounds\n"]
    assert read_answer(lines("/hint\n"), seen.append) == "/hint" and len(seen) == 2


class RecordingSession:
    """Stands in for InterviewSession: records what the read-ahead asks of it; the first draft's read holds until
    the test lets it go, as a slow read would."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.reading_first = threading.Event()
        self.let_go = threading.Event()

    def prepare(self, turn) -> None:  # type: ignore[no-untyped-def]
        self.calls.append("prepare")

    def read_draft(self, turn, text: str) -> None:  # type: ignore[no-untyped-def]
        self.calls.append(text)
        self.reading_first.set()
        assert self.let_go.wait(5)


def test_the_grader_reads_the_question_then_the_newest_draft_and_nothing_once_the_answer_is_in():
    session = RecordingSession()
    reading = ReadAhead(session, turn=None)  # type: ignore[arg-type]
    reading.draft("one\n")
    assert session.reading_first.wait(5)
    reading.draft("one\ntwo\n")  # typed while the first draft is read: superseded
    reading.draft("one\ntwo\nthree\n")
    session.let_go.set()
    for _ in range(100):
        if len(session.calls) == 3:
            break
        time.sleep(0.05)
    reading.finish()
    reading.draft("one\ntwo\nthree\nfour\n")  # after the answer was sent: never read
    time.sleep(0.1)
    assert session.calls == ["prepare", "one\n", "one\ntwo\nthree\n"]


def run_plain(tmp_path, text: str, chat_model=None, **plan_values):  # type: ignore[no-untyped-def]
    session = make_session(tmp_path, chat_model=chat_model)
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    finished = PlainInterview(session, console).run(session.start(plan(**plan_values)), lines(text))
    return finished, buffer.getvalue(), session


def test_piped_input_runs_the_interview_to_its_summary(tmp_path):
    pack = genai_core()
    finished, output, _ = run_plain(
        tmp_path,
        "/hint\nRAG retrieves passages and adds them to the prompt.\n.\n/skip\n/answer\n/end\n",
        topics=["rag"], questions=3, max_follow_ups=0)
    assert finished
    assert "Question 1 of 3" in output and "Question 2 of 3" in output
    assert "Hint: " in output and "costs 0.5 points" in output
    assert output.count("Score ") == 2
    first = next(q for q in pack.questions if q.question in output)
    assert first.topic == "rag"
    assert "Model answer: " in output
    assert "Session summary (practice)" in output and "Scheduled for review:" in output


def test_input_ending_early_leaves_a_resumable_session(tmp_path):
    finished, output, session = run_plain(tmp_path, "RAG retrieves passages.\n.\n", topics=["rag"], questions=3,
                                          max_follow_ups=0)
    assert not finished
    assert "Input ended" in output and "--resume" in output
    history = History(tmp_path / "history.sqlite")
    [row] = history.sessions()
    assert row.finished_at is None and row.attempts[0].answer == "RAG retrieves passages."
    assert session.resumable() == [row.id]


def test_terminal_control_sequences_in_an_answer_never_reach_the_terminal(tmp_path):
    hostile = ("\x1b]0;pwned\x07RAG fetches relevant passages from an external corpus \x1b[2Jat query time and "
               "places them in the prompt.\n.\n")
    finished, output, _ = run_plain(tmp_path, hostile, topics=["rag"], questions=1, difficulty=1, max_follow_ups=0)
    assert finished and "Score " in output
    assert "\x1b" not in output and "\x07" not in output
    flat = " ".join(output.split())
    assert '"RAG fetches relevant passages from an external corpus at query time' in flat  # the quote is kept


def test_a_skipped_follow_up_says_so(tmp_path):
    finished, output, _ = run_plain(tmp_path, "RAG retrieves passages.\n.\n/skip\n", topics=["rag"], questions=1,
                                    max_follow_ups=1)
    assert finished and "Follow-up:" in output
    assert "Follow-up skipped; question score" in output


def test_a_broken_tool_call_is_one_plain_line_and_its_error_stays_in_the_stored_transcript(tmp_path):
    from langchain_core.messages import AIMessage
    from langchain_core.messages.tool import invalid_tool_call
    from langchain_core.output_parsers.openai_tools import parse_tool_call

    from interviewer.agent.follow_up import MODEL_REPLY_UNUSABLE

    raw = {"id": "c1", "function": {"name": "search_knowledge", "arguments": '{"query": "retrieval'}}
    try:
        parse_tool_call(raw, return_id=True)
    except Exception as exc:  # noqa: BLE001 — the parser's own message, docs URL and all, as a real model gets it
        error = str(exc)
    assert "JSONDecodeError" in error and "https://" in error
    broken = AIMessage(content="", invalid_tool_calls=[
        invalid_tool_call(name="search_knowledge", args='{"query": "retrieval', id="c1", error=error)])
    model = make_fake_chat_model(broken, broken, broken)
    finished, output, session = run_plain(tmp_path, "RAG retrieves passages.\n.\nNo idea.\n.\n", chat_model=model,
                                          topics=["rag"], questions=1, difficulty=1, max_follow_ups=1)
    assert finished
    assert MODEL_REPLY_UNUSABLE in output
    assert "JSONDecodeError" not in output and "https://" not in output and "unreadable" not in output
    [line] = [line for line in output.splitlines() if "could not be used" in line]
    assert line.strip() == MODEL_REPLY_UNUSABLE
    archived = History(tmp_path / "history.sqlite").sessions()[0].transcript
    [notice] = [item for item in archived if "failures" in item["data"]]
    assert notice["text"] == MODEL_REPLY_UNUSABLE
    assert [f["failure"] for f in notice["data"]["failures"]] == ["unreadable-tool-call"] * 2  # both calls allowed
    assert all("JSONDecodeError" in f["error"] and "https://" in f["error"] for f in notice["data"]["failures"])
    assert "Follow-up:" in output  # the authored probe was asked


def test_a_follow_up_in_the_models_words_is_labelled_as_the_models(tmp_path):
    from tests.unit.test_agent import _partial_answer

    written = "What goes into the prompt for the LLM to answer from?"
    model = make_fake_chat_model(tool_call("search_knowledge", query="retrieve then generate", topic="rag"),
                                 reply(written))
    text = _partial_answer("rag-what-and-why", "retrieve-then-generate") + "\n.\n/skip\n"
    finished, output, _ = run_plain(tmp_path, text, chat_model=model, topics=["rag"], questions=1, difficulty=1,
                                    max_follow_ups=1)
    assert finished and "Follow-up (worded by the interviewer model):" in output and written in output


def test_on_a_terminal_the_wait_for_a_grade_says_what_it_is_for(tmp_path):
    session = make_session(tmp_path)
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=True, color_system=None)
    finished = PlainInterview(session, console).run(session.start(plan(topics=["rag"], questions=1,
                                                                       max_follow_ups=0)),
                                                    lines("RAG retrieves passages and adds them to the prompt.\n.\n"))
    assert finished
    output = buffer.getvalue()
    assert "Grading your answer..." in output
    assert output.index("Grading your answer...") < output.index("Score ")


def test_piped_output_has_no_spinner(tmp_path):
    _, output, _ = run_plain(tmp_path, "RAG retrieves passages.\n.\n", topics=["rag"], questions=1,
                             max_follow_ups=0)
    assert "Grading your answer" not in output and "\x1b[" not in output


def test_piped_answers_are_echoed_into_the_transcript(tmp_path):
    session = make_session(tmp_path)
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    text = "RAG retrieves passages\nand adds them to the prompt.\n.\n/end\n"
    PlainInterview(session, console, echo_answers=True).run(
        session.start(plan(topics=["rag"], questions=2, max_follow_ups=0)), lines(text))
    output = buffer.getvalue()
    assert "> RAG retrieves passages\n> and adds them to the prompt." in output
    assert output.index("> RAG retrieves passages") < output.index("Score ")
    assert "> /end" in output
