"""The one place settings come from.

`Settings` holds every tunable path and number. Values come, highest precedence first, from the command line
(keyword overrides), INTERVIEWER_* environment variables, a TOML config file (INTERVIEWER_CONFIG, else
config.toml in the platform config dir), and the defaults here. `load_settings()` also records where each
value came from, for `interviewer config show`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from interviewer.errors import ConfigError

APP_NAME = "interviewer"
ENV_PREFIX = "INTERVIEWER_"
CONFIG_ENV = "INTERVIEWER_CONFIG"


def default_config_file() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _default_threads() -> int:
    return max(1, min(os.cpu_count() or 2, 8))


class Settings(BaseModel):
    """Effective configuration. Paths left unset derive from `data_dir`. `load_settings` merges its sources; a
    plain model, because pydantic-settings, used for nothing else, added ~25 ms to every start of the program."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir(APP_NAME)),
        description="Where history, sessions, user packs and the knowledge store live.",
    )
    store_dir: Path | None = Field(
        default=None, description="Chroma knowledge store (default: DATA_DIR/store)."
    )
    packs_dir: Path | None = Field(
        default=None, description="Your own question packs (default: DATA_DIR/packs)."
    )
    store_url: str | None = Field(
        default=None,
        description="A Chroma server (http://HOST:PORT) holding a shared knowledge store, used instead of store_dir.",
    )
    model_path: Path | None = Field(
        default=None, description="A GGUF chat model (default: the bundled SmolLM2-135M-Instruct)."
    )
    llm_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible server (http://HOST:PORT/v1) that grades instead of model_path.",
    )
    n_ctx: int = Field(default=4096, ge=512, le=131072, description="LLM context size in tokens.")
    n_threads: int = Field(
        default_factory=_default_threads, ge=1, le=256, description="CPU threads for the LLM."
    )
    seed: int = Field(default=0, description="Sampling seed: the same inputs give the same output.")
    retrieval_k: int = Field(
        default=3, ge=1, le=50,
        description="Reference sections the grader looks up per question (cited in the grade, shown to the model).",
    )
    max_follow_ups: int = Field(default=2, ge=0, le=5, description="Follow-up questions per interview question.")

    @model_validator(mode="after")
    def _derive_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser()
        if self.store_dir is None:
            self.store_dir = self.data_dir / "store"
        if self.packs_dir is None:
            self.packs_dir = self.data_dir / "packs"
        self.store_dir = self.store_dir.expanduser()
        self.packs_dir = self.packs_dir.expanduser()
        if self.model_path is not None:
            self.model_path = self.model_path.expanduser()
        return self

    @property
    def store_path(self) -> Path:
        assert self.store_dir is not None  # set by _derive_paths
        return self.store_dir

    @property
    def history_path(self) -> Path:
        """Sessions, answers, grades and the review schedule (SQLite)."""
        return self.data_dir / "history.sqlite"

    @property
    def checkpoints_path(self) -> Path:
        """The interview graph's checkpoints, so an interrupted session resumes where it stopped (SQLite)."""
        return self.data_dir / "sessions.sqlite"

    @property
    def user_packs_path(self) -> Path:
        assert self.packs_dir is not None  # set by _derive_paths
        return self.packs_dir


class LoadedSettings:
    """Settings plus where each value came from ("default", "config file ...", "env ...", "command line")."""

    def __init__(self, settings: Settings, origins: dict[str, str], config_file: Path) -> None:
        self.settings = settings
        self.origins = origins
        self.config_file = config_file


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}. Fix the file or remove it to use the defaults.") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc


def _environment_values() -> dict[str, tuple[str, str]]:
    """INTERVIEWER_<SETTING> variables, matched without regard to case: setting -> (variable, value)."""
    wanted = {f"{ENV_PREFIX}{name}".upper(): name for name in Settings.model_fields}
    return {wanted[key.upper()]: (key, value) for key, value in os.environ.items() if key.upper() in wanted}


def load_settings_with_origins(config_file: Path | None = None, **overrides: Any) -> LoadedSettings:
    """Build Settings from overrides > environment > config file > defaults, remembering each value's origin."""
    path = config_file if config_file is not None else default_config_file()
    file_values = _read_config_file(path)
    environment = _environment_values()
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        # A file key that names no setting is an error (extra="forbid"); so is a value of the wrong type anywhere.
        settings = Settings.model_validate(
            file_values | {name: value for name, (_, value) in environment.items()} | given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}). Check {path} and the INTERVIEWER_* environment variables."
        ) from exc

    origins: dict[str, str] = {}
    for name in Settings.model_fields:
        if name in given:
            origins[name] = "command line"
        elif name in environment:
            origins[name] = f"env {environment[name][0]}"
        elif name in file_values:
            origins[name] = f"config file {path}"
        elif name in ("store_dir", "packs_dir"):
            origins[name] = "default (under data_dir)"
        else:
            origins[name] = "default"
    return LoadedSettings(settings, origins, path)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    return load_settings_with_origins(config_file, **overrides).settings
