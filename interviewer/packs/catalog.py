"""Finding packs: the built-in ones and the user's; the valid ones loaded, the broken ones kept with their problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from interviewer.errors import PackError
from interviewer.packs.reading import PackValidationError
from interviewer.packs.schema import PACK_SUFFIXES, Pack
from interviewer.packs.validation import validate_pack_file


@dataclass(frozen=True)
class LoadedPack:
    pack: Pack
    path: Path
    builtin: bool

    def document_paths(self) -> list[Path]:
        return [(self.path.parent / document).resolve() for document in self.pack.documents]

    def section_topics(self) -> dict[Path, dict[str, str]]:
        """The pack's topics for its own documents, learnt from the sections its questions cite: document ->
        heading (casefolded) -> the topic of most questions citing it, and "" -> the document's commonest topic.
        This is how `search --topic` and citations find a user's notes under the pack's topic ids."""
        documents = {path.name: path for path in self.document_paths()}
        counts: dict[Path, dict[str, Counter[str]]] = {}
        for question in self.pack.questions:
            for reference in question.sections:
                file_name, _, heading = reference.partition("#")
                if file_name in documents:
                    by_heading = counts.setdefault(documents[file_name], {})
                    for key in {heading.casefold(), ""}:
                        by_heading.setdefault(key, Counter())[question.topic] += 1
        return {path: {heading: counter.most_common(1)[0][0] for heading, counter in by_heading.items()}
                for path, by_heading in counts.items()}


def load_pack(path: Path, builtin: bool = False) -> LoadedPack:
    """Load one pack or raise PackValidationError listing every problem."""
    pack, problems = validate_pack_file(path)
    if pack is None:
        raise PackValidationError(problems)
    return LoadedPack(pack=pack, path=path, builtin=builtin)


def pack_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PACK_SUFFIXES)


@dataclass(frozen=True)
class PackCatalog:
    """Every pack found: the valid ones, and the problems of the ones skipped."""

    packs: list[LoadedPack]
    skipped: list[PackValidationError]

    def section_topics(self) -> dict[Path, dict[str, str]]:
        """Every pack's topics for its own documents (see LoadedPack.section_topics)."""
        merged: dict[Path, dict[str, str]] = {}
        for loaded in self.packs:
            for path, topics in loaded.section_topics().items():
                merged.setdefault(path, {}).update(topics)
        return merged

    def get(self, name: str) -> LoadedPack:
        for loaded in self.packs:
            if loaded.pack.name == name or loaded.path.stem == name:
                return loaded
        for error in self.skipped:
            if error.problems and name in _names_of_broken_file(error.problems[0].file):
                first = error.problems[0]
                raise PackError(
                    f"the pack '{name}' was skipped because it is broken: {first}"
                    + (f" (and {len(error.problems) - 1} more problem(s))" if len(error.problems) > 1 else "")
                    + f"; check it with `interviewer packs validate {first.file}`", "Broken question pack")
        known = ", ".join(loaded.pack.name for loaded in self.packs) or "none"
        raise PackError(f"no pack named '{name}' (available: {known})", "Unknown pack")


def _names_of_broken_file(path: Path) -> set[str]:
    """What a pack that failed validation would be asked for by: its file name, and its `name:` if one parses."""
    names = {path.stem}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return names
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        names.add(data["name"])
    return names


def discover_packs(builtin_dir: Path, user_dir: Path | None, extra: Iterable[Path] = ()) -> PackCatalog:
    """Built-in packs, then the user's; a user pack with the same name as a built-in one replaces it."""
    by_name: dict[str, LoadedPack] = {}
    skipped: list[PackValidationError] = []
    sources = [(path, True) for path in pack_files(builtin_dir)]
    if user_dir is not None:
        sources += [(path, False) for path in pack_files(user_dir)]
    sources += [(path, False) for path in extra]
    for path, builtin in sources:
        try:
            loaded = load_pack(path, builtin=builtin)
        except PackValidationError as exc:
            skipped.append(exc)
            continue
        by_name[loaded.pack.name] = loaded
    return PackCatalog(packs=list(by_name.values()), skipped=skipped)


