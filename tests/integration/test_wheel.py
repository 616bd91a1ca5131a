"""A built wheel carries knowledge/ and prompts/ and finds them at run time, like the source tree does."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO_ROOT


def pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--quiet"], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr


def test_built_wheel_bundles_and_finds_the_content(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    pip("wheel", "-w", str(wheel_dir), str(REPO_ROOT))
    (wheel,) = wheel_dir.glob("interviewer-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "interviewer/_bundled/knowledge/docs/rag.md" in names
    assert "interviewer/_bundled/knowledge/packs/genai-core.yaml" in names
    assert "interviewer/_bundled/knowledge/eval/retrieval.tsv" in names
    assert "interviewer/_bundled/prompts/README.md" in names
    assert "tui/__init__.py" in names

    target = tmp_path / "site"
    pip("install", "--target", str(target), str(wheel))
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "from interviewer.resources import knowledge_dir, prompts_dir; "
            "print(knowledge_dir()); print(prompts_dir())",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(target)},
    )
    assert probe.returncode == 0, probe.stderr
    knowledge, prompts = probe.stdout.split()
    assert knowledge == str(target / "interviewer" / "_bundled" / "knowledge")
    assert prompts == str(target / "interviewer" / "_bundled" / "prompts")
