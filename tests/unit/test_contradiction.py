"""The contradiction detector: reversals of each kind are caught, and correct answers that use "not" are not."""

from __future__ import annotations

import pytest

from interviewer.grading.contradiction import find_contradiction

SCALING = ("Dot-product variance grows with d_k, so unscaled logits saturate the softmax and shrink gradients; "
           "scaling restores unit variance.")
LORA = "LoRA freezes the original weights and trains two small low-rank matrices whose product is added to them."
TEMPERATURE = "Temperature above 1 flattens the distribution and increases randomness."
ENCODERS = ("Bi-encoders embed query and document independently, so document vectors can be precomputed, while "
            "cross-encoders read the pair jointly and are slower but more accurate.")
FAMILIES = ("Decoder-only models like GPT and LLaMA use causal masking and next-token prediction, making them the "
            "natural choice for open-ended generation.")
GROUNDING = "Grounding reduces hallucination but does not eliminate it."
NPROBE = "At query time only the nprobe closest lists are scanned, so raising nprobe increases recall and latency."
QUICKSORT = "Quicksort partitions the array into smaller parts around a pivot and sorts each part."


@pytest.mark.parametrize(
    ("statement", "sentence", "kind"),
    [
        (SCALING, "We need not divide by sqrt(d_k): the dot products do not grow with the dimension.", "negation"),
        (LORA, "LoRA does not freeze the original weights.", "negation"),
        (LORA, "LoRA updates all the original weights of the model.", "antonym"),
        (TEMPERATURE, "A temperature above 1 sharpens the distribution.", "antonym"),
        (ENCODERS, "Cross-encoders embed query and document independently, so document vectors can be precomputed.",
         "swapped-roles"),
        (FAMILIES, "Encoder-only models like GPT use causal masking and suit open-ended generation.", "swapped-roles"),
        # "raising" is on the other side of increase/decrease, but both texts use it as the cause: a frame, not a
        # contrast, so "decreases" still reverses "increases".
        (NPROBE, "IVF scans a few cells, and raising nprobe decreases recall and makes queries faster.", "antonym"),
    ],
)
def test_reversals_of_each_kind_are_caught(statement: str, sentence: str, kind: str) -> None:
    found = find_contradiction(statement, sentence)
    assert found is not None and found.kind == kind
    assert found.describe()


@pytest.mark.parametrize(
    ("statement", "sentence"),
    [
        # Right answers that legitimately use "not", a negated antonym, or a hedge.
        (LORA, "We do not update the frozen weights, only the two small matrices."),
        (LORA, "The original weights are not trained; LoRA trains two small matrices."),
        (SCALING, "Dividing by sqrt(d_k) keeps the variance near one so the softmax does not saturate."),
        (SCALING, "The dot products grow with the dimension, so without scaling the softmax saturates."),
        (TEMPERATURE, "A temperature above 1 does not sharpen the distribution, it flattens it."),
        (TEMPERATURE, "Below 1 the temperature sharpens the distribution."),
        (TEMPERATURE, "Higher temperature flattens the distribution, and lower temperature sharpens it."),
        # A superlative is the same side as its adjective: both sides named, from larger to smallest.
        (QUICKSORT, "Quicksort keeps cutting a larger array into the smallest parts, around a pivot."),
        (GROUNDING, "RAG reduces hallucinations, though it cannot eliminate them."),
        (ENCODERS, "Unlike a cross-encoder, a bi-encoder embeds query and document independently."),
        # A conditional explanation and a quotation are not claims.
        (GROUNDING, "If retrieval fails, grounding does not reduce hallucination at all."),
        (SCALING, "Saying 'variance does not grow' would be wrong: it grows with d_k and saturates the softmax."),
        # "No" before a noun is an absence, not a denial of the key point.
        ("The method needs no logits and no external knowledge base.", "It is black-box: no logits, no database."),
        # Nothing shared: a negation about something else.
        (LORA, "I have not used it in production."),
    ],
)
def test_right_answers_with_negations_are_not_flagged(statement: str, sentence: str) -> None:
    assert find_contradiction(statement, sentence) is None
