"""How much a model's verdicts count in a grade: measured per model, stored, and looked up when grading.

A model's verdict moves a key point's coverage toward what it says by its weight (0: not at all, 0.5: halfway).
The weight is not a guess: `interviewer eval grading --with-model` grades the same rows with and without the
model's verdicts, tries every weight of WEIGHT_GRID and, with `--write-calibration`, stores the best one here,
keyed by the GGUF file's name and size (a server's model by its id). A model that adds nothing gets weight 0 and
is then not called while grading at all. From COVERED_CHECK_WEIGHT on, the model has earned a further say: it is
also asked about key points the evidence finds covered, and its `contradicted` verdict (with a quote really in
the answer) marks such a point contradicted, catching a reversal that matches the key point well by similarity.

Weights are read from the shipped `model_weights.json` and then from the data directory's own file, which wins.
A model never measured keeps UNMEASURED_WEIGHT, the fixed share every model had before measurements.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from interviewer.errors import ModelError
from interviewer.llm import ModelBackend, StructuredLLM

UNMEASURED_WEIGHT = 0.25
COVERED_CHECK_WEIGHT = 0.3
WEIGHT_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
# Model follow-ups are asked for only if at least this share passed the checks when measured (over at least
# MIN_FOLLOW_UP_TRIALS): below it the candidate would mostly wait seconds for text that is then thrown away.
MIN_FOLLOW_UP_ACCEPTANCE = 0.2
MIN_FOLLOW_UP_TRIALS = 10
# A weight above 0 must buy at least this much Pearson over evidence alone: otherwise the seconds a grade waits
# for the model buy nothing a candidate could notice.
MIN_PEARSON_GAIN = 0.005
SHIPPED_WEIGHTS_FILE = Path(__file__).with_name("model_weights.json")
WEIGHTS_FILE_NAME = "model_weights.json"


class ModelWeight(BaseModel):
    """One model's measured weight and the figures behind it."""

    key: str = Field(description="GGUF file name and size ('name.gguf:bytes'), or 'server:<model id>'.")
    weight: float | None = Field(
        default=None, ge=0, le=1, description="How far a verdict moves a coverage toward it (None: not measured)."
    )
    measured_on: str = Field(default="", description="Dataset and rows the weight was chosen on.")
    rows: int = 0
    seconds_per_row: float = Field(default=0.0, description="Model time per graded row during the measurement.")
    figures: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Agreement with human scores at every weight tried ('0.0', '0.1', ...)."
    )
    follow_ups_tried: int = Field(default=0, ge=0, description="Follow-ups the model wrote when measured.")
    follow_ups_accepted: int = Field(default=0, ge=0, description="Of those, how many passed the follow-up checks.")
    follow_ups_measured_on: str = Field(default="", description="Pack and questions the follow-ups were tried on.")


def model_key(llm: StructuredLLM) -> str:
    """The key a model's weight is stored under: its GGUF file's name and size, or its server's model id (a model
    that is neither, or a bare StructuredLLM, by its model id)."""
    try:
        if isinstance(llm, ModelBackend):
            path = llm.resolved_path
            if path is not None:
                return f"{path.name}:{path.stat().st_size if path.is_file() else 0}"
            server_id = llm.server_model_id()
            if server_id is not None:
                return f"server:{server_id}"
    except (ModelError, OSError):
        pass  # a model that cannot be found has no measured weight; grading reports why it is missing
    return str(llm.model_id)


def load_weights(paths: Sequence[Path]) -> dict[str, ModelWeight]:
    """The weights in `paths`, later files winning; a missing file holds none."""
    weights: dict[str, ModelWeight] = {}
    for path in paths:
        if not path.is_file():
            continue
        raw = json.loads(path.read_text(encoding="utf-8"))
        for key, entry in raw.items():
            weights[key] = ModelWeight.model_validate({**entry, "key": key})
    return weights


def weights_files(data_dir: Path | None) -> tuple[Path, ...]:
    return (SHIPPED_WEIGHTS_FILE,) + ((data_dir / WEIGHTS_FILE_NAME,) if data_dir is not None else ())


def lookup_weight(llm: StructuredLLM, paths: Sequence[Path]) -> tuple[float, ModelWeight | None]:
    """The weight of `llm`'s verdicts, and the measurement it comes from (None: never measured)."""
    entry = load_weights(paths).get(model_key(llm))
    if entry is None or entry.weight is None:
        return UNMEASURED_WEIGHT, None
    return entry.weight, entry


def follow_ups_worth_asking(llm: StructuredLLM, paths: Sequence[Path]) -> str | None:
    """Why the model should not be asked to write follow-ups (None: ask it).

    A model's follow-up costs the candidate seconds of waiting; one that measurement shows rarely passes the
    checks would only be replaced by the authored probe after that wait. Unmeasured models are asked.
    """
    entry = load_weights(paths).get(model_key(llm))
    if entry is None or entry.follow_ups_tried < MIN_FOLLOW_UP_TRIALS:
        return None
    if entry.follow_ups_accepted / entry.follow_ups_tried >= MIN_FOLLOW_UP_ACCEPTANCE:
        return None
    return (f"{entry.key}'s follow-ups passed the checks {entry.follow_ups_accepted} of {entry.follow_ups_tried} "
            "times when measured, so the authored ones are asked without waiting for it")


def write_weight(path: Path, entry: ModelWeight) -> None:
    """Add or replace one model's weight in a weights file, keeping the others."""
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    # Merged field by field: measuring verdicts keeps a follow-up measurement, and the other way round.
    raw[entry.key] = {**raw.get(entry.key, {}), **entry.model_dump(mode="json", exclude={"key"}, exclude_unset=True)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def best_weight(figures: dict[float, dict[str, float]]) -> float:
    """The weight with the best Pearson; above 0 only when it beats evidence alone by MIN_PEARSON_GAIN."""
    baseline = figures[0.0]["pearson"]
    best = max(figures, key=lambda weight: (figures[weight]["pearson"], -weight))
    return best if figures[best]["pearson"] - baseline >= MIN_PEARSON_GAIN else 0.0
