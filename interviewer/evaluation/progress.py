"""How a measurement reports progress: a display held open while its slow part runs, and a callback per named
stage (`done, total`). The CLI passes a rich progress bar on a terminal; by default nothing is shown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

ProgressCallback = Callable[[int, int], None]


def _no_stage(_name: str) -> ProgressCallback | None:
    return None


@dataclass(frozen=True)
class Progress:
    display: AbstractContextManager[Any] = field(default_factory=nullcontext)
    stage: Callable[[str], ProgressCallback | None] = _no_stage
