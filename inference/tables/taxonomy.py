"""The metric taxonomy (configs/taxonomy.yaml): canonical keys, Chinese names, synonyms.

``Taxonomy.lookup(label, parents)`` maps a label as written (a table row, a METRIC phrase)
to its key; labels are compared after ``values.norm_label``. An entry with ``within`` only
applies below a row of that key (被依法纠错数 under 行政复议数 vs 行政诉讼数).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

from ..config import ConfigError, configs_dir, load_config
from .values import norm_label


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    unit: Optional[str]
    period: str
    synonyms: tuple[str, ...]
    within: Optional[str] = None


@dataclass(frozen=True)
class Taxonomy:
    entries: dict[str, Entry]
    by_label: dict[str, tuple[Entry, ...]]
    units: dict[str, dict]

    def lookup(self, label: str, parents: Sequence[str] = ()) -> Optional[Entry]:
        cands = self.by_label.get(norm_label(label), ())
        if not cands:
            return None
        for p in parents:  # nearest parent first
            for e in cands:
                if e.within == p:
                    return e
        free = [e for e in cands if e.within is None]
        return free[0] if free else None

    def is_unit(self, text: str) -> bool:
        return norm_label(text) in self.units


@lru_cache(maxsize=4)
def _load(folder: str) -> Taxonomy:
    cfg = load_config("taxonomy")
    try:
        entries: dict[str, Entry] = {}
        by_label: dict[str, list[Entry]] = {}
        for key, d in cfg["keys"].items():
            syn = [d.get("name", key)] + list(d.get("synonyms") or [])
            normed = tuple(dict.fromkeys(norm_label(s) for s in syn if s))
            e = Entry(key=key, name=d.get("name", key), unit=d.get("unit"),
                      period=d.get("period", "annual"), synonyms=normed, within=d.get("within"))
            entries[key] = e
            for s in normed:
                by_label.setdefault(s, []).append(e)
        units = dict(cfg.get("units") or {})
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"configs/taxonomy.yaml: malformed ({exc})") from exc
    return Taxonomy(entries, {k: tuple(v) for k, v in by_label.items()}, units)


def load_taxonomy() -> Taxonomy:
    return _load(str(configs_dir()))
