"""The metric taxonomy (configs/taxonomy.yaml), loaded once into one typed, validated object.

Built by ``build_taxonomy`` into ``Rules.taxonomy`` (``inference.rules``): the table parser
(``Taxonomy.lookup(label, parents)`` for row labels), the normalise stage
(``Taxonomy.narrative_key(phrase)`` for METRIC phrases, ``metric_phrases()`` for the rules-only
METRIC finder) and the merge (``Taxonomy.unit_kind(unit)``). Labels are compared after
``values.norm_label`` (NFKC, traditional → simplified script, list markers and remarks
dropped). An entry with ``within`` only applies below a row of that key (被依法纠错数 under
行政复议数 vs 行政诉讼数); such entries are never used for narrative phrases, which have no
parent row.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ..errors import ConfigError
from .values import CellRules, norm_label

PERIODS = ("annual", "cumulative")


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    unit: Optional[str]
    period: str
    synonyms: tuple[str, ...]  # normalised forms (name first)
    within: Optional[str] = None
    words: tuple[str, ...] = ()  # name and synonyms as written
    core: bool = False  # one of the core metrics every analyst tabulates
    by_unit: tuple[tuple[str, str], ...] = ()  # (unit, key): a value in that unit is of another key ("" none)


@dataclass(frozen=True)
class UnitKind:
    kind: str  # "count", "money", "%", "pp"
    factor: Optional[float] = None  # to the kind's base unit (万元 -> yuan: 10000)


@dataclass(frozen=True)
class Taxonomy:
    entries: dict[str, Entry]
    by_label: dict[str, tuple[Entry, ...]]
    units: dict[str, UnitKind]
    suffixes: tuple[str, ...] = ()
    exact: Optional[dict[str, str]] = None  # narrative: normalised synonym -> key
    cores: Optional[dict[str, str]] = None  # narrative: synonym without its suffix -> key
    cells: Any = None  # the CellRules its labels are normalised with

    def lookup(self, label: str, parents: Sequence[str] = ()) -> Optional[Entry]:
        cands = self.by_label.get(norm_label(label, self.cells), ())
        if not cands:
            return None
        for p in parents:  # nearest parent first
            for e in cands:
                if e.within == p:
                    return e
        free = [e for e in cands if e.within is None]
        return free[0] if free else None

    def is_unit(self, text: str) -> bool:
        return norm_label(text, self.cells) in self.units

    def unit_kind(self, unit: Optional[str]) -> UnitKind:
        """The kind and factor of a unit; "count" for a unit not listed."""
        return self.units.get(unit or "", UnitKind("count"))

    def key_for_unit(self, key: str, unit: Optional[str]) -> Optional[str]:
        """The key a value of ``unit`` stated for metric ``key`` belongs to: the ``by_unit``
        redirect (新闻发布会 in 人次 -> attendances), None when the unit's kind differs from the
        key's (a share 占15% or a sum in 元 of a counted metric), else ``key``."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        for u, target in entry.by_unit:
            if unit == u:
                return target or None
        want = self.unit_kind(entry.unit).kind if entry.unit else None
        if want is not None and unit is not None and self.unit_kind(unit).kind != want:
            return None
        return key

    def core(self, label: str) -> str:
        """A label normalised and without one trailing metric suffix (数, 数量, 总数 …)."""
        t = norm_label(label, self.cells)
        for suf in self.suffixes:
            if t.endswith(suf) and len(t) > len(suf) + 1:
                return t[: -len(suf)]
        return t

    def narrative_key(self, metric: str) -> Optional[str]:
        """The key of a narrative METRIC phrase by synonym match (as written, then without a
        trailing 数/数量/总数), or None."""
        if not metric:
            return None
        exact, cores = self.exact or {}, self.cores or {}
        t, core = norm_label(metric, self.cells), self.core(metric)
        return exact.get(t) or exact.get(core) or cores.get(t) or cores.get(core)

    def metric_phrases(self) -> set[str]:
        """Names and synonyms as they may stand in running text (each also without a
        trailing 数/数量), for the rules-only METRIC finder of the ner stage."""
        out: set[str] = set()
        for e in self.entries.values():
            for w in e.words:
                if w and "《" not in w:
                    out |= {w, self._strip_suffix(w)}
        return {w for w in out if w}

    def _strip_suffix(self, word: str) -> str:
        for suf in self.suffixes:
            if word.endswith(suf) and len(word) > len(suf) + 1:
                return word[: -len(suf)]
        return word


def _entry(key: str, d: dict, cells: CellRules) -> Entry:
    if not isinstance(d, dict):
        raise ConfigError(f"configs/taxonomy.yaml: key {key!r} is not a mapping")
    syn = d.get("synonyms") or []
    if not isinstance(syn, list):
        raise ConfigError(f"configs/taxonomy.yaml: {key}: synonyms must be a list")
    period = d.get("period", "annual")
    if period not in PERIODS:
        raise ConfigError(f"configs/taxonomy.yaml: {key}: period {period!r} not in {PERIODS}")
    name = str(d.get("name", key))
    words = tuple(dict.fromkeys(str(s) for s in [name, *syn] if s))
    return Entry(key=key, name=name, unit=d.get("unit"), period=period,
                 synonyms=tuple(dict.fromkeys(norm_label(w, cells) for w in words)),
                 within=d.get("within"), words=words, core=bool(d.get("core", False)),
                 by_unit=tuple((str(u), str(k) if k else "") for u, k in (d.get("by_unit") or {}).items()))


def _narrative_index(entries: dict[str, Entry], tax: Taxonomy) -> tuple[dict, dict]:
    """(normalised synonym -> key, synonym core -> key) over entries without ``within``. A
    synonym written identically under two keys is a ConfigError; a core shared by several
    keys is left out (the phrase as written decides there)."""
    exact: dict[str, str] = {}
    cores: dict[str, set] = {}
    for e in entries.values():
        if e.within:
            continue
        for word in e.words:
            form = norm_label(word, tax.cells)
            if exact.setdefault(form, e.key) != e.key:
                raise ConfigError(f"configs/taxonomy.yaml: synonym {word!r} is under two keys, "
                                  f"{exact[form]} and {e.key}")
            cores.setdefault(tax.core(word), set()).add(e.key)
    return exact, {w: next(iter(k)) for w, k in cores.items() if len(k) == 1}


def build_taxonomy(cfg: dict, cells: CellRules) -> Taxonomy:
    """The typed taxonomy of a parsed configs/taxonomy.yaml, labels normalised with
    ``cells``; ConfigError when malformed."""
    try:
        entries = {str(k): _entry(str(k), d, cells) for k, d in cfg["keys"].items()}
        units = {str(u): UnitKind(str(d.get("kind", "count")),
                                  float(d["factor"]) if "factor" in d else None)
                 for u, d in (cfg.get("units") or {}).items()}
        suffixes = tuple(str(s) for s in cfg.get("metric_suffixes") or [])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ConfigError(f"configs/taxonomy.yaml: malformed ({exc})") from exc
    for e in entries.values():
        if e.within and e.within not in entries:
            raise ConfigError(f"configs/taxonomy.yaml: {e.key}: within {e.within!r} is no key")
        for _, target in e.by_unit:
            if target and target not in entries:
                raise ConfigError(f"configs/taxonomy.yaml: {e.key}: by_unit key {target!r} is no key")
        if e.unit and e.unit not in units:
            raise ConfigError(f"configs/taxonomy.yaml: {e.key}: unit {e.unit!r} not in units")
    by_label: dict[str, list[Entry]] = {}
    for e in entries.values():
        for s in e.synonyms:
            by_label.setdefault(s, []).append(e)
    tax = Taxonomy(entries, {k: tuple(v) for k, v in by_label.items()}, units, suffixes, cells=cells)
    exact, cores = _narrative_index(entries, tax)
    return Taxonomy(tax.entries, tax.by_label, units, suffixes, exact, cores, cells)
