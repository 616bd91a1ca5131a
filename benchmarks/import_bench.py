"""Pack import time: a 2,000-card Anki deck (basic and cloze notes, HTML fields, some images) imported as a pack.

Usage: python benchmarks/import_bench.py [--notes-basic 1400] [--notes-cloze 300]

The deck is built with genanki in a temporary folder (1,400 basic notes and 300 cloze notes with two deletions
each: 2,000 cards), then imported the way `interviewer packs import deck.apkg` does it: unpack the collection, read
the notes, reduce HTML, write the pack and its notes file, load both back to check them, rename them into place.
Prints the CPU (lscpu's model name and its AVX2 / AVX-512 / AMX flags), the build time, the import time against the
target (<= 15 s on 2 cores), a re-import of the same deck (ids kept), and the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from interviewer.evaluation.bench import cpu_info
from interviewer.pack_import import import_file

TARGET_S = 15.0
_TOPICS = ["RAG", "Embeddings", "Transformers", "Decoding", "Fine-tuning", "Evaluation", "Serving", "Agents"]


def cpu_line() -> str:
    """lscpu's "Model name", and which of the kernel-deciding flags the CPU has."""
    model = ""
    try:
        listing = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in listing.splitlines()
                      if line.startswith("Model name:")), "")
    except (OSError, subprocess.SubprocessError):
        pass
    info = cpu_info()
    flags = set(info["flags"])
    present = {"avx2": "avx2" in flags, "avx512f": "avx512f" in flags, "amx": any(f.startswith("amx") for f in flags)}
    shown = ", ".join(f"{name} {'yes' if has else 'no'}" for name, has in present.items())
    return f"CPU: {model or info['model']}, {os.cpu_count()} cores ({shown})"


def build_deck(folder: Path, basic: int, cloze: int) -> Path:
    """A deck as a learner's might look: nested decks, bold and lists, line breaks, entities, a few images."""
    import genanki

    image = folder / "figure.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    decks = [genanki.Deck(1_900_000_000 + i, f"LLM interviews::{topic}") for i, topic in enumerate(_TOPICS)]
    for i in range(basic):
        figure = '<img src="figure.png">' if i % 25 == 0 else ""
        decks[i % len(decks)].add_note(genanki.Note(model=genanki.BASIC_MODEL, tags=[f"set{i % 7}"], fields=[
            f"Question {i}: why does <b>component {i}</b> of a {_TOPICS[i % 8]} system matter? {figure}",
            f"<div>Component {i} bounds the latency &amp; the cost of every request.</div>"
            f"<ul><li>It caches results for step {i}.</li><li>It batches work across users.</li></ul>"
            f"It is measured with a held-out set of {i + 10} queries.<br>Tune it before scaling the model."]))
    for i in range(cloze):
        decks[i % len(decks)].add_note(genanki.Note(model=genanki.CLOZE_MODEL, fields=[
            f"In system {i}, the {{{{c1::retriever::stage}}}} runs before the {{{{c2::generator}}}}, so answer "
            f"{i} can cite <i>its sources</i>.", f"Extra note {i}: see the design review."]))
    path = folder / "deck.apkg"
    genanki.Package(decks, media_files=[str(image)]).write_to_file(str(path))
    return path


def measure(basic: int, cloze: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        deck = build_deck(root, basic, cloze)
        built = time.perf_counter() - started
        started = time.perf_counter()
        summary = import_file(deck, packs_dir=root / "packs")
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = import_file(deck, packs_dir=root / "packs")
        reimport = time.perf_counter() - started
        return {"cards": basic + 2 * cloze, "build_s": built, "import_s": seconds, "reimport_s": reimport,
                "imported": summary.imported, "skipped": summary.skipped, "media_skipped": summary.media_skipped,
                "ids_kept": again.kept, "pack_kb": Path(summary.pack_path).stat().st_size / 1024,
                "notes_kb": Path(summary.notes_path).stat().st_size / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notes-basic", type=int, default=1400)
    parser.add_argument("--notes-cloze", type=int, default=300)
    args = parser.parse_args()
    print(cpu_line())
    figures = measure(args.notes_basic, args.notes_cloze)
    verdict = "within" if figures["import_s"] <= TARGET_S else "OVER"
    print(f"deck: {figures['cards']:.0f} cards built with genanki in {figures['build_s']:.2f}s")
    print(f"import: {figures['import_s']:.2f}s for {figures['imported']:.0f} questions "
          f"({figures['cards'] / figures['import_s']:.0f} cards/s; target <= {TARGET_S:.0f} s: {verdict}); "
          f"{figures['skipped']:.0f} skipped, {figures['media_skipped']:.0f} media left out")
    print(f"re-import: {figures['reimport_s']:.2f}s, {figures['ids_kept']:.0f} ids kept; pack "
          f"{figures['pack_kb']:.0f} KB, notes {figures['notes_kb']:.0f} KB")
    print(json.dumps({key: round(value, 3) for key, value in figures.items()}))


if __name__ == "__main__":
    main()
