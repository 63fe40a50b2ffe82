"""Cross-year checks on the panel (``inference/panel.py``), each with the evidence of both
years. The key pairs are data (``configs/panel.yaml``, ``Rules.panel``), checked against the
taxonomy when the rules are loaded:

- ``carry_over``: 上年结转 of year N equals 结转下年 of year N−1 of the same issuer;
- ``stock``: 现行有效 (N) = 现行有效 (N−1) + 制发 (N) − 废止 (N);
- ``cumulative``: a cumulative figure (``period: cumulative`` in the taxonomy or the fact)
  does not fall from N−1 to N;
- ``jump``: a figure more than ``jump_factor`` times (or under 1/``jump_factor`` of) its
  value of N−1 is flagged.

Only consecutive years are compared, only figures of the same scope and period.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator, Optional

if TYPE_CHECKING:
    from .frame_rules import PanelRules

CHECK_COLUMNS = ["check", "issuer", "issuer_name", "year", "key", "scope", "ok", "expected",
                 "actual", "detail", "evidence_source", "evidence_text", "evidence_start",
                 "evidence_end", "previous_source", "previous_text", "previous_start",
                 "previous_end"]


Cell = dict[str, Any]


_FIELDS = ["issuer", "issuer_name", "year", "key", "scope", "period", "value",
           "evidence_source", "evidence_text", "evidence_start", "evidence_end"]


def _index(df) -> dict[tuple, Cell]:
    """(issuer, year, key, scope, period) -> the panel row's fields the checks use (read
    column by column: a frame's ``to_dict`` is slow on hundreds of thousands of rows)."""
    out = {}
    for vals in zip(*(df[c].tolist() for c in _FIELDS)):
        row = dict(zip(_FIELDS, vals))
        scope = row["scope"] if isinstance(row["scope"], str) else None
        out[(row["issuer"], int(row["year"]), row["key"], scope, row["period"])] = row
    return out


def _result(name: str, row: Cell, prev: Optional[Cell], ok: bool, expected, actual,
            detail: str) -> dict[str, Any]:
    scope = row["scope"] if isinstance(row["scope"], str) else None
    out = {"check": name, "issuer": row["issuer"], "issuer_name": row["issuer_name"],
           "year": int(row["year"]), "key": row["key"], "scope": scope, "ok": ok,
           "expected": expected, "actual": actual, "detail": detail}
    for pre, r in (("evidence", row), ("previous", prev)):
        out[f"{pre}_source"] = r["evidence_source"] if r else None
        out[f"{pre}_text"] = r["evidence_text"] if r else None
        out[f"{pre}_start"] = _int(r["evidence_start"]) if r else None
        out[f"{pre}_end"] = _int(r["evidence_end"]) if r else None
    return out


def _int(x) -> Optional[int]:
    try:
        return None if x is None or x != x else int(x)
    except (TypeError, ValueError):
        return None


def carry_over(ix: dict[tuple, Cell], rules: PanelRules) -> Iterator[dict[str, Any]]:
    for pair in rules.carry_over:
        for (iss, year, key, scope, period), row in ix.items():
            if key != pair["this_year"]:
                continue
            prev = ix.get((iss, year - 1, pair["last_year"], scope, period))
            if prev is None:
                continue
            ok = row["value"] == prev["value"]
            yield _result("carry_over", row, prev, ok, prev["value"], row["value"],
                          f"{key} {year} = {pair['last_year']} {year - 1}")


def stock(ix: dict[tuple, Cell], rules: PanelRules) -> Iterator[dict[str, Any]]:
    for trio in rules.stock:
        for (iss, year, key, scope, period), row in ix.items():
            if key != trio["in_force"]:
                continue
            prev = ix.get((iss, year - 1, key, scope, period))
            issued = _find(ix, iss, year, trio["issued"], scope)
            repealed = _find(ix, iss, year, trio["repealed"], scope)
            if prev is None or issued is None or repealed is None:
                continue
            expected = prev["value"] + issued["value"] - repealed["value"]
            yield _result("stock", row, prev, row["value"] == expected, expected, row["value"],
                          f"{key} {year} = {key} {year - 1} ({prev['value']:g}) + "
                          f"{trio['issued']} ({issued['value']:g}) - {trio['repealed']} "
                          f"({repealed['value']:g})")


def _find(ix, iss, year, key, scope) -> Optional[Cell]:
    return ix.get((iss, year, key, scope, "annual")) or ix.get((iss, year, key, scope,
                                                                 "cumulative"))


def cumulative(ix: dict[tuple, Cell], rules: PanelRules) -> Iterator[dict[str, Any]]:
    skip = rules.cumulative_exclude
    for (iss, year, key, scope, period), row in ix.items():
        if key in skip or (period != "cumulative" and key not in rules.cumulative_keys):
            continue
        prev = ix.get((iss, year - 1, key, scope, period))
        if prev is not None:
            yield _result("cumulative", row, prev, row["value"] >= prev["value"],
                          prev["value"], row["value"], f"{key} does not fall")


def jumps(ix: dict[tuple, Cell], rules: PanelRules) -> Iterator[dict[str, Any]]:
    factor = rules.jump_factor
    for (iss, year, key, scope, period), row in ix.items():
        prev = ix.get((iss, year - 1, key, scope, period))
        if prev is None or not prev["value"] or not row["value"]:
            continue
        ratio = row["value"] / prev["value"]
        if ratio > factor or ratio < 1 / factor:
            yield _result("jump", row, prev, False, prev["value"], row["value"],
                          f"{key} x{ratio:.3g} from {year - 1} to {year}")


def cross_year_checks(df, rules: Optional[PanelRules] = None):
    """The results of every cross-year check on the panel frame (a frame; ``ok`` False
    marks a failure or a flagged jump); ``rules``: ``Rules.panel`` (default: that of
    ``default_rules()``)."""
    import pandas as pd

    if rules is None:
        from .rules import default_rules

        rules = default_rules().panel
    if df.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    ix = _index(df)
    rows = [r for fn in (carry_over, stock, cumulative, jumps) for r in fn(ix, rules)]
    rows.sort(key=lambda r: (r["issuer"], r["year"], r["check"], r["key"], r["scope"] or ""))
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
