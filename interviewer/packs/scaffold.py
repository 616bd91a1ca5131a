"""`interviewer packs new`: a complete, commented example pack to start from, with its notes document.

The example uses every part of the format (topics, documents, sections, key points with weights and probes,
misconceptions, follow-ups, tags) and a question with only a reference answer, so an author sees each one once.
"""

from __future__ import annotations

from interviewer.errors import PackError
from interviewer.packs.schema import SLUG


def notes_file_name(name: str) -> str:
    return f"{name}-notes.md"


def _checked(name: str) -> str:
    if not SLUG.match(name):
        raise PackError(
            f"'{name}' is not a valid pack name: use lowercase letters, digits and '-', e.g. 'my-rag-pack'",
            "Invalid pack name",
        )
    return name


def scaffold_notes(name: str) -> str:
    """The notes document the example pack cites: one heading per section a question names."""
    _checked(name)
    return """\
# Caching notes

## Cache invalidation

A cache keeps copies of data so later reads are fast. The hard part is knowing when a copy is stale. A time to
live (TTL) expires entries after a fixed time, which bounds staleness but serves old data until then. Explicit
invalidation deletes or updates the entry when the source changes, which keeps it fresh but needs every writer
to take part. Write-through caches update the cache and the store together; cache-aside lets the reader fill the
cache on a miss.

## Eviction

When a cache is full it evicts entries. Least recently used (LRU) evicts the entry read longest ago, which suits
workloads where recent reads predict the next ones. Least frequently used (LFU) keeps popular entries even when
they were not read lately.
"""


def scaffold_pack(name: str) -> str:
    """A small valid pack to start from (`interviewer packs new NAME`); it cites `scaffold_notes`'s document.
    (Long only because the example is one piece of text, kept whole so it reads as the file it writes.)"""
    _checked(name)
    notes = notes_file_name(name)
    return f"""\
# yaml-language-server: $schema=pack.schema.json   (write it with: interviewer packs schema > pack.schema.json)
# Check it with `interviewer packs validate FILE`, then self-test it with `interviewer packs check {name}`.
name: {name}
title: {name.replace("-", " ").title()}
version: "1"
description: My own interview questions.
topics:                           # every question names one of these ids; `interview --topics` picks by them
  - id: caching
    title: Caching
# Reference documents, relative to this file: `interviewer ingest` reads them, and the sections the questions
# cite give their headings this pack's topics, so citations and `search --topic caching` find your notes.
documents: [{notes}]
questions:
  - id: {name}-cache-invalidation
    topic: caching
    difficulty: 2                 # 1 junior, 2 mid-level, 3 senior
    kind: compare                 # concept | compare | design | debug
    question: How would you keep cached data from going stale, and what does each approach cost?
    reference_answer: >-
      A TTL expires entries after a fixed time, which bounds how stale data can get but still serves old values
      until expiry. Explicit invalidation removes or updates an entry when the source changes, which keeps it
      fresh but needs every writer to take part. Write-through updates cache and store together.
    # The rubric: 2 to 6 claims a complete answer makes, each one sentence stated positively (a key point
    # phrased as "X does not Y" is hard to grade). Weights are relative; the probe asks for the point without
    # giving it away, and is the follow-up when the answer misses it.
    key_points:
      - id: ttl
        statement: A TTL expires entries after a fixed time, bounding staleness while serving old data until then.
        weight: 2
        probe: What is the simplest way to make a cached value expire, and what does it still allow?
      - id: explicit-invalidation
        statement: Explicit invalidation removes or updates the entry as soon as the source changes.
        weight: 2
        probe: How could the cache learn that the source of a value has changed?
      - id: write-through
        statement: Write-through updates the cache and the store together on every write.
        weight: 1
        probe: What could happen to the cache at the moment data is written?
    # Wrong claims candidates make, and why they are wrong: an answer that states one loses points.
    misconceptions:
      - claim: A TTL keeps the cache always consistent with the database.
        why: Until an entry expires the cache serves the old value; a TTL only bounds how stale it can be.
    follow_ups:                   # deeper questions an interviewer may ask once the answer is complete
      - How would you choose a TTL for data that changes at unpredictable times?
    tags: [caching]
    sections: [{notes}#Cache invalidation]   # file#Heading in a document above (or a built-in one)

  # A question with only a reference answer: leave out key_points and it is graded against the reference
  # answer's sentences (write three or more, or two long ones, each a claim: a terser reference is matched as a
  # whole and cannot see an answer that reverses it). Quicker to write; key points of your own grade more precisely.
  - id: {name}-lru
    topic: caching
    difficulty: 1
    question: What does an LRU cache evict when it is full, and when is that a good choice?
    reference_answer: >-
      An LRU cache evicts the entry that was read longest ago, keeping a recency order that every read updates.
      It suits workloads where recently read data is likely to be read again soon, such as sessions or hot
      records. A single scan over more data than fits pushes the whole working set out.
    sections: [{notes}#Eviction]
"""
