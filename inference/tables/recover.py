"""Run-together cells recovered by arithmetic.

Some sites flatten the 2021 tables so that a row's figures lose their separators:
``行政规范性文件693665``, a request row ``21710000218``, the review row
``21317000001324019``. The matcher (``templates.match_rows``) records such a row as a
``Run``: its cells and the one string of digits they were printed as. Here every split of
the digits into the row's cells is enumerated (a figure has no leading zero, at most
``MAX_DIGITS`` digits) and kept only when it satisfies the template's checks (勾稽关系:
the 总计 column is the sum of the applicant columns, (七)总计 the sum of the outcomes, the
balance of each column, 行政复议 总计 the sum of its four results), within the row first
and then across rows (several run-together rows at once, and the rows read normally).

A run with exactly one split left gives its cells, each one the digits it was read from
(exact offsets into the text) and marked ``recovered``; a run with several splits gives a
warning listing them and no figure; a run no split of which satisfies the checks gives a
warning. A split is never chosen when no check constrains it, unless it is the only split
there is (as many digits as cells).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from .grid import Token
from .templates import MappedCell, Match, Run, expand_refs
from .values import Value

MAX_DIGITS = 7  # a table figure of more digits is not taken from a run
MAX_NODES = 400_000  # search budget per table (a run beyond it is warned, not split)
MAX_LISTED = 8  # candidates printed in a warning


def splits(digits: str, n: int) -> list[tuple[int, ...]]:
    """Every split of ``digits`` into ``n`` figures (no leading zeros): the cut positions."""
    out: list[tuple[int, ...]] = []

    def walk(p: int, cuts: tuple[int, ...]) -> None:
        left = n - len(cuts)
        if left == 0:
            if p == len(digits):
                out.append(cuts)
            return
        rest = len(digits) - p
        if rest < left or rest > left * MAX_DIGITS:
            return
        top = 1 if digits[p] == "0" else min(MAX_DIGITS, rest - (left - 1))
        for k in range(1, top + 1):
            walk(p + k, cuts + (p + k,))

    walk(0, ())
    return out


# ---- equations from the template checks ----------------------------------------------
Cell = tuple[str, str]  # (row id, column id)


def _equations(m: Match) -> list[tuple[list[Cell], list[Cell]]]:
    # refs expand over the template's rows and columns, so that a check touching a row the
    # table lacks is dropped (``_usable``) rather than read as a shorter sum
    groups = m.template.groups
    rows = [r.id for g in groups for r in g.rows if r.values]
    cols = list(dict.fromkeys(c.id for g in groups for c in g.columns))
    out: list[tuple[list[Cell], list[Cell]]] = []
    for spec in m.template.checks:
        each = spec.get("each", "none")
        if each == "cols":
            lhs, rhs = expand_refs(spec["lhs"], rows), expand_refs(spec["rhs"], rows)
            out += [([(r, c) for r in lhs], [(r, c) for r in rhs]) for c in cols]
        elif each == "rows":
            lhs, rhs = expand_refs(spec["lhs"], cols), expand_refs(spec["rhs"], cols)
            out += [([(r, c) for c in lhs], [(r, c) for c in rhs]) for r in rows]
        else:
            ref = lambda s: tuple(s.split("/", 1))  # noqa: E731
            out.append(([ref(s) for s in spec["lhs"]], [ref(s) for s in spec["rhs"]]))
    return out


def _known(m: Match) -> dict[Cell, Optional[float]]:
    """Value of every cell read normally: a figure, 0 for a blank or dash (as the checks
    count them), None for an unreadable one."""
    out: dict[Cell, Optional[float]] = {}
    for c in m.cells:
        if c.token is None:
            continue
        out[(c.row.id, c.col.id)] = c.value.value if c.value.status == "number" else (
            None if c.value.status == "invalid" else 0.0)
    return out


@dataclass
class _Eq:
    consts: float  # lhs constants minus rhs constants
    terms: list[tuple[Cell, int]]  # unknown cells with their sign (+1 lhs, -1 rhs)


def _usable(eqs, known, unknown: set[Cell]) -> list[_Eq]:
    """Equations all of whose cells are known figures or unknowns, with at least one
    unknown; an equation touching a missing or unreadable cell constrains nothing."""
    out: list[_Eq] = []
    for lhs, rhs in eqs:
        const, terms, ok = 0.0, [], True
        for side, sign in ((lhs, 1), (rhs, -1)):
            for cell in side:
                if cell in unknown:
                    terms.append((cell, sign))
                elif known.get(cell) is not None:
                    const += sign * known[cell]  # type: ignore[operator]
                else:
                    ok = False
        if ok and terms and lhs and rhs:
            out.append(_Eq(const, terms))
    return out


def _holds(eq: _Eq, values: dict[Cell, int]) -> Optional[bool]:
    """None while a term is unassigned."""
    total = eq.consts
    for cell, sign in eq.terms:
        if cell not in values:
            return None
        total += sign * values[cell]
    return abs(total) < 1e-9


class _Budget(Exception):
    pass


def _solve(runs: list[Run], eqs: list[_Eq]) -> list[dict[Cell, int]]:
    """Every assignment of the runs' splits that satisfies every equation."""
    cells_of = [[(r.row.id, c.id) for c in r.cols] for r in runs]
    cands: list[list[dict[Cell, int]]] = []
    nodes = 0
    for run, cells in zip(runs, cells_of):
        own = [e for e in eqs if all(c in cells for c, _ in e.terms)]
        keep = []
        for cuts in splits(run.digits, len(cells)):
            nodes += 1
            if nodes > MAX_NODES:
                raise _Budget
            vals = _values(run.digits, cuts, cells)
            if all(_holds(e, vals) for e in own):
                keep.append(vals)
        cands.append(keep)
    joint = [e for e in eqs if not any(all(c in cells for c, _ in e.terms) for cells in cells_of)]
    out: list[dict[Cell, int]] = []

    def walk(k: int, acc: dict[Cell, int]) -> None:
        nonlocal nodes
        if k == len(runs):
            out.append(dict(acc))
            return
        for vals in cands[k]:
            nodes += 1
            if nodes > MAX_NODES:
                raise _Budget
            nxt = {**acc, **vals}
            if all(_holds(e, nxt) is not False for e in joint):
                walk(k + 1, nxt)

    walk(0, {})
    return out


def _values(digits: str, cuts: tuple[int, ...], cells: list[Cell]) -> dict[Cell, int]:
    starts = (0,) + cuts[:-1]
    return {cell: int(digits[a:b]) for cell, a, b in zip(cells, starts, cuts)}


def _pieces(run: Run, vals: dict[Cell, int]) -> list[Token]:
    """The digits of each cell as a token with its own offsets (the run's text is digits
    only, so a cell is a slice of it)."""
    tok, out, pos = run.token, [], 0
    lead = len(tok.text) - len(tok.text.lstrip())
    for col in run.cols:
        width = len(str(vals[(run.row.id, col.id)]))
        a = lead + pos
        start = None if tok.start is None else tok.start + a
        out.append(replace(tok, text=tok.text[a:a + width], start=start,
                           end=None if start is None else start + width))
        pos += width
    return out


def recover(m: Match) -> None:
    """Fill ``m.cells`` with the cells of every run the checks determine; warn for the
    others (``m.warnings``)."""
    runs = m.runs
    if not runs:
        return
    known = _known(m)
    unknown = {(r.row.id, c.id) for r in runs for c in r.cols}
    eqs = _usable(_equations(m), known, unknown)
    where = lambda r: f"{m.template.id}: row {r.metric!r} printed as {r.token.text.strip()!r}"  # noqa: E731
    try:
        sols = _solve(runs, eqs)
    except _Budget:
        for r in runs:
            m.warnings.append(("cells_run_together", f"{where(r)}: too many splits to try; no figure taken", r.token))
        return
    if not sols:
        for r in runs:
            m.warnings.append(("cells_run_together", f"{where(r)}: no split of its digits into "
                               f"{len(r.cols)} cells satisfies the table's checks; no figure taken", r.token))
        return
    for r in runs:
        cells = [(r.row.id, c.id) for c in r.cols]
        seen = list(dict.fromkeys(tuple(s[c] for c in cells) for s in sols))
        if len(seen) > 1:
            shown = "; ".join(" ".join(str(v) for v in cand) for cand in seen[:MAX_LISTED])
            more = f" (and {len(seen) - MAX_LISTED} more)" if len(seen) > MAX_LISTED else ""
            m.warnings.append(("cells_run_together", f"{where(r)}: {len(seen)} splits satisfy the "
                               f"table's checks, no figure taken; candidates: {shown}{more}", r.token))
            continue
        vals = dict(zip(cells, seen[0]))
        for col, piece in zip(r.cols, _pieces(r, vals)):
            m.cells.append(MappedCell(r.group, r.row, col, piece, Value(float(vals[(r.row.id, col.id)]), "number"),
                                      r.label, r.metric if r.label is not None else col.name,
                                      recovered=True, run=r.token))
        m.warnings.append(("cells_recovered", f"{where(r)}: read as "
                           f"{' '.join(str(v) for v in seen[0])}, the only split the table's checks allow",
                           r.token))
