"""inference.config: the configs folder in use and the reading of one file (the rules object
and its one cache per folder: tests/test_rules.py)."""
from __future__ import annotations

import shutil

import pytest

from inference.config import ConfigError, configs_dir, label_set, load_config


def test_rules_follow_the_configs_folder(tmp_path, monkeypatch):
    other = tmp_path / "configs"
    shutil.copytree(configs_dir(), other)
    labels = (other / "labels.yaml").read_text(encoding="utf-8")
    (other / "labels.yaml").write_text(labels.replace("name: MONEY", "name: AMOUNT"), encoding="utf-8")
    before = label_set().labels
    assert "MONEY" in before
    monkeypatch.setenv("GOVIE_CONFIGS", str(other))
    assert "AMOUNT" in label_set().labels and "MONEY" not in label_set().labels
    monkeypatch.delenv("GOVIE_CONFIGS")
    assert label_set().labels == before  # back to the project's rules, from the cache


def test_a_missing_or_broken_config_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GOVIE_CONFIGS", str(tmp_path))
    with pytest.raises(ConfigError, match="not found"):
        load_config("labels")
    (tmp_path / "labels.yaml").write_text("labels: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config("labels")
