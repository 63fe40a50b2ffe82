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

def _core(label: str) -> str:
    t = norm_label(label)
    for suf in load_config("taxonomy").get("metric_suffixes", []):
        if t.endswith(suf) and len(t) > len(suf) + 1:
            return t[: -len(suf)]
    return t


@lru_cache(maxsize=None)
def synonym_index() -> tuple[dict[str, str], dict[str, str]]:
    """(normalised synonym -> key, synonym core without its suffix -> key). A synonym that
    two keys share as written is a ConfigError; a core shared by several keys is left out
    (the phrase as written decides there)."""
    keys = load_config("taxonomy")["keys"]
    exact: dict[str, str] = {}
    cores: dict[str, set] = {}
    for key, entry in keys.items():
        if entry.get("within"):
            continue
        for word in [entry.get("name", "")] + list(entry.get("synonyms") or []):
            if not word:
                continue
            form = norm_label(word)
            if exact.setdefault(form, key) != key:
                raise ConfigError(f"configs/taxonomy.yaml: synonym {word!r} is under two keys, "
                                  f"{exact[form]} and {key}")
            cores.setdefault(_core(word), set()).add(key)
    return exact, {w: next(iter(k)) for w, k in cores.items() if len(k) == 1}


@lru_cache(maxsize=None)
def units_of_keys() -> dict[str, Optional[str]]:
    return {k: e.get("unit") for k, e in load_config("taxonomy")["keys"].items()}


def key_of(metric: str) -> Optional[str]:
    """The taxonomy key of a metric phrase, or None."""
    if not metric:
        return None
    exact, cores = synonym_index()
    t, core = norm_label(metric), _core(metric)
    return exact.get(t) or exact.get(core) or cores.get(t) or cores.get(core)


def metric_phrases() -> set[str]:
    """The synonyms and names of the taxonomy as they may stand in running text (each also
    without a trailing 数/数量), for the rules-only METRIC finder of the ner stage."""
    keys = load_config("taxonomy")["keys"]
    out: set[str] = set()
    for entry in keys.values():
        for word in [entry.get("name", "")] + list(entry.get("synonyms") or []):
            if word and "《" not in word:
                out |= {str(word), _core(str(word))}
    return {w for w in out if w}
