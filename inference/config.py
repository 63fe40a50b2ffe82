"""Loading of the rules-as-data in ``configs/`` (labels, templates, taxonomy, patterns).

Configs are read at run time from the project's ``configs/`` folder, or from the folder
named by the environment variable ``GOVIE_CONFIGS``. ``load_config`` reads one file; the
pipeline's rules are read, validated and compiled once per folder into one typed object
by ``inference.rules.load_rules`` (``default_rules()`` is the only cache).
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError  # noqa: F401  (re-exported)
from .words import WordEdges, build_word_edges

ROOT = Path(__file__).resolve().parent.parent
"""The project root (the folder holding ``configs/``, ``models/`` and ``samples/``)."""


@lru_cache(maxsize=None)
def regex(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile`` of a pattern read from a config, kept for the life of the process (the
    readers compile their config patterns where they use them; ``re``'s own cache holds 512)."""
    return re.compile(pattern, flags)


def configs_dir() -> Path:
    return Path(os.environ.get("GOVIE_CONFIGS", ROOT / "configs"))


def models_dir() -> Path:
    return Path(os.environ.get("GOVIE_MODELS", ROOT / "models"))


def default_model_dir() -> Path:
    return models_dir() / "default"


def load_config(name: str, folder: Path | None = None) -> Any:
    """The parsed YAML file ``<folder>/<name>`` (``.yaml`` may be omitted; folder: the
    configs folder in use). Read each time it is called: callers keep what they need."""
    path = (configs_dir() if folder is None else folder) / name
    if path.suffix not in (".yaml", ".yml", ".json"):
        path = path.with_suffix(".yaml")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


@dataclass(frozen=True)
class LabelSet:
    """The fixed label list and its BIO ids (Hugging Face ``run_ner.py`` style)."""

    labels: tuple[str, ...]
    relations: tuple[dict, ...]
    keep_at_start: frozenset = frozenset()  # punctuation that stays at a span's start
    keep_at_end: frozenset = frozenset()  # ... and at its end (a trailing 》 or %)
    word_edges: WordEdges = WordEdges()  # decoding: entities that open or close inside a word

    @property
    def bio(self) -> tuple[str, ...]:
        out = ["O"]
        for lab in self.labels:
            out += [f"B-{lab}", f"I-{lab}"]
        return tuple(out)

    @property
    def label2id(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.bio)}

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.bio))

    @property
    def value_labels(self) -> tuple[str, ...]:
        out: list[str] = []
        for rel in self.relations:
            out += [x for x in rel["from"] if x not in out]
        return tuple(out)


def build_labels(cfg: dict) -> LabelSet:
    """The label set of a parsed configs/labels.yaml; ConfigError when malformed."""
    try:
        names = tuple(item["name"] for item in cfg["labels"])
        rels = tuple(cfg.get("relations", []))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"configs/labels.yaml: malformed ({exc})") from exc
    if len(set(names)) != len(names):
        raise ConfigError("configs/labels.yaml: duplicate label names")
    return LabelSet(names, rels, frozenset(cfg.get("keep_at_start", "")),
                    frozenset(cfg.get("keep_at_end", "")), build_word_edges(cfg.get("word_edges"), names))


def label_set() -> LabelSet:
    """The label set of configs/labels.yaml of the configs folder in use (the pipeline's
    is ``Rules.labels``)."""
    return build_labels(load_config("labels"))
