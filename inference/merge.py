"""Narrative facts and table facts in one list, with agreement marked.

A narrative fact and a table fact are compared when they have the same taxonomy key and
period, compatible scopes (equal, or one of them None while the other is None or a whole-body
scope such as 全市 — ``whole_scopes`` in configs/normalise.yaml) and compatible units (both
counts, both money, both %). Money is compared in yuan (table 万元 converted with the
``units`` of configs/taxonomy.yaml). Exact values must be equal; approximate ones (近8.1万)
must lie within ``approx_tolerance`` and respect their bound (近 = at most, 余 = at least).
Both facts get ``agreement`` "agree" or "conflict"; each conflict adds a ``fact_conflict``
warning naming both values and their evidence.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional

from .data import Evidence, Fact, ReportWarning

if TYPE_CHECKING:
    from .tables.taxonomy import Taxonomy


@dataclass(frozen=True, eq=False)
class MergeRules:
    """``merge`` and ``whole_scopes`` of configs/normalise.yaml (``build_merge``) with the
    taxonomy whose ``units`` make values comparable."""

    taxonomy: Taxonomy
    tolerance: float  # relative, for approximate narrative values
    whole_scopes: frozenset
    total_applicants: frozenset  # table facts of other applicants are not compared


def build_merge(cfg: dict, tax: Taxonomy) -> MergeRules:
    """The merge rules of a parsed configs/normalise.yaml."""
    m = cfg["merge"]
    return MergeRules(tax, float(m.get("approx_tolerance", 0.05)),
                      frozenset(cfg.get("whole_scopes", [])),
                      frozenset(m.get("total_applicants", [None])))


def base_value(f: Fact, tax: Taxonomy) -> tuple[Optional[float], str]:
    """(value in a comparable unit, unit kind: "count", "money", "%", "pp"; the kinds and
    factors of ``units`` in configs/taxonomy.yaml, "count" for a unit not listed)."""
    unit = tax.unit_kind(f.unit)
    if f.value is not None and unit.factor is not None:
        return f.value * unit.factor, unit.kind
    return f.value, unit.kind


def _scopes_match(a: Optional[str], b: Optional[str], whole: set) -> bool:
    if a == b:
        return True
    return (a is None and b in whole) or (b is None and a in whole)


def values_agree(narr: Fact, table: Fact, tol: float, tax: Taxonomy) -> Optional[bool]:
    """True/False, or None when the two are not comparable (units, missing values)."""
    (nv, nk), (tv, tk) = base_value(narr, tax), base_value(table, tax)
    if nv is None or tv is None or nk != tk:
        return None
    if not narr.approx:
        return abs(nv - tv) <= 1e-6 * max(1.0, abs(tv))
    if narr.bound == "upper":  # 近X: at most X, not far below
        return tv <= nv * (1 + 1e-9) and nv - tv <= tol * abs(nv)
    if narr.bound == "lower":  # X余 / 逾X: at least X, below the next step of its last digit
        return nv * (1 - 1e-9) <= tv < nv + last_place(nv)
    return abs(nv - tv) <= tol * max(abs(nv), 1.0)


def last_place(x: float) -> float:
    """The place value of the last significant digit: 1100 -> 100, 81000 -> 1000, 7 -> 1."""
    if x <= 0:
        return 1.0
    if not float(x).is_integer():
        return 1.0
    n, place = int(x), 1
    while n % 10 == 0 and n:
        n, place = n // 10, place * 10
    return float(place)


def _where(e: Optional[Evidence]) -> str:
    if e is None:
        return "?"
    if e.kind == "cell":
        return f"table {e.table} row {e.row} col {e.col} ({e.text!r})"
    return f"text {e.start}-{e.end} ({e.text!r})"


def merge(table_facts: list[Fact], narrative_facts: list[Fact], rules: MergeRules
          ) -> tuple[list[Fact], list[ReportWarning]]:
    """All facts (table facts first, then narrative facts, each in input order) with
    ``agreement`` set where a narrative and a table fact state the same figure, and the
    conflict warnings (rules: ``Rules.merge``)."""
    tol, whole, totals = rules.tolerance, rules.whole_scopes, rules.total_applicants
    table = [replace(f) for f in table_facts]
    narr = [replace(f) for f in narrative_facts]
    warnings: list[ReportWarning] = []
    by_key: dict[tuple, list[Fact]] = {}
    for t in table:
        if t.key is not None and t.applicant in totals:
            by_key.setdefault((t.key, t.period), []).append(t)
    for n in narr:
        if n.key is None:
            continue
        for t in by_key.get((n.key, n.period), []):
            if not _scopes_match(n.scope, t.scope, whole):
                continue
            ok = values_agree(n, t, tol, rules.taxonomy)
            if ok is None:
                continue
            state = "agree" if ok else "conflict"
            n.agreement = state
            if t.agreement != "conflict":
                t.agreement = state
            if not ok:
                e = n.evidence
                warnings.append(ReportWarning(
                    code="fact_conflict",
                    message=(f"{n.key} ({n.period}{', ' + n.scope if n.scope else ''}): text says "
                             f"{n.raw} = {n.value:g} {n.unit or ''} at {_where(n.evidence)}, table says "
                             f"{t.value:g} {t.unit or ''} at {_where(t.evidence)}"),
                    start=e.start if e else None, end=e.end if e else None))
    return table + narr, warnings
