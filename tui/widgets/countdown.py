"""The exam timer: time left on the question, amber in the last 30 s, red and counting over once time is up.

Time up does not take the answer away: the candidate finishes and submits, and the grade marks the answer late
(the engine compares the time taken with the limit). The clock is injectable so tests can move time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message import Message
from textual.widgets import Static

WARNING_SECONDS = 30


def _mmss(seconds: float) -> str:
    whole = int(abs(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class Countdown(Static):
    class TimeUp(Message):
        """Posted once when the time limit passes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self.limit: int | None = None
        self.started_at = 0.0
        self._announced = False

    def on_mount(self) -> None:
        self.set_interval(0.25, self.refresh_time)

    def start(self, limit: int | None) -> None:
        self.limit = limit
        self.started_at = self.clock()
        self._announced = False
        self.display = limit is not None
        self.refresh_time()

    def stop(self) -> None:
        self.limit = None
        self.display = False

    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started_at)

    def refresh_time(self) -> None:
        if self.limit is None:
            return
        left = self.limit - self.elapsed()
        self.set_class(0 < left <= WARNING_SECONDS, "-low")
        self.set_class(left <= 0, "-over")
        if left > 0:
            self.update(f"⏱ {_mmss(left)} left")
            return
        self.update(f"⏱ time is up +{_mmss(left)}: your answer is kept and marked late")
        if not self._announced:
            self._announced = True
            self.post_message(self.TimeUp())
