"""The full-screen UI with the bundled models, driven through tmux as a person would: type, ctrl+s, read the grade."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

ANSWER = ("Attention divides the dot products by the square root of d_k because their variance grows with the "
          "dimension, which would push the softmax into saturation and give vanishing gradients.")


class Tmux:
    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", command], check=True,
                       env=env)
        subprocess.run(["tmux", "set", "-s", "escape-time", "0"], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True,
                              text=True).stdout

    def wait_for(self, text: str, seconds: float = 180) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def type(self, text: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, "-l", text], check=True)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_one_question_in_the_tui_with_the_real_models(builtin_store: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "interviewer"
    env = {**os.environ, "INTERVIEWER_STORE_DIR": str(builtin_store), "TERM": "xterm-256color"}
    command = (f"{shlex.quote(str(script))} interview --questions 1 --topics transformers --follow-ups 0; "
               f"echo EXITED-$?; sleep 30")
    tmux = Tmux(f"interviewer-test-{os.getpid()}", command, env)
    try:
        tmux.wait_for("1 of 1")
        tmux.wait_for("Your answer")
        tmux.type(ANSWER)
        tmux.keys("C-s")
        summary = tmux.wait_for("finished")  # a one-question session ends on its summary
        assert "Traceback" not in summary and "No question was answered" not in summary
        tmux.keys("Escape")  # back to the transcript, where the grade is
        shown = tmux.wait_for("Grade:")
        assert "/5 (" in shown and "Traceback" not in shown
        tmux.keys("C-q")
        tmux.wait_for("EXITED-0", seconds=30)
    finally:
        tmux.close()
