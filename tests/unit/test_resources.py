from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.resources import content_root, knowledge_dir, prompts_dir


def test_source_tree_layout_is_found() -> None:
    assert (knowledge_dir() / "docs").is_dir()
    assert prompts_dir().parent == knowledge_dir().parent


def test_wheel_layout_wins_when_present(tmp_path: Path) -> None:
    package = tmp_path / "site" / "interviewer"
    (package / "_bundled" / "knowledge").mkdir(parents=True)
    assert content_root(package) == package / "_bundled"


def test_missing_content_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="installation is incomplete"):
        content_root(tmp_path / "lonely" / "interviewer")
