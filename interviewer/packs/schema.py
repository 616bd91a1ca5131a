"""The pack schema: a pack's topics and questions, each question's key points and misconceptions (pydantic)."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from interviewer.errors import PackError
from interviewer.text import reference_statements

PACK_SUFFIXES = (".yaml", ".yml")
SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
# A question written without key points is graded against its reference answer; its key points are the
# reference's sentences, and this tag marks it so grading, feedback and reports say it has no authored rubric.
REFERENCE_ONLY_TAG = "reference-only"
REFERENCE_PROBE = "What else would a complete answer say? Go one step further than you did."
SLUG = re.compile(SLUG_PATTERN)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KeyPoint(_Strict):
    """One checkable claim a complete answer makes; the grading rubric is built from these."""

    id: str = Field(pattern=SLUG_PATTERN, description="Slug, unique within its question.")
    statement: str = Field(min_length=8, description="The claim, as one sentence.")
    weight: float = Field(default=1.0, gt=0, le=10, description="How much this point counts (relative).")
    probe: str = Field(
        min_length=8, description="A question that asks for this point without giving it away."
    )


class Misconception(_Strict):
    """A wrong claim candidates make about the question, and why it is wrong; an answer stating it loses points."""

    claim: str = Field(min_length=8, description="The wrong claim, stated as a candidate would state it.")
    why: str = Field(min_length=8, description="Why it is wrong: what is true instead.")


class Question(_Strict):
    id: str = Field(pattern=SLUG_PATTERN, description="Stable slug; history and review schedules key on it.")
    topic: str = Field(description="One of the pack's topic ids.")
    difficulty: Literal[1, 2, 3] = Field(description="1 junior, 2 mid-level, 3 senior.")
    kind: Literal["concept", "compare", "design", "debug"] = Field(
        default="concept", description="Definitional, comparative, design or debugging question."
    )
    question: str = Field(min_length=8, description="What the candidate is asked.")
    reference_answer: str = Field(min_length=8, description="The answer a strong candidate would give.")
    key_points: list[KeyPoint] = Field(
        default_factory=list, max_length=6,
        description="The rubric: 2 to 6 key points. Leave out to grade against the reference answer's sentences.",
    )
    follow_ups: list[str] = Field(
        default_factory=list, description="Deeper questions an interviewer may ask."
    )
    misconceptions: list[Misconception] = Field(
        default_factory=list, description="Wrong claims candidates make, each with why it is wrong (optional)."
    )
    tags: list[str] = Field(default_factory=list)
    sections: list[str] = Field(
        default_factory=list, description="Knowledge sections this question relies on, as 'file.md#Heading'."
    )

    @field_validator("follow_ups", "tags", "sections")
    @classmethod
    def _no_blank_entries(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("entries must not be empty")
        return [value.strip() for value in values]

    @field_validator("key_points")
    @classmethod
    def _two_or_none(cls, points: list[KeyPoint]) -> list[KeyPoint]:
        if len(points) == 1:
            raise ValueError("give 2 to 6 key points, or none to grade against the reference answer")
        return points

    @model_validator(mode="after")
    def _reference_only_rubric(self) -> Question:
        if not self.key_points:
            # Built without the length rules: a reference's clause ("push back") is what the answer is held to.
            self.key_points = [
                KeyPoint.model_construct(id=f"ref-{number}", statement=statement, weight=1.0, probe=REFERENCE_PROBE)
                for number, statement in enumerate(reference_statements(self.reference_answer), start=1)
            ]
            if REFERENCE_ONLY_TAG not in self.tags:
                self.tags = [*self.tags, REFERENCE_ONLY_TAG]
        return self

    @property
    def reference_only(self) -> bool:
        """True when the rubric is the reference answer's sentences, not key points an author wrote."""
        return REFERENCE_ONLY_TAG in self.tags

    def key_point(self, key_point_id: str) -> KeyPoint:
        for point in self.key_points:
            if point.id == key_point_id:
                return point
        raise KeyError(key_point_id)


class Topic(_Strict):
    id: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1)


class Pack(_Strict):
    name: str = Field(pattern=SLUG_PATTERN, description="Slug naming the pack, e.g. 'genai-core'.")
    title: str = Field(min_length=1)
    version: str = Field(description="The pack's own version, e.g. '1.2'.")
    description: str = Field(default="")
    topics: list[Topic] = Field(min_length=1)
    documents: list[str] = Field(
        default_factory=list, description="Reference documents the pack brings, relative to the pack file."
    )
    questions: list[Question] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    def topic_title(self, topic_id: str) -> str:
        return next((topic.title for topic in self.topics if topic.id == topic_id), topic_id)

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        close = difflib.get_close_matches(question_id, [q.id for q in self.questions], n=3, cutoff=0.5)
        hint = (f"; did you mean {', '.join(close)}?" if close else "") + \
            f" (`interviewer packs show {self.name}` lists its question ids)"
        raise PackError(f"pack '{self.name}' has no question '{question_id}'{hint}", "Unknown question")

    def question_rows(self) -> list[dict[str, object]]:
        """One row per question, as `interviewer packs show` prints it."""
        return [{"id": q.id, "topic": q.topic, "difficulty": q.difficulty,
                 "key_points": 0 if q.reference_only else len(q.key_points),
                 "misconceptions": len(q.misconceptions), "reference_only": q.reference_only,
                 "question": q.question} for q in self.questions]


def pack_json_schema() -> str:
    schema = Pack.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "interviewer question pack"
    return json.dumps(schema, indent=2)


