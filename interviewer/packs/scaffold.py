"""`interviewer packs new`: a complete, commented example pack to start from."""

from __future__ import annotations

from interviewer.errors import PackError
from interviewer.packs.schema import SLUG


def scaffold_pack(name: str) -> str:
    """A small valid pack to start from (`interviewer packs new NAME`)."""
    if not SLUG.match(name):
        raise PackError(
            f"'{name}' is not a valid pack name: use lowercase letters, digits and '-', e.g. 'my-rag-pack'",
            "Invalid pack name",
        )
    return f"""\
# yaml-language-server: $schema=pack.schema.json   (write it with: interviewer packs schema > pack.schema.json)
name: {name}
title: {name.replace("-", " ").title()}
version: "1"
description: My own interview questions.
topics:
  - id: rag
    title: Retrieval-augmented generation
# documents: [notes/my-notes.md]   # optional reference documents, relative to this file
questions:
  - id: {name}-rag-why
    topic: rag
    difficulty: 1                 # 1 junior, 2 mid-level, 3 senior
    kind: concept                 # concept | compare | design | debug
    question: Why would you add retrieval to an LLM application instead of relying on the model alone?
    reference_answer: >-
      Retrieval grounds the model in documents it was not trained on, such as private or recent data, which
      reduces hallucination and lets answers cite their sources. It is cheaper to update than fine-tuning,
      because refreshing the index changes what the model knows without retraining.
    key_points:
      - id: fresh-private-data
        statement: Retrieval gives the model private or recent information that was not in its training data.
        weight: 2
        probe: What kind of information does a model lack that retrieval can supply?
      - id: grounding
        statement: Grounding answers in retrieved text reduces hallucination and allows citing sources.
        weight: 2
        probe: How does retrieval change the trustworthiness of the answers?
      - id: cheap-updates
        statement: Updating the index is cheaper and faster than fine-tuning to change what the model knows.
        weight: 1
        probe: How would you keep the system's knowledge up to date, and what would that cost?
    follow_ups:
      - How would you measure whether retrieval is actually helping your answers?
    tags: [rag, basics]
    sections: [rag.md#Retrieval-augmented generation]
"""
