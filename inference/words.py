"""Word edges: where words start, for the tagger's decoding (``windows.best_tags``).

A METRIC or ORG that starts or ends inside a word is almost always a boundary slip of the
model (生政府信息公开行政复议案件 for 发生…, 委会办公室 for 管委会办公室, 媒体报 for 媒体报道). The
decoder charges such an edge a penalty (``configs/labels.yaml`` ``word_edges``), so the
model's own probabilities choose between the whole word and none of it; a confident model
still wins over the segmenter's mistakes.

Words come from ``rjieba`` (jieba's dictionary and HMM in Rust; choice in docs/guide.md),
read on the simplified text (``script.convert``) so traditional-script reports are cut as
well; the result is per character of the original text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import ConfigError
from .script import aligned, convert


@dataclass(frozen=True)
class WordEdges:
    """Which labels pay for an edge inside a word, and how much (log-probability)."""

    labels: frozenset = frozenset()
    penalty: float = 0.0

    @property
    def active(self) -> bool:
        return self.penalty > 0 and bool(self.labels)


def build_word_edges(cfg: dict | None, names: Sequence[str]) -> WordEdges:
    """``word_edges`` of configs/labels.yaml (absent: no penalty); ``names``: the labels."""
    if not cfg:
        return WordEdges()
    unknown = set(cfg.get("labels", ())) - set(names)
    if unknown:
        raise ConfigError(f"configs/labels.yaml: word_edges names unknown labels {sorted(unknown)}")
    try:
        penalty = float(cfg.get("penalty", 0.0))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"configs/labels.yaml: word_edges.penalty is no number ({exc})") from exc
    if penalty < 0:
        raise ConfigError(f"configs/labels.yaml: word_edges.penalty must be >= 0, not {penalty}")
    return WordEdges(frozenset(cfg.get("labels", ())), penalty)


def word_starts(text: str) -> np.ndarray:
    """Per character of ``text`` (plus one for its end): True where a word starts."""
    import rjieba

    ends = np.cumsum(np.fromiter(map(len, rjieba.cut(aligned(text))), dtype=np.int64))
    starts = np.zeros(len(text) + 1, dtype=bool)
    starts[0] = True
    starts[ends[ends <= len(text)]] = True
    return starts


def inside_word(text: str, offsets: Sequence[tuple[int, int]]) -> np.ndarray:
    """Per token (character offsets into ``text``): True when it starts inside a word."""
    if not offsets:
        return np.zeros(0, dtype=bool)
    return ~word_starts(text)[np.asarray(offsets, dtype=np.int64)[:, 0]]


def only_tagged(phrase: str, tags: frozenset) -> bool:
    """Whether every word of ``phrase`` (rjieba, simplified script) has one of the
    part-of-speech ``tags`` (``v``: a verb, as 收到, 受理)."""
    import rjieba

    words = rjieba.tag(convert(phrase))
    return bool(words) and all(tag in tags for _, tag in words)


def last_word(phrase: str) -> str:
    """The last word of ``phrase`` (rjieba, on its simplified form when that keeps the length;
    cached, for a span's text), or "" for an empty phrase."""
    import rjieba

    cut = rjieba.cut(aligned(phrase, cached=True))
    return cut[-1] if cut else ""
