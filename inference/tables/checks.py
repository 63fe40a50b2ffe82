"""Arithmetic checks (勾稽关系) of mapped tables, from the ``checks`` of each template.

A check never changes a figure: it records the two sides (``expected`` = left side,
``actual`` = right side) and whether they agree. A side with no reported cell skips the
check; blank cells inside a side count as 0 and the detail says so; a check touching an
unreadable cell is skipped (that cell already has a warning).
"""
from __future__ import annotations

from typing import Optional

from ..data import Check
from .templates import MappedCell, Match, expand_refs


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _side(cells: list[Optional[MappedCell]]) -> tuple[Optional[float], int, bool, list[str]]:
    """(sum, blanks, unreadable, printed terms) of the present cells."""
    present = [c for c in cells if c is not None and c.token is not None]
    if not present:
        return None, 0, False, []
    total, blanks, bad, terms = 0.0, 0, False, []
    for c in present:
        if c.value.status == "invalid":
            bad = True
        if c.value.value is None:
            blanks += c.value.status != "invalid"
            terms.append("空")
        else:
            total += c.value.value
            terms.append(_fmt(c.value.value))
    if all(c.value.value is None for c in present):
        return None, blanks, bad, terms
    return total, blanks, bad, terms


def _check(name: str, detail: str, lhs: list, rhs: list, table: str) -> Optional[Check]:
    ls, lb, lbad, lt = _side(lhs)
    rs, rb, rbad, rt = _side(rhs)
    if ls is None or rs is None or lbad or rbad:
        return None
    ok = abs(ls - rs) <= 1e-6 * max(1.0, abs(ls), abs(rs))
    text = f"{detail}: {'+'.join(lt)} = {_fmt(ls)}, {'+'.join(rt)} = {_fmt(rs)}"
    if lb + rb:
        text += f" ({lb + rb} blank cell(s) counted as 0)"
    cells = tuple((c.token.row, c.token.col) for c in lhs + rhs
                  if c is not None and c.token is not None and c.token.row is not None)
    return Check(name=name, ok=ok, expected=ls, actual=rs, detail=text, table=table,
                 cells=tuple(dict.fromkeys(cells)))


def run_checks(m: Match, table: str) -> list[Check]:
    if m.template.kind == "indicators":
        return _indicator_checks(m, table)
    by = {(c.row.id, c.col.id): c for c in m.cells}
    row_ids = list(dict.fromkeys(c.row.id for c in m.cells))
    col_ids = list(dict.fromkeys(c.col.id for c in m.cells))
    col_name = {c.col.id: c.col.name for c in m.cells}
    row_name = {c.row.id: c.metric for c in m.cells}
    out: list[Check] = []
    for spec in m.template.checks:
        each, name, detail = spec.get("each", "none"), spec["name"], spec.get("detail", spec["name"])
        base = f"{m.template.id}:{name}"
        if each == "cols":
            lhs, rhs = expand_refs(spec["lhs"], row_ids), expand_refs(spec["rhs"], row_ids)
            for col in col_ids:
                ck = _check(f"{base}[{col}]", f"{detail} [{col_name[col]}]",
                            [by.get((r, col)) for r in lhs], [by.get((r, col)) for r in rhs], table)
                out += [ck] if ck else []
        elif each == "rows":
            lhs, rhs = expand_refs(spec["lhs"], col_ids), expand_refs(spec["rhs"], col_ids)
            for row in row_ids:
                ck = _check(f"{base}[{row}]", f"{detail} [{row_name[row]}]",
                            [by.get((row, c)) for c in lhs], [by.get((row, c)) for c in rhs], table)
                out += [ck] if ck else []
        else:
            ref = lambda s: by.get(tuple(s.split("/", 1)))  # noqa: E731
            ck = _check(base, detail, [ref(s) for s in spec["lhs"]], [ref(s) for s in spec["rhs"]], table)
            out += [ck] if ck else []
    return out


def _indicator_checks(m: Match, table: str) -> list[Check]:
    out: list[Check] = []
    for spec in m.template.checks:
        col = spec.get("column", "annual")
        cells = [c for c in m.cells if c.col.id == col]
        for total in (c for c in cells if c.row.key == spec["total"]):
            parts = [c for c in cells if c.parent_key == spec["total"] and c.row.id != total.row.id]
            if len(parts) < 2:
                continue
            ck = _check(f"{m.template.id}:{spec['name']}[{col}]",
                        f"{spec.get('detail', spec['name'])} [{total.metric}, {col}]", [total], parts, table)
            out += [ck] if ck else []
    return out
