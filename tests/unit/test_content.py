"""The built-in content: the pack's coverage, its references into the documents, the evaluation sets."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from interviewer.evaluation.retrieval import default_retrieval_dataset, load_retrieval_dataset
from interviewer.packs import discover_packs, load_pack, validate_pack_file
from interviewer.resources import builtin_docs_dir, builtin_eval_dir, builtin_packs_dir
from interviewer.retrieval.documents import find_documents, load_document, section_titles
from tests.conftest import SEEDS_DIR

TOPIC_AREAS = {
    "llm-basics",
    "transformers",
    "tokenization",
    "pretraining",
    "fine-tuning",
    "alignment",
    "prompting",
    "decoding",
    "hallucination",
    "rag",
    "chunking",
    "embeddings",
    "vector-search",
    "search-ranking",
    "evaluation",
    "deployment",
    "agents",
    "responsible-ai",
    "multimodal",
    "llama-architecture",
}


@pytest.fixture(scope="module")
def core():  # type: ignore[no-untyped-def]
    return load_pack(builtin_packs_dir() / "genai-core.yaml", builtin=True)


@pytest.fixture(scope="module")
def sections_by_file() -> dict[str, set[str]]:
    return {name: section_titles(load_document(path)) for path, name in find_documents(builtin_docs_dir())}


def test_every_builtin_pack_is_valid() -> None:
    catalog = discover_packs(builtin_packs_dir(), None)
    assert catalog.skipped == []
    assert "genai-core" in [p.pack.name for p in catalog.packs]


def test_core_pack_covers_every_topic_area_at_every_difficulty(core) -> None:  # type: ignore[no-untyped-def]
    pack = core.pack
    assert {topic.id for topic in pack.topics} == TOPIC_AREAS
    assert len(pack.questions) >= 150
    per_topic = Counter(q.topic for q in pack.questions)
    assert min(per_topic.values()) >= 5, per_topic
    per_difficulty = Counter(q.difficulty for q in pack.questions)
    assert all(per_difficulty[level] >= 30 for level in (1, 2, 3)), per_difficulty
    for topic in TOPIC_AREAS:
        levels = {q.difficulty for q in pack.questions if q.topic == topic}
        assert levels == {1, 2, 3}, f"{topic} lacks a difficulty: {levels}"
    assert set(Counter(q.kind for q in pack.questions)) == {"concept", "compare", "design", "debug"}


def test_every_question_has_a_usable_rubric(core) -> None:  # type: ignore[no-untyped-def]
    for question in core.pack.questions:
        assert question.sections, f"{question.id} cites no knowledge section"
        assert question.follow_ups, f"{question.id} has no follow-up"
        for point in question.key_points:
            assert point.probe.rstrip().endswith("?"), f"{question.id}/{point.id}: probe is not a question"
            # A probe asks for the point without giving it away: it must not restate the statement.
            statement_words = set(re.findall(r"[a-z]{4,}", point.statement.lower()))
            probe_words = set(re.findall(r"[a-z]{4,}", point.probe.lower()))
            assert len(statement_words & probe_words) < 0.6 * len(statement_words), (
                f"{question.id}/{point.id}"
            )


def test_every_cited_section_exists(core, sections_by_file) -> None:  # type: ignore[no-untyped-def]
    _, problems = validate_pack_file(core.path, lambda documents: sections_by_file)
    assert [str(problem) for problem in problems if "section" in problem.message] == []


def test_every_topic_has_its_document(sections_by_file: dict[str, set[str]]) -> None:
    assert {name.removesuffix(".md") for name in sections_by_file} >= TOPIC_AREAS


def test_retrieval_set_is_large_and_paraphrased(core) -> None:  # type: ignore[no-untyped-def]
    cases = load_retrieval_dataset(default_retrieval_dataset())
    assert len(cases) >= 60
    questions = {q.question.lower().strip(" ?") for q in core.pack.questions}
    headings = {
        s.title.lower() for p, _ in find_documents(builtin_docs_dir()) for s in load_document(p).sections
    }
    for case in cases:
        query = case.query.lower().strip(" ?")
        assert query not in questions and query not in headings, (
            f"line {case.line} copies a question or heading"
        )


def test_grading_development_set_shape() -> None:
    with (builtin_eval_dir() / "grading-dev.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 120
    assert {"question", "reference_answer", "student_answer", "score", "key_points"} <= set(rows[0])
    kinds = Counter(row["kind"] for row in rows)
    assert {"strong", "partial", "wrong", "junk", "adversarial", "padded"} <= set(kinds)
    assert {int(row["score"]) for row in rows} == {0, 1, 2, 3, 4, 5}


@pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason="the seed documents are not beside this checkout")
def test_content_is_written_in_its_own_words() -> None:
    """No run of 12 words is shared with the documents the content was researched from."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    seed_runs: set[str] = set()
    for path in SEEDS_DIR.glob("*"):
        w = words(path.read_text(errors="ignore"))
        seed_runs.update(" ".join(w[i : i + 12]) for i in range(len(w) - 11))
    knowledge = builtin_docs_dir().parent
    copied = {}
    for path in knowledge.rglob("*"):
        if path.suffix in (".md", ".yaml", ".tsv", ".csv"):
            w = words(path.read_text())
            hits = sum(" ".join(w[i : i + 12]) in seed_runs for i in range(len(w) - 11))
            if hits:
                copied[str(path.relative_to(knowledge))] = hits
    assert copied == {}
