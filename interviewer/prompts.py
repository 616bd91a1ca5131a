"""Prompt templates: the files in prompts/ (a `version:` line, `## system`, `## user` and further parts), and the
escaping that keeps a candidate's text from posing as part of a prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from interviewer.errors import ModelError
from interviewer.resources import prompts_dir


@dataclass(frozen=True)
class PromptTemplate:
    version: str
    system: str
    user: str
    extra: dict[str, str] = field(default_factory=dict)  # further `## name` parts, e.g. follow_up's after_tools


@lru_cache(maxsize=4)
def load_prompt(name: str = "grading") -> PromptTemplate:
    """A prompts/<name>.md file: a `version:` line, then `## system` and `## user` parts."""
    text = (prompts_dir() / f"{name}.md").read_text(encoding="utf-8")
    version = re.search(r"^version:\s*(\S+)", text, re.MULTILINE)
    parts = re.split(r"^## ([a-z_]+)\s*$", text, flags=re.MULTILINE)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if not version or "system" not in sections or "user" not in sections:
        raise ModelError(f"prompt file {name}.md needs a version line and ## system / ## user parts")
    extra = {key: value for key, value in sections.items() if key not in ("system", "user")}
    return PromptTemplate(f"{name}@{version.group(1)}", sections["system"], sections["user"], extra)


def escape_untrusted(text: str) -> str:
    """The answer goes into the prompt as data: it cannot close or open the tags around it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
