"""The non-answer guards: terse, misspelt, code and formula answers pass; junk still scores 0.

The answers here are written for these tests. A public short-answer set, when it sits beside the repository
(../shared/datasets/mohler-odd.csv), is read in place to check that no answer people scored 3 or more is zeroed.
"""

from __future__ import annotations

import csv

import pytest

from interviewer.evaluation.grading import load_grading_dataset
from interviewer.grading import Calibration, Grader, corpus_vocabulary, english_vocabulary
from interviewer.grading.guards import check_non_answer, looks_like_code_or_formula, recognisable
from interviewer.packs import KeyPoint, Question
from interviewer.text import content_words
from tests.conftest import REPO_ROOT
from tests.fakes import BagOfWordsEmbedder

MOHLER = REPO_ROOT.parent / "shared" / "datasets" / "mohler-odd.csv"


def short_question(question: str, reference: str) -> Question:
    return Question(
        id="q", topic="t", difficulty=1, question=question, reference_answer=reference,
        key_points=[KeyPoint(id="k1", statement=reference, probe="What is the answer?"),
                    KeyPoint(id="k2", statement=f"In short: {reference}", probe="And in short?")],
    )


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(embedder=BagOfWordsEmbedder(), llm=None, calibration=Calibration(version="test"))


@pytest.mark.parametrize(
    ("question", "reference", "answer"),
    [
        # Terse: a word or two the question lacks is the answer, not a copy of the question.
        ("In which function does a C program start running?", "Execution starts in the main function.", "main"),
        ("In which function does a C program start running?", "Execution starts in the main function.", "In main"),
        ("What is the scope of a variable declared inside a loop body?", "It has block scope.", "Block scope."),
        ("Which decoding setting makes the next-token distribution flatter?", "A temperature above one.",
         "Higher temperature"),
        ("What does a stack call the operation that adds an element?", "It is called push.", "Push."),
        # Misspelt.
        ("Where is a global variable visible?", "Throughout the file that declares it.", "evrywhere in the progam"),
        # Code and formulas.
        ("Write a function that adds two integers.", "A function taking two int parameters and returning their sum.",
         "int add(int a, int b) { return a + b; }"),
        ("Write down scaled dot-product attention.", "Attention is softmax of QK^T over sqrt(d_k), times V.",
         "softmax(QK^T / sqrt(d_k)) V"),
        # Right in other words than the reference: nothing in it is another subject's vocabulary.
        ("What is the main advantage of a linked list over an array?",
         "A linked list can grow and shrink at run time.", "There is no fixed size you must choose up front."),
        ("What is the advantage of a doubly-linked list?", "Deletion before a given node takes constant time.",
         "You can walk it forwards and backwards."),
        # An admission followed by a real answer.
        ("What is retrieval-augmented generation?", "Retrieval puts relevant passages into the prompt.",
         "I don't know the name, but it retrieves passages and adds them to the prompt."),
        ("How are lists passed to functions?", "By reference.", "Pass-by-reference"),
    ],
)
def test_real_short_answers_pass_every_guard(grader: Grader, question: str, reference: str, answer: str) -> None:
    grade = grader.grade(short_question(question, reference), answer)
    assert grade.guard is None, grade.explanation


@pytest.mark.parametrize(
    ("answer", "guard"),
    [
        ("asdf qwerty lorem ipsum hr bot yes", "gibberish"),
        ("chunk chunk chunk 42 banana embedding???", "gibberish"),
        ("rank rank pairwise listwise blah blah zzzz", "gibberish"),
        ("The weather today is sunny and I really like pizza.", "off-topic"),
        ("The mitochondria is the powerhouse of the cell.", "off-topic"),
        ("Idk, whichever is cheaper on the cloud I guess.", "dont-know"),
        ("I don't really know, I've only used a chat website.", "dont-know"),
        ("I'd have to look that up, sorry.", "dont-know"),
        ("How would you choose the chunk size and the overlap for a RAG index?", "copy-of-question"),
        ("How would you choose the chunk size and the overlap", "copy-of-question"),
    ],
)
def test_junk_still_scores_zero(grader: Grader, answer: str, guard: str) -> None:
    question = short_question("How would you choose the chunk size and the overlap for a RAG index?",
                              "Measure retrieval recall on a labelled query set for several sizes and overlaps.")
    grade = grader.grade(question, answer)
    assert (grade.guard, grade.overall) == (guard, 0.0)


def test_misspellings_of_subject_words_are_recognised_but_not_of_common_names() -> None:
    vocabulary = {"program", "through", "enqueue"}
    assert recognisable("programm", vocabulary) and recognisable("throught", vocabulary)
    assert recognisable("enque", vocabulary), "a prefix of a subject word"
    assert recognisable("computer's", set(), {"computer"})
    assert not recognisable("lorem", vocabulary, {"loren"}), "general English counts only as spelt"
    assert looks_like_code_or_formula("x = a + b") and not looks_like_code_or_formula("plain words, one comma")


def test_the_subject_vocabulary_comes_from_the_documents_and_english_from_the_embedding_model() -> None:
    assert {"attention", "retrieval"} <= corpus_vocabulary()
    english = english_vocabulary()
    assert not english or {"program", "variable"} <= english


@pytest.mark.skipif(not MOHLER.is_file(), reason=f"the public short-answer set is not beside the repo ({MOHLER})")
def test_no_answer_people_scored_3_or_more_is_zeroed_by_the_text_guards_on_the_public_set() -> None:
    """The guards that need no embeddings; the off-topic guard is checked with the real model in integration."""
    cases = load_grading_dataset(MOHLER)
    assert len(cases) == sum(1 for _ in csv.DictReader(MOHLER.open(encoding="utf-8"))), "every row is gradable"
    false_zeros = []
    for case in cases:
        question = case.question
        vocabulary = corpus_vocabulary() | set(content_words(question.question + " " + question.reference_answer))
        guard = check_non_answer(case.answer, question.question, vocabulary, question.reference_answer,
                                 english_vocabulary())
        if guard is not None and case.human_score >= 3:
            false_zeros.append((guard.name, case.row.get("question_id")))
    assert false_zeros == []
