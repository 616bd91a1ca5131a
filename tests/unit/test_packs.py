from __future__ import annotations

import json
from pathlib import Path

import pytest

from interviewer.packs import (
    PackValidationError,
    discover_packs,
    load_pack,
    scaffold_pack,
    validate_pack_text,
)

VALID = """\
name: demo
title: Demo pack
version: 1
description: A small pack for tests.
topics:
  - id: rag
    title: Retrieval
  - id: decoding
    title: Decoding
questions:
  - id: rag-why
    topic: rag
    difficulty: 1
    question: Why add retrieval to an LLM application?
    reference_answer: Retrieval supplies fresh and private facts and grounds the answer in sources.
    key_points:
      - id: fresh-data
        statement: Retrieval supplies facts that were not in the training data.
        weight: 2
        probe: What does the model lack that retrieval can give it?
      - id: grounding
        statement: Grounding in retrieved text reduces hallucination.
        weight: 1
        probe: How does retrieval change how trustworthy answers are?
  - id: decoding-temperature
    topic: decoding
    difficulty: 2
    question: What does the temperature parameter do during sampling?
    reference_answer: It divides the logits before the softmax, sharpening or flattening the distribution.
    key_points:
      - id: divides-logits
        statement: Temperature divides the logits before the softmax.
        probe: Where in the computation does temperature act?
      - id: sharpen-flatten
        statement: Low temperature sharpens the distribution and high temperature flattens it.
        probe: What happens to the distribution as you raise it?
"""


def problems_for(text: str) -> list[str]:
    pack, problems = validate_pack_text(text, Path("p.yaml"))
    assert pack is None, "a malformed pack must not load"
    return [str(problem) for problem in problems]


def test_valid_pack_loads_with_defaults() -> None:
    pack, problems = validate_pack_text(VALID, Path("p.yaml"))
    assert problems == []
    assert pack is not None
    assert pack.version == "1"
    assert [q.id for q in pack.questions] == ["rag-why", "decoding-temperature"]
    assert pack.questions[1].key_points[0].weight == 1.0  # weight defaults to 1
    assert pack.question("rag-why").key_point("grounding").weight == 1


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("difficulty: 1", "difficulty: 4", "p.yaml:13:17: difficulty must be 1, 2 or 3, not 4"),
        ("difficulty: 1", "difficulty: easy", "p.yaml:13:17: difficulty must be 1, 2 or 3, not 'easy'"),
        (
            "    topic: rag\n",
            "    topic: agents\n",
            "p.yaml:12:12: topic 'agents' is not declared in the pack's topics (decoding, rag)",
        ),
        ("  - id: decoding-temperature", "  - id: rag-why", "p.yaml:25:9: duplicate question id 'rag-why'"),
        (
            "        weight: 2\n",
            "        weight: -1\n",
            "p.yaml:19:17: weight must be a number greater than 0 and at most 10, not -1",
        ),
        (
            "        weight: 2\n",
            "        weight: heavy\n",
            "p.yaml:19:17: weight must be a number greater than 0 and at most 10, not 'heavy'",
        ),
        (
            "    question: Why add retrieval to an LLM application?\n",
            "",
            "p.yaml:11:5: missing required field 'question'",
        ),
        ("title: Demo pack\n", "title: Demo pack\ntitel: typo\n", "p.yaml:3:1: unknown field 'titel'"),
        (
            "  - id: rag-why",
            "  - id: Rag Why",
            "p.yaml:11:9: 'id' must be a lowercase slug (letters, digits, '-', '_', '.'), not 'Rag Why'",
        ),
        (
            "      - id: grounding",
            "      - id: fresh-data",
            "p.yaml:21:13: duplicate key point id 'fresh-data'",
        ),
        ("title: Demo pack\n", "title: Demo pack\ntitle: Again\n", "p.yaml:3:1: duplicate key 'title'"),
    ],
)
def test_malformed_pack_reports_exact_location_and_message(old: str, new: str, expected: str) -> None:
    assert old in VALID
    assert expected in problems_for(VALID.replace(old, new, 1))


def test_too_few_key_points_is_reported() -> None:
    text = VALID.replace(
        """      - id: grounding
        statement: Grounding in retrieved text reduces hallucination.
        weight: 1
        probe: How does retrieval change how trustworthy answers are?
""",
        "",
    )
    assert ("p.yaml:17:7: a question needs 2 to 6 key points (or none, to be graded against its reference answer), "
            "this one has 1") in problems_for(text)


def test_a_question_without_key_points_is_graded_against_its_reference_answer() -> None:
    start = VALID.index("    key_points:\n      - id: fresh-data")
    end = VALID.index("  - id: decoding-temperature")
    for rubric in ("    key_points: []\n", ""):
        pack, problems = validate_pack_text(VALID[:start] + rubric + VALID[end:], Path("p.yaml"))
        # Loads; its one-sentence reference is warned about (test_..._terse_reference_is_warned_about).
        assert pack is not None and [problem.severity for problem in problems] == ["warning"]
        question = pack.questions[0]
        assert question.reference_only and "reference-only" in question.tags
        assert len(question.key_points) >= 2
        assert all(point.statement in question.reference_answer for point in question.key_points)
        assert [row["reference_only"] for row in pack.question_rows()] == [True, False]
        assert pack.question_rows()[0]["key_points"] == 0


def test_bad_yaml_points_at_the_syntax_error() -> None:
    text = VALID.replace("title: Demo pack", "title: [unclosed")
    problems = problems_for(text)
    assert len(problems) == 1
    assert problems[0] == "p.yaml:3:8: invalid YAML: expected ',' or ']', but got ':'"


def test_every_problem_is_reported_not_just_the_first() -> None:
    text = VALID.replace("difficulty: 1", "difficulty: 9").replace("difficulty: 2", "difficulty: 0")
    assert len(problems_for(text)) == 2


def test_a_pack_that_is_not_a_mapping() -> None:
    assert problems_for("- just\n- a list\n") == [
        "p.yaml:1:1: a pack must be a YAML mapping with name, title, topics, questions"
    ]


def test_load_pack_raises_with_all_problems(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(VALID.replace("difficulty: 1", "difficulty: 9"))
    with pytest.raises(PackValidationError) as raised:
        load_pack(path)
    assert f"{path}:13:17: difficulty must be 1, 2 or 3, not 9" in raised.value.message


def test_broken_user_pack_is_skipped_and_others_still_load(tmp_path: Path) -> None:
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir()
    user.mkdir()
    (builtin / "demo.yaml").write_text(VALID)
    (user / "mine.yaml").write_text(VALID.replace("name: demo", "name: mine"))
    (user / "broken.yaml").write_text("name: [\n")
    (user / "notes.txt").write_text("not a pack")
    catalog = discover_packs(builtin, user)
    assert sorted(p.pack.name for p in catalog.packs) == ["demo", "mine"]
    assert len(catalog.skipped) == 1 and "broken.yaml" in catalog.skipped[0].message
    assert catalog.get("mine").builtin is False


def test_scaffolded_pack_is_valid_and_shows_every_part_of_the_format(tmp_path: Path) -> None:
    from interviewer.packs import notes_file_name, scaffold_notes

    (tmp_path / notes_file_name("my-pack")).write_text(scaffold_notes("my-pack"), encoding="utf-8")
    headings = {line.removeprefix("## ").casefold() for line in scaffold_notes("my-pack").splitlines()
                if line.startswith("## ")}
    pack, problems = validate_pack_text(scaffold_pack("my-pack"), tmp_path / "my-pack.yaml",
                                        lambda documents: {notes_file_name("my-pack"): headings})
    assert [str(problem) for problem in problems] == [] and pack is not None
    assert pack.name == "my-pack" and pack.documents == ["my-pack-notes.md"]
    authored, reference_only = pack.questions
    assert authored.misconceptions and authored.sections and authored.follow_ups and not authored.reference_only
    assert reference_only.reference_only and reference_only.sections


def test_scaffold_rejects_bad_name() -> None:
    with pytest.raises(Exception, match="not a valid pack name"):
        scaffold_pack("My Pack!")


def test_json_schema_describes_the_format() -> None:
    from interviewer.packs import pack_json_schema

    schema = json.loads(pack_json_schema())
    assert set(schema["required"]) >= {"name", "title", "version", "topics", "questions"}
    key_point = schema["$defs"]["KeyPoint"]
    assert key_point["properties"]["probe"]["description"]


def test_misconceptions_are_optional_and_need_a_claim_and_why() -> None:
    from pydantic import ValidationError

    from interviewer.packs import Misconception, pack_json_schema

    assert Misconception(claim="LoRA updates every weight.", why="LoRA freezes the weights.").claim
    with pytest.raises(ValidationError):
        Misconception(claim="short", why="LoRA freezes the weights.")
    assert "misconceptions" in pack_json_schema()


def test_every_builtin_question_has_a_misconception() -> None:
    from interviewer.resources import builtin_packs_dir

    pack = load_pack(builtin_packs_dir() / "genai-core.yaml").pack
    assert all(question.misconceptions for question in pack.questions)


def test_a_broken_pack_asked_for_by_name_says_it_was_skipped_and_why(tmp_path: Path) -> None:
    from interviewer.errors import PackError

    user = tmp_path / "packs"
    user.mkdir()
    (user / "k8s.yaml").write_text("name: kube-notes\ntitle: My notes\nversion: '1'\ntopics: []\nquestions:\n"
                                   "- id: q1\n  topic: missing\n  question: What is a pod?\n")
    catalog = discover_packs(tmp_path / "none", user)
    for asked in ("k8s", "kube-notes"):
        with pytest.raises(PackError) as raised:
            catalog.get(asked)
        assert raised.value.title == "Broken question pack"
        assert "k8s.yaml:" in raised.value.message and "skipped because it is broken" in raised.value.message
    with pytest.raises(PackError) as unknown:
        catalog.get("nothing-like-it")
    assert unknown.value.title == "Unknown pack"


def test_schema_problems_and_the_packs_own_rules_are_reported_in_one_run() -> None:
    text = (VALID.replace("    difficulty: 2\n", "    difficulty: 7\n")          # a schema problem
            .replace("topic: decoding\n", "topic: sampling\n")                 # an undeclared topic
            .replace("id: grounding", "id: fresh-data"))                       # a duplicate key point id
    problems = problems_for(text)
    assert any("difficulty must be 1, 2 or 3" in problem for problem in problems)
    assert any("topic 'sampling' is not declared" in problem for problem in problems)
    assert any("duplicate key point id 'fresh-data'" in problem for problem in problems)


def test_warnings_do_not_stop_a_pack_loading_and_say_what_to_do() -> None:
    text = (VALID.replace("  - id: decoding\n    title: Decoding\n",
                          "  - id: decoding\n    title: Decoding\n  - id: unused\n    title: Nobody asks\n")
            .replace("statement: Grounding in retrieved text reduces hallucination.",
                     "statement: Retrieval does not change how often the model hallucinates.")
            .replace("probe: What happens to the distribution as you raise it?",
                     "probe: Does low temperature sharpen the distribution and high temperature flatten it?"))
    pack, problems = validate_pack_text(text, Path("p.yaml"))
    assert pack is not None, "warnings never keep a pack from loading"
    warnings = [str(problem) for problem in problems]
    assert all(problem.severity == "warning" for problem in problems)
    assert any("topic 'unused' has no questions" in warning for warning in warnings)
    assert any("'grounding' is phrased as a negation ('not')" in warning and "state what is true" in warning
               for warning in warnings)
    assert any("probe of key point 'sharpen-flatten' gives the point away" in warning for warning in warnings)
    assert all(": warning: " in warning for warning in warnings)


def test_near_duplicate_key_points_are_warned_about() -> None:
    text = VALID.replace("statement: Grounding in retrieved text reduces hallucination.",
                         "statement: Retrieval supplies recent facts that were not in the training data.")
    pack, problems = validate_pack_text(text, Path("p.yaml"))
    assert pack is not None
    assert any("'grounding' says nearly what 'fresh-data' says" in str(problem) for problem in problems)


def test_a_question_without_key_points_and_a_terse_reference_is_warned_about() -> None:
    """Such a question is matched against its reference as a whole, which cannot tell a reversal from a right
    answer: the author is told before a learner is graded on it, and what to write instead."""
    start, end = VALID.index("    key_points:\n      - id: fresh-data"), VALID.index("  - id: decoding-temperature")
    terse = VALID[:start] + VALID[end:]
    pack, problems = validate_pack_text(terse, Path("p.yaml"))
    assert pack is not None and pack.questions[0].reference_only
    assert [problem.severity for problem in problems] == ["warning"]
    assert "'rag-why' has no key points" in str(problems[0]) and "add key points" in str(problems[0])
    assert str(problems[0]).startswith("p.yaml:15:")  # the line of its reference_answer
    longer = terse.replace(
        "reference_answer: Retrieval supplies fresh and private facts and grounds the answer in sources.",
        "reference_answer: Retrieval supplies fresh and private facts. It grounds the answer in sources the "
        "reader can check. It costs a search before every answer.")
    pack, problems = validate_pack_text(longer, Path("p.yaml"))
    assert pack is not None and pack.questions[0].reference_only and problems == []


def test_the_valid_example_has_no_warnings() -> None:
    pack, problems = validate_pack_text(VALID, Path("p.yaml"))
    assert pack is not None and problems == []


def test_an_indentation_error_says_indentation_and_shows_the_line() -> None:
    text = VALID.replace("    question: Why add retrieval", "   question: Why add retrieval")
    problems = problems_for(text)
    assert len(problems) == 1
    assert "check the indentation" in problems[0]
    assert "'   question: Why add retrieval to an LLM application?'" in problems[0]


def test_a_cited_heading_that_is_missing_is_a_warning_and_an_unknown_document_an_error() -> None:
    text = VALID.replace("    question: Why add retrieval", "    sections: [rag.md#Nowhere, other.md#Intro]\n"
                                                            "    question: Why add retrieval")
    pack, problems = validate_pack_text(text, Path("p.yaml"), lambda documents: {"rag.md": {"retrieval"}})
    assert pack is None
    shown = {problem.severity: str(problem) for problem in problems}
    assert "'rag.md' has no heading 'Nowhere'" in shown["warning"]
    assert "no document named 'other.md'" in shown["error"]
