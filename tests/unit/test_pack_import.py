"""`interviewer packs import`: spreadsheets, Markdown and Anki decks become packs that load, cite their notes, and
update in place when imported again; bad input gives one clear line, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interviewer.cli import app
from interviewer.errors import InterviewerError, PackImportError
from interviewer.pack_import import MAX_TEXT_BYTES, ImportSummary, import_file, summary_lines
from interviewer.packs import Pack, Question, load_pack
from interviewer.retrieval.documents import load_document, section_text, section_titles
from tests.conftest import FIXTURES, run_cli

IMPORTS = FIXTURES / "imports"


def run_import(path: Path, packs: Path, *, name: str | None = None, topic: str | None = None,
               force: bool = False) -> tuple[ImportSummary, Pack]:
    """Import, then load the written pack back as `packs list` would."""
    summary = import_file(path, packs_dir=packs, name=name, topic=topic, force=force)
    return summary, load_pack(Path(summary.pack_path)).pack


def by_question(pack: Pack) -> dict[str, Question]:
    return {q.question: q for q in pack.questions}


def reasons(summary: ImportSummary) -> dict[str, list[str]]:
    return {group.reason: [row.where for row in summary.skipped_rows if row.reason == group.reason]
            for group in summary.skipped_reasons}


def assert_sections_resolve(summary: ImportSummary, pack: Pack) -> None:
    """Every question cites its own heading of the notes file, and the notes hold its answer under it."""
    notes = Path(summary.notes_path)
    assert pack.documents == [notes.name]
    document = load_document(notes)
    headings = section_titles(document)
    for question in pack.questions:
        (reference,) = question.sections
        file_name, _, heading = reference.partition("#")
        assert file_name == notes.name and heading.casefold() in headings
        assert section_text(document.markdown, f"{pack.title} > {heading}") is not None


# --- CSV / TSV ----------------------------------------------------------------------------------------------


def test_csv_questions_answers_topics_difficulty_and_tags(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "questions.csv", tmp_path)
    questions = by_question(pack)
    assert summary.pack == pack.name == "questions" and summary.format == "csv"
    assert summary.imported == len(pack.questions) == 5
    assert summary.topics == {"rag": 2, "transformers": 2, "decoding": 1}
    assert [(t.id, t.title) for t in pack.topics] == [("rag", "RAG"), ("transformers", "Transformers"),
                                                      ("decoding", "Decoding")]
    rag = questions["What is retrieval-augmented generation?"]
    assert rag.difficulty == 1 and rag.topic == "rag"  # "junior"
    assert rag.reference_answer == "It retrieves relevant passages, then generates an answer grounded in them."
    assert rag.tags[:2] == ["rag", "basics"]
    attention = questions["Why does self-attention cost quadratic time?"]
    assert attention.difficulty == 3 and "\nSo the score matrix" in attention.reference_answer  # "Hard", 2 lines
    assert questions["What is a KV cache used for?"].reference_answer == (
        "It stores the keys and values of earlier tokens\nso decoding does not recompute them & stays fast.")
    assert questions["What does temperature change in sampling?"].difficulty == 2  # "5" is no level
    assert all(q.reference_only and q.kind == "concept" for q in pack.questions)
    assert_sections_resolve(summary, pack)


def test_csv_skipped_rows_are_grouped_with_their_line_numbers(tmp_path: Path) -> None:
    summary, _ = run_import(IMPORTS / "questions.csv", tmp_path)
    assert summary.skipped == 4
    assert reasons(summary) == {
        "ragged row: more fields than the header (quote a field that holds the delimiter)":
            ["line 7 (6 fields, the header has 5)"],
        "empty answer": ["line 6"],
        "duplicate question": ["line 8 (same as line 2)"],
        "answer shorter than 8 characters": ["line 9"],
    }
    assert [(g.reason, g.examples) for g in summary.notices] == [
        ("difficulty not understood (1-3, easy/medium/hard or junior/mid/senior), 2 used", ['line 10 "5"'])]
    text = "\n".join(summary_lines(summary))
    # Flashcard answers of a sentence or two: each is matched as a whole, and the summary says what that costs.
    assert summary.terse_answers == summary.imported == 5
    assert ("5 of 5 answers are too short to grade on their sentences" in text
            and "reverses it can score like a right one" in text and "interviewer packs validate" in text)
    assert '  empty answer (1): line 6 "What is a KV cache?"' in text
    assert "Skipped 4:" in text and "interviewer packs show questions" in text
    assert "interviewer interview --pack questions" in text


def test_reimport_updates_the_pack_in_place_with_the_same_ids(tmp_path: Path) -> None:
    source = tmp_path / "deck.csv"
    source.write_text((IMPORTS / "questions.csv").read_text())
    first, pack = run_import(source, tmp_path / "packs")
    again, same = run_import(source, tmp_path / "packs")
    assert [q.id for q in same.questions] == [q.id for q in pack.questions]
    assert (again.replaced, again.kept, again.added, again.removed) == (True, 5, 0, 0)
    assert sorted(p.name for p in (tmp_path / "packs").iterdir()) == ["deck-notes.md", "deck.yaml"]

    edited = source.read_text().replace("It retrieves relevant passages", "It first retrieves passages")
    source.write_text(edited + "What is speculative decoding?,A small model drafts tokens and the large one "
                               "checks them in one pass.,Decoding,3,\n")
    third, updated = run_import(source, tmp_path / "packs")
    old_ids = {q.question: q.id for q in pack.questions}
    assert all(old_ids[q.question] == q.id for q in updated.questions if q.question in old_ids)
    assert (third.kept, third.added, third.removed, third.imported) == (5, 1, 0, 6)
    answer = by_question(updated)["What is retrieval-augmented generation?"].reference_answer
    assert answer.startswith("It first retrieves passages")


def test_tsv_front_back_deck_columns_and_seniority_words(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "questions.tsv", tmp_path)
    assert summary.format == "tsv"
    assert [(q.topic, q.difficulty) for q in pack.questions] == [("embeddings", 1), ("search", 3), ("questions", 2)]
    assert pack.topic_title("questions") == "Questions"  # no deck: a topic named after the file


def test_headerless_file_uses_its_first_two_columns_and_sniffs_the_delimiter(tmp_path: Path) -> None:
    _, pack = run_import(IMPORTS / "headerless.csv", tmp_path)
    assert [(q.question, q.reference_answer[:20]) for q in pack.questions] == [
        ("What is quantisation?", "Storing weights in f"), ("What is distillation?", "Training a small stu")]


def test_text_encodings_and_anki_text_export(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("question;answer\nWhat is a café?;A place that sells coffee and pastries.\n".encode("cp1252"))
    summary, pack = run_import(legacy, tmp_path / "packs")
    assert pack.questions[0].question == "What is a café?"
    assert summary.notices[0].reason == "read as Windows-1252 (it is not UTF-8)"
    wide = tmp_path / "wide.tsv"
    wide.write_bytes("Q\tA\nWhat is a naïve retriever?\tOne that ranks by word overlap only.\n".encode("utf-16"))
    assert run_import(wide, tmp_path / "packs")[1].questions[0].question == "What is a naïve retriever?"
    exported = tmp_path / "anki-export.txt"
    exported.write_text("#separator:tab\n#html:true\n#tags column:3\n"
                        "What is <i>RAG</i>?\tRetrieval, then generation<br>from the passages.\tllm::rag\n")
    summary, pack = run_import(exported, tmp_path / "packs")
    assert summary.format == "anki text export"
    assert pack.questions[0].reference_answer == "Retrieval, then generation\nfrom the passages."
    assert pack.questions[0].tags[0] == "llm::rag"


def test_topic_and_name_options(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "questions.csv", tmp_path, name="My Pack!", topic="LLM basics")
    assert summary.pack == pack.name == "my-pack"
    assert summary.topics == {"llm-basics": 5}
    assert [(t.id, t.title) for t in pack.topics] == [("llm-basics", "LLM basics")]
    assert Path(summary.pack_path).name == "my-pack.yaml" and Path(summary.notes_path).name == "my-pack-notes.md"


# --- Markdown ---------------------------------------------------------------------------------------------------


def test_markdown_question_headings_with_topic_sections(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "headings.md", tmp_path)
    assert pack.title == "LLM interview notes" and summary.format == "markdown"
    assert [(q.topic, q.question) for q in pack.questions] == [
        ("rag", "What is retrieval-augmented generation?"), ("rag", "How do you choose a chunk size?"),
        ("transformers", "Why does attention scale quadratically?"), ("decoding", "What does temperature change?")]
    chunking = pack.questions[1].reference_answer
    assert "#### Rule of thumb" in chunking and "## not a heading" in chunking  # deeper heading, code: the answer
    assert reasons(summary) == {"no answer under the question heading": ["line 31"]}
    notes = Path(summary.notes_path).read_text()
    assert "**Rule of thumb**" in notes and "\n#### Rule of thumb" not in notes  # cited section stays whole
    assert_sections_resolve(summary, pack)


def test_markdown_q_and_a_pairs_in_every_spelling(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "qa.md", tmp_path)
    questions = by_question(pack)
    assert list(questions) == ["What is a token in a language model?", "What does the context window limit?",
                               "How would you evaluate a RAG system?", "What is perplexity?",
                               "What is top-p sampling?"]
    window = questions["What does the context window limit?"].reference_answer
    assert window.startswith("The number of tokens") and window.endswith("- Long documents must be chunked or "
                                                                         "summarised.")
    assert [q.topic for q in pack.questions] == ["basics", "basics", "evaluation", "evaluation", "evaluation"]
    assert reasons(summary) == {"question without an answer (no A: line after it)": ["line 24"],
                                "answer without a question (no Q: line before it)": ["line 28"]}


def test_awkward_questions_still_give_resolving_sections(tmp_path: Path) -> None:
    long_start = "Explain, step by step and with the trade-offs you would weigh in a production system, how "
    source = tmp_path / "awkward.md"
    source.write_text(
        f"Q: {long_start}retrieval works.\nA: First the query is embedded, then the index is searched.\n\n"
        f"Q: {long_start}reranking works.\nA: A cross-encoder scores each candidate passage with the query.\n\n"
        "Q: What changed in C#\nA: A language, not a model; kept to test the heading.\n\n"
        "Q: Show a heading inside an answer\nA: Like this:\n# Not a heading of the notes\n```\nunclosed fence\n")
    summary, pack = run_import(source, tmp_path / "packs")
    assert summary.imported == 4
    headings = [q.sections[0].partition("#")[2] for q in pack.questions]
    assert len({h.casefold() for h in headings}) == 4 and all(len(h) <= 95 for h in headings)
    assert headings[2] == "What changed in C"  # the heading parser drops a trailing '#': the citation agrees
    assert_sections_resolve(summary, pack)


# --- Anki -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two decks; basic notes with HTML, an image and a sound; a cloze note with two deletions (one hinted)."""
    import genanki

    folder = tmp_path_factory.mktemp("anki")
    image = folder / "diagram.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    rag = genanki.Deck(2059400110, "Interview::RAG")
    transformers = genanki.Deck(2059400111, "Interview::Transformers")
    basic, cloze = genanki.BASIC_MODEL, genanki.CLOZE_MODEL
    rag.add_note(genanki.Note(model=basic, tags=["rag", "marked"], fields=[
        "What is <b>retrieval</b>-augmented generation?",
        "It fetches documents<br>and grounds the answer.<div>Fewer hallucinations &amp; citations.</div>"]))
    rag.add_note(genanki.Note(model=basic, fields=[
        'Name the stages of this RAG pipeline <img src="diagram.png">',
        "Retriever, then reranker, then generator. [sound:stages.mp3]"]))
    rag.add_note(genanki.Note(model=basic, fields=["What does the reranker look like?", '<img src="diagram.png">']))
    transformers.add_note(genanki.Note(model=cloze, fields=[
        "Self-attention costs {{c1::quadratic::growth}} time in the {{c2::sequence length}}.",
        "FlashAttention makes it <i>memory</i>-efficient."]))
    transformers.add_note(genanki.Note(model=basic, tags=["transformers"], fields=[
        "Why use multi-head attention?", "<ul><li>Different subspaces</li><li>Several relations at once</li></ul>"]))
    path = folder / "interview.apkg"
    genanki.Package([rag, transformers], media_files=[str(image)]).write_to_file(str(path))
    return path


def test_anki_basic_and_cloze_notes_html_media_and_decks(apkg: Path, tmp_path: Path) -> None:
    summary, pack = run_import(apkg, tmp_path)
    questions = by_question(pack)
    assert summary.format == "anki" and pack.title == "Interview"  # the decks' common parent
    assert questions["What is retrieval-augmented generation?"].reference_answer == (
        "It fetches documents\nand grounds the answer.\nFewer hallucinations & citations.")
    assert questions["What is retrieval-augmented generation?"].tags[0] == "rag"  # "marked" is review state
    assert questions["Name the stages of this RAG pipeline"].reference_answer == (
        "Retriever, then reranker, then generator.")
    full = "Self-attention costs quadratic time in the sequence length.\n\nFlashAttention makes it memory-efficient."
    assert questions["Self-attention costs [growth] time in the sequence length."].reference_answer == full
    assert questions["Self-attention costs quadratic time in the […]."].reference_answer == full
    assert questions["Why use multi-head attention?"].reference_answer == (
        "- Different subspaces\n- Several relations at once")
    assert summary.topics == {"rag": 2, "transformers": 3}
    assert summary.media_skipped == 3
    assert [g.reason for g in summary.skipped_reasons] == ["answer is only an image or a sound"]
    assert "Media skipped: 3" in "\n".join(summary_lines(summary))
    assert_sections_resolve(summary, pack)
    again, same = run_import(apkg, tmp_path)
    assert [q.id for q in same.questions] == [q.id for q in pack.questions] and again.kept == 5


def rezip(source: Path, target: Path, members: dict[str, bytes | None]) -> Path:
    """A copy of an .apkg with members renamed (value None: dropped) or added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename not in members:
                new.writestr(info.filename, old.read(info.filename))
        for name, data in members.items():
            if data is not None:
                new.writestr(name, data)
    return target


def test_anki21_collection_is_read_and_anki21b_is_refused(apkg: Path, tmp_path: Path) -> None:
    collection = zipfile.ZipFile(apkg).read("collection.anki2")
    newer = rezip(apkg, tmp_path / "newer.apkg", {"collection.anki2": b"please update Anki",
                                                  "collection.anki21": collection})
    assert run_import(newer, tmp_path / "packs")[0].imported == 5  # the .anki21 one, not the stub
    newest = rezip(apkg, tmp_path / "newest.apkg", {"collection.anki2": collection,
                                                    "collection.anki21b": b"(zstd)"})
    with pytest.raises(PackImportError, match='export the deck again with "Support older Anki versions" ticked'):
        import_file(newest, packs_dir=tmp_path / "packs")


# --- bad input: one clear line each ------------------------------------------------------------------------


def broken_inputs(folder: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what its one line must say)."""
    (folder / "binary.csv").write_bytes(b"PK\x03\x04\x00\x00binary\x00data")
    (folder / "text.apkg").write_text("question,answer\n")
    with zipfile.ZipFile(folder / "photos.apkg", "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8")
    with zipfile.ZipFile(folder / "corrupt.apkg", "w") as archive:
        archive.writestr("collection.anki2", b"this is not SQLite at all" * 10)
    empty_db = folder / "empty.sqlite"
    sqlite3.connect(empty_db).close()
    with zipfile.ZipFile(folder / "tableless.apkg", "w") as archive:
        archive.write(empty_db, "collection.anki2")
    (folder / "a-folder.csv").mkdir()
    return {
        "unknown extension": (IMPORTS / "notes.docx", "cannot import '.docx' files; import one of .csv"),
        "one column": (IMPORTS / "one_column.csv", "has one column"),
        "no answer column": (IMPORTS / "no_answer_column.csv", "names no answer column"),
        "zero usable rows": (IMPORTS / "empty_answers.csv", "no usable questions in"),
        "no questions": (IMPORTS / "no_questions.md", "use '## Question' headings"),
        "binary": (folder / "binary.csv", "looks like a binary file"),
        "not a zip": (folder / "text.apkg", "is not a zip archive"),
        "zip but not anki": (folder / "photos.apkg", "is a zip archive but not an Anki package"),
        "corrupt sqlite": (folder / "corrupt.apkg", "not a readable Anki database (file is not a database)"),
        "no tables": (folder / "tableless.apkg", "not a readable Anki database (no such table: col)"),
        "missing": (folder / "missing.csv", "cannot read"),
        "folder": (folder / "a-folder.csv", "is a folder"),
    }


def test_each_bad_input_gives_one_clear_line_and_writes_nothing(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    for label, (path, expected) in broken_inputs(tmp_path).items():
        with pytest.raises(PackImportError) as caught:
            import_file(path, packs_dir=packs)
        message = caught.value.message
        assert expected in message, label
        assert "\n" not in message and str(caught.value).startswith("Cannot import questions: "), label
    assert not packs.exists() or not list(packs.iterdir())
    with pytest.raises(PackImportError, match=r"2 empty answer \(e\.g\. line 2 \"What is retrieval-augmented"):
        import_file(IMPORTS / "empty_answers.csv", packs_dir=packs)


def test_unclosed_quote_is_reported_at_its_row(tmp_path: Path) -> None:
    summary, pack = run_import(IMPORTS / "unclosed_quote.csv", tmp_path)
    assert [q.question for q in pack.questions] == ["What is a token?"]
    assert reasons(summary) == {"a quote opened on this row never closes (the rest of the file was read into it)":
                                ["line 3"]}


def test_a_file_over_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    assert huge.stat().st_size > MAX_TEXT_BYTES

    def never(*_: object, **__: object) -> bytes:
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", never)
    with pytest.raises(PackImportError, match=r"huge\.csv is 50 MB, more than the 20 MB an import reads"):
        import_file(huge, packs_dir=tmp_path / "packs")


def test_an_unreadable_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.csv"
    locked.write_text("question,answer\n")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads any file: refuse it the way the kernel refuses everyone else
        opened = Path.open

        def refuse(path: Path, *args: object, **kwargs: object) -> object:
            if path == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return opened(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(PackImportError, match="cannot read .*locked.csv: Permission denied"):
        import_file(locked, packs_dir=tmp_path / "packs")


def test_never_replaces_a_pack_it_did_not_write(tmp_path: Path) -> None:
    packs = tmp_path / "packs"
    packs.mkdir()
    own = packs / "questions.yaml"
    own.write_text("name: questions\n# my own pack\n")
    with pytest.raises(PackImportError, match="already exists and was not made by `packs import`"):
        import_file(IMPORTS / "questions.csv", packs_dir=packs)
    assert own.read_text() == "name: questions\n# my own pack\n"
    assert run_import(IMPORTS / "questions.csv", packs, force=True)[0].imported == 5
    with pytest.raises(PackImportError, match="holds the import of questions.csv, not questions.tsv"):
        import_file(IMPORTS / "questions.tsv", packs_dir=packs)
    with pytest.raises(PackImportError, match="'genai-core' is the name of a built-in pack"):
        import_file(IMPORTS / "questions.csv", packs_dir=packs, name="genai-core")


def test_a_failed_write_leaves_the_previous_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interviewer.pack_import import writer

    packs = tmp_path / "packs"
    summary, _ = run_import(IMPORTS / "questions.csv", packs)
    before = {path.name: path.read_text() for path in packs.iterdir()}

    def refuse(pack_path: Path, notes_path: Path) -> None:
        raise PackImportError("the generated pack does not load")

    monkeypatch.setattr(writer, "_check_staged", refuse)
    source = tmp_path / "questions.csv"
    source.write_text((IMPORTS / "questions.csv").read_text().replace("junior", "senior"))
    with pytest.raises(PackImportError):
        import_file(source, packs_dir=packs)
    assert {path.name: path.read_text() for path in packs.iterdir()} == before  # and no staging folder left
    monkeypatch.undo()
    monkeypatch.setattr(writer, "MAX_PACK_BYTES", 1000)  # a pack the loader would refuse is never written
    with pytest.raises(PackImportError, match="a pack may hold; split questions.csv into smaller files"):
        import_file(source, packs_dir=packs)
    assert {path.name: path.read_text() for path in packs.iterdir()} == before


# --- the command line --------------------------------------------------------------------------------------------


runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, InterviewerError):
        return 1, result.stdout, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_imports_a_csv_and_packs_show_lists_it_as_reference_only(isolated_environment: Path) -> None:
    code, stdout, _ = cli("packs", "import", str(IMPORTS / "questions.csv"), "--name", "from-csv")
    assert code == 0
    assert "Imported 5 questions from questions.csv (csv) into the pack 'from-csv'." in stdout
    assert f"Pack:  {isolated_environment / 'data' / 'packs' / 'from-csv.yaml'}" in stdout
    code, stdout, _ = cli("packs", "show", "from-csv", "--json")
    assert code == 0
    rows = json.loads(stdout)["questions"]
    assert len(rows) == 5 and all(row["reference_only"] and row["key_points"] == 0 for row in rows)
    assert rows[0]["question"] == "What is retrieval-augmented generation?"
    code, stdout, _ = cli("packs", "import", str(IMPORTS / "questions.csv"), "--name", "from-csv", "--json")
    summary = json.loads(stdout)
    assert code == 0 and summary["replaced"] and summary["kept"] == 5 and summary["skipped"] == 4
    assert summary["next_commands"][0] == "interviewer packs show from-csv"


def test_cli_bad_file_is_a_titled_error_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "deck.apkg"
    bad.write_text("not a zip")
    result = run_cli("packs", "import", str(bad), timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: Cannot import questions",
        f"{bad} is not a zip archive, so not an Anki package; in Anki use File > Export > \"Anki Deck Package "
        "(.apkg)\""]
