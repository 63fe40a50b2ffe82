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
from typing import TYPE_CHECKING, Optional

from ..config import models_dir
from ..errors import ConfigError
from ..tables.values import norm_label

if TYPE_CHECKING:
    from ..tables.taxonomy import Taxonomy
    from ..tables.values import CellRules


@dataclass(frozen=True)
class KeyChoice:
    key: Optional[str]
    score: Optional[float]
    how: str  # "synonym", "trimmed", "learned", "" (no key)


NO_KEY = KeyChoice(None, None, "")


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the bank cache
class KeymapRules:
    """The rules of configs/keymap.yaml (``build_keymap``) with the taxonomy whose synonyms
    it reads and the cell rules of ``norm_label``."""

    taxonomy: Taxonomy
    cells: CellRules
    trim_prefixes: tuple[str, ...]  # longest first
    trim_suffixes: tuple[str, ...]
    min_trimmed_length: int
    trimmed_score: float
    bank: str  # the learned mapper's bank, relative to the models folder
    ngrams: tuple[int, ...]
    min_score: float


def build_keymap(cfg: dict, tax: Taxonomy, cells: CellRules) -> KeymapRules:
    """The key-map rules of a parsed configs/keymap.yaml."""
    learned = cfg["learned"]
    return KeymapRules(
        tax, cells, tuple(sorted(cfg.get("trim_prefixes", []), key=len, reverse=True)),
        tuple(sorted(cfg.get("trim_suffixes", []), key=len, reverse=True)),
        int(cfg.get("min_trimmed_length", 3)), float(cfg.get("trimmed_score", 0.95)),
        str(learned["bank"]), tuple(int(n) for n in learned.get("ngrams", (1, 2, 3))),
        float(learned.get("min_score", 0.6)))


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
    cells: CellRules = field(repr=False, compare=False)  # of norm_label
    # n-gram -> (phrase index, weight): only the phrases that share a gram are scored
    index: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict = {}
        for i, v in enumerate(self.vectors):
            for g, w in v.items():
                index.setdefault(g, []).append((i, w))
        object.__setattr__(self, "index", index)

    @classmethod
    def build(cls, pairs: list[tuple[str, Optional[str]]], cells: CellRules,
              sizes=(1, 2, 3)) -> "Bank":
        forms = [norm_label(p, cells) for p, _ in pairs]
        grams = [ngrams(f, sizes) for f in forms]
        df: Counter = Counter(g for c in grams for g in c)
        n = len(forms)
        idf = {g: math.log((1 + n) / (1 + d)) + 1.0 for g, d in df.items()}
        return cls(tuple(forms), tuple(k for _, k in pairs),
                   tuple(_unit(c, idf) for c in grams), idf, tuple(sizes), cells)

    def nearest(self, phrase: str) -> tuple[Optional[str], float, str]:
        """(key, cosine similarity, phrase) of the most similar labelled phrase."""
        q = _unit(ngrams(norm_label(phrase, self.cells), self.sizes), self.idf)
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


def load_bank(km: KeymapRules, path: Optional[str] = None) -> Optional[Bank]:
    """The learned mapper's bank (None when the file is absent: synonyms alone then), read
    once per path and rules (the models folder may change: GOVIE_MODELS)."""
    return _load_bank(km, str(models_dir() / km.bank) if path is None else str(path))


@lru_cache(maxsize=4)
def _load_bank(km: KeymapRules, p: str) -> Optional[Bank]:
    try:
        with open(p, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: unreadable key-map bank ({exc})") from exc
    pairs = [(d["phrase"], d["key"]) for d in data["pairs"]]
    unknown = {k for _, k in pairs if k and k not in km.taxonomy.entries}
    if unknown:
        raise ConfigError(f"{p}: keys not in configs/taxonomy.yaml: {sorted(unknown)}")
    return Bank.build(pairs, km.cells, km.ngrams)


def _trimmed(metric: str, km: KeymapRules) -> str:
    t = norm_label(metric, km.cells)
    for w in km.trim_prefixes:
        if t.startswith(w) and len(t) > len(w) + 1:
            t = t[len(w):]
            break
    for w in km.trim_suffixes:
        if t.endswith(w) and len(t) > len(w) + 1:
            t = t[: -len(w)]
            break
    return t


def rule_key(metric: str, km: KeymapRules) -> KeyChoice:
    """Steps 1 and 2: synonyms as written, then after trimming."""
    if not metric:
        return NO_KEY
    tax = km.taxonomy
    key = tax.narrative_key(metric)
    if key:
        return KeyChoice(key, 1.0, "synonym")
    trimmed = _trimmed(metric, km)
    key = tax.narrative_key(trimmed) if len(trimmed) >= km.min_trimmed_length else None
    if key:
        return KeyChoice(key, km.trimmed_score, "trimmed")
    return NO_KEY


def map_metric(metric: str, km: KeymapRules, bank: Optional[Bank] = None,
               learned: bool = True) -> KeyChoice:
    """The key of a narrative METRIC phrase with its score, or ``NO_KEY`` (rules ``km``:
    ``Rules.keymap``)."""
    choice = rule_key(metric, km)
    if choice.key or not learned or not metric:
        return choice
    bank = bank or load_bank(km)
    if bank is None:
        return NO_KEY
    key, score, _ = bank.nearest(metric)
    if key and score >= km.min_score:
        return KeyChoice(key, round(score, 3), "learned")
    return NO_KEY
