"""Where the product's own content lives at run time.

knowledge/ (documents, question packs, evaluation sets) and prompts/ sit at the top of the repository. An
editable install reads them there; a built wheel carries them inside the package as interviewer/_bundled/
(see pyproject.toml). Both layouts resolve through `content_root()`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def content_root(package_dir: Path = _PACKAGE_DIR) -> Path:
    """The folder holding knowledge/ and prompts/: inside the package for a wheel, else the source tree."""
    bundled = package_dir / "_bundled"
    if (bundled / "knowledge").is_dir():
        return bundled
    source_tree = package_dir.parent
    if (source_tree / "knowledge").is_dir():
        return source_tree
    raise FileNotFoundError(
        f"cannot find the bundled knowledge/ folder next to {package_dir}; the installation is incomplete"
    )


def knowledge_dir() -> Path:
    return content_root() / "knowledge"


def builtin_docs_dir() -> Path:
    return knowledge_dir() / "docs"


def builtin_packs_dir() -> Path:
    return knowledge_dir() / "packs"


def builtin_eval_dir() -> Path:
    return knowledge_dir() / "eval"


def prompts_dir() -> Path:
    return content_root() / "prompts"
