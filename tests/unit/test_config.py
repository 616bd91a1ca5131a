from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.config import load_settings, load_settings_with_origins
from interviewer.errors import ConfigError


def test_defaults_derive_paths_from_data_dir(isolated_environment: Path) -> None:
    loaded = load_settings_with_origins()
    settings = loaded.settings
    assert settings.data_dir == isolated_environment / "data"
    assert settings.store_path == isolated_environment / "data" / "store"
    assert settings.user_packs_path == isolated_environment / "data" / "packs"
    assert settings.model_path is None
    assert loaded.origins["n_ctx"] == "default"
    assert loaded.origins["data_dir"] == "env INTERVIEWER_DATA_DIR"


def test_precedence_command_line_over_env_over_file_over_default(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = isolated_environment / "config.toml"
    config_file.write_text('n_ctx = 2048\nseed = 7\nretrieval_k = 9\nstore_dir = "/tmp/from-file"\n')
    monkeypatch.setenv("INTERVIEWER_SEED", "8")
    monkeypatch.setenv("INTERVIEWER_RETRIEVAL_K", "10")
    loaded = load_settings_with_origins(retrieval_k=11)
    settings = loaded.settings
    assert settings.n_ctx == 2048 and loaded.origins["n_ctx"] == f"config file {config_file}"
    assert settings.seed == 8 and loaded.origins["seed"] == "env INTERVIEWER_SEED"
    assert settings.retrieval_k == 11 and loaded.origins["retrieval_k"] == "command line"
    assert settings.store_path == Path("/tmp/from-file")
    assert settings.n_threads >= 1 and loaded.origins["n_threads"] == "default"


def test_explicit_config_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text("n_threads = 3\n")
    assert load_settings(path).n_threads == 3


def test_broken_toml_is_a_clear_config_error(isolated_environment: Path) -> None:
    (isolated_environment / "config.toml").write_text("n_ctx = = 3\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings()


def test_invalid_value_names_the_field(isolated_environment: Path) -> None:
    (isolated_environment / "config.toml").write_text("n_ctx = 10\n")
    with pytest.raises(ConfigError, match="n_ctx"):
        load_settings()


def test_unknown_key_in_config_file_is_rejected(isolated_environment: Path) -> None:
    (isolated_environment / "config.toml").write_text("modle_path = 'x.gguf'\n")
    with pytest.raises(ConfigError, match="modle_path"):
        load_settings()


def test_environment_names_match_without_case_and_a_bad_value_names_its_setting(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("interviewer_n_ctx", "8192")
    loaded = load_settings_with_origins()
    assert loaded.settings.n_ctx == 8192 and loaded.origins["n_ctx"] == "env interviewer_n_ctx"
    monkeypatch.setenv("INTERVIEWER_MAX_FOLLOW_UPS", "many")
    with pytest.raises(ConfigError, match="max_follow_ups"):
        load_settings()


def test_an_interviewer_variable_that_names_no_setting_is_ignored(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # INTERVIEWER_CONFIG, INTERVIEWER_VERIFIER and the like are read elsewhere; they are not settings.
    monkeypatch.setenv("INTERVIEWER_VERIFIER", "off")
    assert load_settings().n_ctx == 4096
