"""Narrative METRIC phrase -> (taxonomy key, key_score).

Three steps (configs/keymap.yaml), first hit wins: the taxonomy synonyms (score 1.0); the
same after trimming a leading 共/全年/本年… and a trailing 件/情况 (``trimmed_score``); the
learned mapper, nearest neighbours over character n-gram TF-IDF vectors of labelled phrases
(``models/keymap/bank.json``, built by ``training/build_keymap.py`` from the taxonomy, the
template row labels and METRIC spans of the annotation sets labelled with keys). The bank
holds phrases labelled "no key" too, so a phrase that looks most like one of them stays
unkeyed. All comparison is on ``norm_label`` forms (simplified script); the phrase as written
and its offsets are never touched.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from ..config import ConfigError, load_config, models_dir, rules_cache
from ..rules import default_rules
from ..tables.values import norm_label


@dataclass(frozen=True)
class KeyChoice:
    key: Optional[str]
    score: Optional[float]
    how: str  # "synonym", "trimmed", "learned", "" (no key)


NO_KEY = KeyChoice(None, None, "")


def ngrams(text: str, sizes=(1, 2, 3)) -> Counter:
    """Character n-gram counts of a normalised phrase."""
    out: Counter = Counter()
    for n in sizes:
        out.update(text[i:i + n] for i in range(len(text) - n + 1))
    return out


@dataclass(frozen=True)
class Bank:
    """Labelled phrases as unit TF-IDF vectors (the learned mapper's model)."""

    phrases: tuple[str, ...]
    keys: tuple[Optional[str], ...]
    vectors: tuple[dict, ...]
    idf: dict
    sizes: tuple[int, ...]
    # n-gram -> (phrase index, weight): only the phrases that share a gram are scored
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict = {}
        for i, v in enumerate(self.vectors):
            for g, w in v.items():
                index.setdefault(g, []).append((i, w))
        object.__setattr__(self, "index", index)

    @classmethod
    def build(cls, pairs: list[tuple[str, Optional[str]]], sizes=(1, 2, 3)) -> "Bank":
        forms = [norm_label(p, default_rules().cells) for p, _ in pairs]
        grams = [ngrams(f, sizes) for f in forms]
        df: Counter = Counter(g for c in grams for g in c)
        n = len(forms)
        idf = {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items()}
        return cls(tuple(forms), tuple(k for _, k in pairs),
                   tuple(_unit(c, idf) for c in grams), idf, tuple(sizes))

    def nearest(self, phrase: str) -> tuple[Optional[str], float, str]:
        """(key, cosine similarity, phrase) of the most similar labelled phrase."""
        q = _unit(ngrams(norm_label(phrase, default_rules().cells), self.sizes), self.idf)
        sums: dict[int, float] = {}
        for g, w in q.items():  # the same sums, in the same order, as a scan of every phrase
            for i, x in self.index.get(g, ()):
                sums[i] = sums.get(i, 0.0) + w * x
        best, score = -1, 0.0
        for i in sorted(sums):
            if sums[i] > score:
                best, score = i, sums[i]
        if best < 0:
            return None, 0.0, ""
        return self.keys[best], score, self.phrases[best]


def _unit(counts: Counter, idf: dict) -> dict:
    v = {g: c * idf.get(g, 0.0) for g, c in counts.items() if g in idf}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    return {g: x / norm for g, x in v.items()}


@rules_cache
def _rules() -> dict:
    return load_config("keymap")


def load_bank(path: Optional[str] = None) -> Optional[Bank]:
    """The learned mapper's bank (None when the file is absent: synonyms alone then), read
    once per path (the models folder may change: GOVIE_MODELS)."""
    return _load_bank(str(models_dir() / _rules()["learned"]["bank"]) if path is None else str(path))


@lru_cache(maxsize=4)
def _load_bank(p: str) -> Optional[Bank]:
    cfg = _rules()["learned"]
    try:
        with open(p, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: unreadable key-map bank ({exc})") from exc
    pairs = [(d["phrase"], d["key"]) for d in data["pairs"]]
    unknown = {k for _, k in pairs if k and k not in default_rules().taxonomy.entries}
    if unknown:
        raise ConfigError(f"{p}: keys not in configs/taxonomy.yaml: {sorted(unknown)}")
    return Bank.build(pairs, tuple(cfg.get("ngrams", (1, 2, 3))))


def _trimmed(metric: str) -> str:
    t = norm_label(metric, default_rules().cells)
    cfg = _rules()
    for w in sorted(cfg.get("trim_prefixes", []), key=len, reverse=True):
        if t.startswith(w) and len(t) > len(w) + 1:
            t = t[len(w):]
            break
    for w in sorted(cfg.get("trim_suffixes", []), key=len, reverse=True):
        if t.endswith(w) and len(t) > len(w) + 1:
            t = t[: -len(w)]
            break
    return t


def rule_key(metric: str) -> KeyChoice:
    """Steps 1 and 2: synonyms as written, then after trimming."""
    if not metric:
        return NO_KEY
    tax = default_rules().taxonomy
    key = tax.narrative_key(metric)
    if key:
        return KeyChoice(key, 1.0, "synonym")
    trimmed = _trimmed(metric)
    key = tax.narrative_key(trimmed) if len(trimmed) >= int(_rules().get("min_trimmed_length", 3)) else None
    if key:
        return KeyChoice(key, float(_rules().get("trimmed_score", 0.95)), "trimmed")
    return NO_KEY


def map_metric(metric: str, bank: Optional[Bank] = None, learned: bool = True) -> KeyChoice:
    """The key of a narrative METRIC phrase with its score, or ``NO_KEY``."""
    choice = rule_key(metric)
    if choice.key or not learned or not metric:
        return choice
    bank = bank or load_bank()
    if bank is None:
        return NO_KEY
    key, score, _ = bank.nearest(metric)
    if key and score >= float(_rules()["learned"].get("min_score", 0.6)):
        return KeyChoice(key, round(score, 3), "learned")
    return NO_KEY
