"""Metric phrase -> taxonomy key, by synonym match against configs/taxonomy.yaml.

Labels are compared after the table parser's normalisation (``inference.tables.values.
norm_label``), and also without a trailing 数/数量/次数/总数, so the METRIC 主动公开政府信息 meets
the synonym 主动公开政府信息数. Entries restricted to a parent (``within``) are skipped: a
narrative phrase has no parent row. No match: None (the fact keeps its raw metric text)."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional

from ..config import ConfigError, load_config
from ..tables.values import norm_label

_SUFFIXES = ("总次数", "次数", "总数", "数量", "件数", "数")


def _core(label: str) -> str:
    t = norm_label(label)
    for suf in _SUFFIXES:
        if t.endswith(suf) and len(t) > len(suf) + 1:
            return t[: -len(suf)]
    return t


@lru_cache(maxsize=None)
def synonym_index() -> dict[str, str]:
    """normalised synonym -> key (a synonym shared by several keys is left out)."""
    try:
        keys = load_config("taxonomy")["keys"]
    except ConfigError:
        return {}
    seen: dict[str, set] = {}
    for key, entry in keys.items():
        if entry.get("within"):
            continue
        for word in [entry.get("name", "")] + list(entry.get("synonyms") or []):
            if word:
                for form in {norm_label(word), _core(word)}:
                    seen.setdefault(form, set()).add(key)
    return {w: next(iter(k)) for w, k in seen.items() if len(k) == 1}


@lru_cache(maxsize=None)
def units_of_keys() -> dict[str, Optional[str]]:
    try:
        return {k: e.get("unit") for k, e in load_config("taxonomy")["keys"].items()}
    except ConfigError:
        return {}


def key_of(metric: str) -> Optional[str]:
    """The taxonomy key of a metric phrase, or None."""
    if not metric:
        return None
    idx = synonym_index()
    return idx.get(norm_label(metric)) or idx.get(_core(metric))


def metric_phrases() -> set[str]:
    """The synonyms and names of the taxonomy as they may stand in running text (each also
    without a trailing 数/数量), for the rules-only METRIC finder of the ner stage."""
    try:
        keys = load_config("taxonomy")["keys"]
    except ConfigError:
        return set()
    out: set[str] = set()
    for entry in keys.values():
        for word in [entry.get("name", "")] + list(entry.get("synonyms") or []):
            if word and "《" not in word:
                out |= {str(word), _core(str(word))}
    return {w for w in out if w}
