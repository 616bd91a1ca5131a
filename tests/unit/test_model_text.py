"""Model prose reaches the candidate only when it is complete, grounded and contradicts no key point."""

from __future__ import annotations

import pytest

from interviewer.grading import Calibration, Grader
from interviewer.grading.model_text import (
    GROUNDED_SHARE,
    contradicts_key_point,
    grounded_share,
    grounding_text,
    incomplete,
    review_model_prose,
)
from tests.agent_helpers import genai_core
from tests.fakes import BagOfWordsEmbedder, FakeLLM

# What SmolLM2-135M wrote as advice for the model-families question (issue #10): cut off, and LLaMA is decoder-only.
ISSUE_ADVICE = ("Encode-only models like BERT, RoBERTa, and LLaMA are not the best choice for generating "
                "text-to-text. They are designed,")
ANSWER = ("Encoder-only models like BERT use bidirectional attention and suit classification. Decoder-only models "
          "like GPT use causal masking for generation.")


@pytest.fixture(scope="module")
def families():  # type: ignore[no-untyped-def]
    return genai_core().question("llm-basics-model-families")


@pytest.mark.parametrize("text", [
    ISSUE_ADVICE,
    "Explain how decoder-only models generate text and",
    "Compare the three families, such as",
    "Mention the (causal mask.",
    "Explain the causal mask. GPT.",
])
def test_cut_off_or_fragmentary_prose_is_incomplete(text: str) -> None:
    assert incomplete(text) is not None


def test_whole_sentences_are_complete() -> None:
    assert incomplete("Explain how the causal mask makes decoder-only models generate text.") is None
    assert incomplete("Which family uses cross-attention between its two halves?") is None


def test_grounding_counts_the_words_found_in_the_questions_material(families) -> None:  # type: ignore[no-untyped-def]
    material = grounding_text(families)
    assert grounded_share("Say how encoder-decoder models like T5 use cross-attention for translation.",
                          material) >= 0.9
    assert grounded_share("Quantum entanglement secures blockchain consensus in distributed ledgers.", material) < 0.2
    review = review_model_prose("Quantum entanglement secures blockchain consensus in distributed ledgers.", families)
    assert review.problem is not None and review.problem.startswith("ungrounded")


def test_retrieved_references_ground_words_the_pack_does_not_use(families) -> None:  # type: ignore[no-untyped-def]
    text = "Read about sentinel tokens and span corruption objectives in encoder-decoder pretraining."
    reference = "Span corruption replaces spans with sentinel tokens; pretraining objectives differ by family."
    without, with_reference = review_model_prose(text, families), review_model_prose(text, families, [reference])
    assert with_reference.grounded > without.grounded and with_reference.grounded >= GROUNDED_SHARE


def test_a_named_example_under_the_wrong_role_contradicts(families) -> None:  # type: ignore[no-untyped-def]
    first_sentence = ISSUE_ADVICE.split(" They")[0]
    problem = contradicts_key_point(first_sentence, families)
    assert problem is not None and "LLaMA" in problem and "decoder-only" in problem
    assert contradicts_key_point("Decoder-only models like LLaMA and GPT use causal masking.", families) is None


def test_prose_reversing_a_key_point_is_rejected(families) -> None:  # type: ignore[no-untyped-def]
    review = review_model_prose("Remember that decoder-only models like GPT do not use causal masking.", families)
    assert review.problem is not None and review.problem.startswith("contradicts a key point")


def test_the_issue_advice_never_reaches_the_candidate(families) -> None:  # type: ignore[no-untyped-def]
    llm = FakeLLM().enqueue({"key_points": [], "advice": ISSUE_ADVICE})
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), unsure_band=(2.0, 3.0))
    grade = grader.grade(families, ANSWER)
    assert grade.model_advice is None
    assert not any("LLaMA" in item or "designed" in item for item in grade.advice)
    [kept] = grade.model_text_rejected
    assert kept.text == ISSUE_ADVICE and kept.reason.startswith("cut off")
    assert grade.advice[0].startswith(("Think about", "Check again"))  # the evidence's own advice stays


def test_the_first_sentence_alone_is_rejected_as_contradicting(families) -> None:  # type: ignore[no-untyped-def]
    llm = FakeLLM().enqueue({"key_points": [], "advice": ISSUE_ADVICE.split(" They")[0]})
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), unsure_band=(2.0, 3.0))
    grade = grader.grade(families, ANSWER)
    assert grade.model_advice is None and "LLaMA" in grade.model_text_rejected[0].reason


def test_advice_that_passes_is_shown_labelled_as_the_models(families) -> None:  # type: ignore[no-untyped-def]
    advice = "Explain how encoder-decoder models like T5 use cross-attention for translation."
    llm = FakeLLM().enqueue({"key_points": [], "advice": advice})
    grader = Grader(embedder=BagOfWordsEmbedder(), llm=llm, calibration=Calibration(), unsure_band=(2.0, 3.0))
    grade = grader.grade(families, ANSWER)
    assert grade.model_advice == advice and not grade.model_text_rejected
    assert f"From the model (fake-llm): {advice}" in grade.advice


def test_a_model_follow_up_must_be_grounded_and_keep_examples_in_their_family(families) -> None:  # type: ignore[no-untyped-def]
    from interviewer.agent.follow_up import review_follow_up

    point, embedder = families.key_point("decoder-only"), BagOfWordsEmbedder()
    assert review_follow_up("Why do decoder-only models use causal masking?", families, point, embedder) is None
    ungrounded = review_follow_up("Which models use causal masking, the way zorblax quasars hyperwidget flux?",
                                  families, point, embedder)
    assert ungrounded is not None and ungrounded.startswith("ungrounded")
    misplaced = review_follow_up("Why would encoder-only models like LLaMA suit chat?", families,
                                 families.key_point("encoder-only"), embedder)
    assert misplaced is not None and "LLaMA" in misplaced


def test_a_follow_up_failing_the_prose_checks_is_replaced_by_the_probe_and_kept(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.agent_helpers import make_session, plan
    from tests.fakes import make_fake_chat_model, reply, tool_call
    from tests.unit.test_agent import _partial_answer

    written = "What goes into the prompt for the LLM, per zorblax quasar telemetry and hyperwidget flux answers?"
    model = make_fake_chat_model(tool_call("search_knowledge", query="rag", topic="rag"), reply(written))
    session = make_session(tmp_path, chat_model=model)
    first = session.start(plan(topics=["rag"], questions=1, difficulty=1))
    step = session.send(_answer(_partial_answer(first.turn.question_id, "retrieve-then-generate")))
    follow_up = next(e for e in step.events if e.type == "follow-up")
    assert follow_up.data["source"] == "probe"
    notice = next(e for e in step.events if e.type == "notice" and "rejected" in e.data)
    assert notice.data["rejected"] == written and notice.data["reason"].startswith("ungrounded")


def _answer(text: str):  # type: ignore[no-untyped-def]
    from tests.agent_helpers import answer

    return answer(text)
