"""Template mapping: the official 2019/2021 tables (configs/templates/*.yaml, kind "rows").

Mapping is by label, never by position alone: on the cell stream of a table (see
``grid.py``) the matcher finds each group's title, then each row label in template order,
and reads the figures that follow the label; the column order comes from the header cells
when the template allows it (``header_order``), else from the template (the two-level
headers of the request and review tables). A row whose figures cannot all be read gives a
warning, never a guess of 0.
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import ConfigError
from .grid import Token
from .values import CellRules, Value, looks_like_value, norm_label, norm_title, parse_value


@dataclass(frozen=True)
class Column:
    id: str
    name: str
    synonyms: tuple[str, ...] = ()
    key: Optional[str] = None
    period: str = "annual"
    unit: Optional[str] = None
    applicant: Optional[str] = None


@dataclass(frozen=True)
class Row:
    id: str
    labels: Optional[tuple[str, ...]]  # normalised; None: the figures follow the header
    key: Optional[str] = None
    values: bool = True
    parent: Optional[str] = None


@dataclass(frozen=True)
class Group:
    id: str
    titles: tuple[str, ...]
    header_order: bool
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Template:
    id: str
    format: str
    name: str
    kind: str
    unit: str
    groups: tuple[Group, ...]
    checks: tuple[dict, ...]
    detect: tuple[str, ...]
    raw: Any = None
    cells: Any = field(default=None, compare=False, repr=False)  # CellRules of its labels


@dataclass
class MappedCell:
    group: str
    row: Row
    col: Column
    token: Optional[Token]  # None: the cell is missing from the table
    value: Value
    label: Optional[Token]  # the row label cell (None for label-less rows)
    metric: str  # the metric as written
    parent_key: Optional[str] = None
    recovered: bool = False  # split out of a run of digits by the checks (recover.py)
    run: Optional[Token] = None  # the run it was split from


@dataclass
class Match:
    template: Template
    score: float
    lo: int
    hi: int  # token range [lo, hi)
    cells: list[MappedCell] = field(default_factory=list)
    warnings: list[tuple[str, str, Optional[Token]]] = field(default_factory=list)
    runs: list["Run"] = field(default_factory=list)  # rows printed as one run of digits

    def value(self, row: str, col: str) -> Optional[MappedCell]:
        for c in self.cells:
            if c.row.id == row and c.col.id == col:
                return c
        return None


@dataclass
class Run:
    """One row whose cells were printed as one string of digits (``token``)."""

    group: str
    row: Row
    cols: tuple[Column, ...]
    token: Token
    label: Optional[Token]
    metric: str
    digits: str = field(init=False)

    def __post_init__(self) -> None:
        self.digits = "".join(ch for ch in self.token.text if ch.isdigit())


def is_run(cells: list[Optional[Token]], n: int) -> Optional[Token]:
    """The token when the cells read for a row of ``n > 1`` cells are one string of at
    least ``n`` ASCII digits and nothing else (the other cells missing or blank) in a text
    table (tokens without a grid position: the loader tables keep their separators)."""
    filled = [c for c in cells if c is not None and not c.empty]
    if n < 2 or len(filled) != 1 or filled[0].row is not None:
        return None
    t = filled[0].text.strip()
    return filled[0] if len(t) >= n and t.isascii() and t.isdigit() else None


def _column(d: dict, unit: str, cells: CellRules) -> Column:
    return Column(
        id=d["id"], name=d.get("name", d["id"]),
        synonyms=tuple(norm_label(s, cells) for s in d.get("synonyms", []))
        or (norm_label(d.get("name", d["id"]), cells),),
        key=d.get("key"), period=d.get("period", "annual"), unit=d.get("unit", unit),
        applicant=d.get("applicant"),
    )


def _row(d: dict, cells: CellRules) -> Row:
    lab = d.get("label")
    labels = None if lab is None else tuple(norm_label(x, cells) for x in lab)
    return Row(id=d["id"], labels=labels, key=d.get("key"), values=d.get("values", True),
               parent=d.get("parent"))


def _template(d: dict, name: str, cells: CellRules) -> Template:
    try:
        unit = d["unit"]  # every template names the unit of its counts
        groups = tuple(
            Group(id=g["id"], titles=tuple(norm_title(t) for t in g.get("title", [])),
                  header_order=bool(g.get("header_order", False)),
                  columns=tuple(_column(c, unit, cells) for c in g["columns"]),
                  rows=tuple(_row(r, cells) for r in g["rows"]))
            for g in d.get("groups", [])
        )
        return Template(id=d["id"], format=str(d["format"]), name=d.get("name", d["id"]),
                        kind=d.get("kind", "rows"), unit=unit, groups=groups,
                        checks=tuple(d.get("checks") or ()),
                        detect=tuple(norm_label(x, cells) for x in d.get("detect", [])), raw=d,
                        cells=cells)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"configs/templates/{name}: malformed ({exc})") from exc


@dataclass(frozen=True)
class TemplateSet:
    """Every template of configs/templates/ (sorted by file name), the vocabulary of their
    cells and the cell rules their labels are normalised with."""

    templates: tuple[Template, ...]
    vocabulary: frozenset[str]
    cells: CellRules


def build_templates(raws: dict[str, dict], cells: CellRules) -> TemplateSet:
    """The templates of parsed configs/templates/*.yaml (file name -> content)."""
    tpls = tuple(_template(raws[n], n, cells) for n in sorted(raws))
    return TemplateSet(tpls, _vocabulary(tpls, cells), cells)


def _vocabulary(templates: tuple[Template, ...], cells: CellRules) -> frozenset[str]:
    """Every row label, header cell, title and detect word of the "rows" templates,
    normalised: the cells the tokenizer keeps whole (``grid.tokenize``)."""
    out: set[str] = set()
    for tpl in templates:
        if tpl.kind != "rows":
            continue
        out |= set(tpl.detect) | {norm_label(x, cells) for x in tpl.raw.get("header_cells", [])}
        for g in tpl.groups:
            out |= set(g.titles) | {s for c in g.columns for s in c.synonyms}
            out |= {lab for r in g.rows for lab in (r.labels or ())}
    return frozenset(x for x in out if x)


# ---- the matcher ---------------------------------------------------------------------
def _is_label(tok: Token, cells: CellRules) -> bool:
    return not tok.empty and not looks_like_value(tok.text, cells)


def read_values(toks: list[Token], i: int, n: int, cells: CellRules
                ) -> tuple[list[Optional[Token]], int, str]:
    """The ``n`` cells after position ``i``: up to the next label cell, blanks included.
    When the filled cells are at least ``n`` the blanks around them are flattening noise and
    are skipped; otherwise cells are taken in place (a blank is a blank). Returns the cells
    (None where missing), the position after the last one used, and a note ("" if clean)."""
    seq: list[int] = []
    filled = 0
    j = i
    while j < len(toks) and filled < n and len(seq) < n + 24:
        t = toks[j]
        if _is_label(t, cells):
            break
        seq.append(j)
        filled += 0 if t.empty else 1
        j += 1
    if filled >= n:
        picked = [k for k in seq if not toks[k].empty][:n]
        return [toks[k] for k in picked], picked[-1] + 1, ""
    picked = seq[:n]
    out: list[Optional[Token]] = [toks[k] for k in picked] + [None] * (n - len(picked))
    end = (picked[-1] + 1) if picked else i
    note = f"{filled} of {n} cells filled"
    return out, end, note


def _find(norm: list[str], wanted: tuple[str, ...], frm: int, to: Optional[int] = None) -> Optional[int]:
    to = len(norm) if to is None else to
    for i in range(frm, to):
        if norm[i] and norm[i] in wanted:
            return i
    return None


@dataclass
class _Scan:
    """The state of matching one token stream to a "rows" template: the normalised labels
    and titles, the match so far, where reading goes on, and what was found."""

    toks: list[Token]
    norm: list[str]
    titles: list[str]
    m: Match
    cur: int = 0
    rows_found: int = 0
    numbers: int = 0


def match_rows(tpl: Template, toks: list[Token]) -> Optional[Match]:
    """Map ``toks`` onto a template of kind "rows"; None if it does not fit (no row with a
    figure, or too little of the template recognised)."""
    norm = [norm_label(t.text, tpl.cells) if not t.empty else "" for t in toks]
    titles = [norm_title(t.text) if not t.empty else "" for t in toks]
    sc = _Scan(toks, norm, titles, Match(template=tpl, score=0.0, lo=len(toks), hi=0))
    sc.m.score += len({x for x in norm if x in tpl.detect})
    for g in tpl.groups:
        _match_group(sc, tpl, g)
    sc.m.score += sc.numbers
    if sc.rows_found == 0 or sc.numbers == 0 or (sc.m.score - sc.numbers < 1 and sc.rows_found < 2):
        return None
    sc.m.lo = min(sc.m.lo, sc.m.hi)
    return sc.m


def _match_group(sc: _Scan, tpl: Template, g: Any) -> None:
    """One group of the template: its title, its row labels in template order, its header
    cells (column order), then the figures of each row."""
    gstart = sc.cur
    ti = _find(sc.titles, g.titles, sc.cur) if g.titles else None
    if ti is not None:
        sc.m.score += 1
        sc.m.lo, sc.m.hi = min(sc.m.lo, ti), max(sc.m.hi, ti + 1)
        gstart = ti + 1
    at: dict[str, int] = {}
    p = gstart
    for r in g.rows:
        i = _find(sc.norm, r.labels, p) if r.labels is not None else None
        if i is not None:
            at[r.id], p = i, i + 1
    cols = _group_columns(sc, tpl, g, gstart, at)
    for r in g.rows:
        _read_row(sc, tpl, g, r, cols, at, gstart)
    if at:
        sc.cur = max(sc.cur, max(at.values()) + 1)


def _group_columns(sc: _Scan, tpl: Template, g: Any, gstart: int, at: dict[str, int]) -> list:
    """The group's columns, in the order of its header cells where they are all found
    between the group start and its first row (template order otherwise, with a warning
    when only some are)."""
    first = min(at.values(), default=None)
    cols = list(g.columns)
    if first is None and all(r.labels is not None for r in g.rows):
        return cols
    hdr_end = first if first is not None else len(sc.toks)
    pos: dict[str, int] = {}
    for c in g.columns:
        k = _find(sc.norm, c.synonyms, gstart, hdr_end)
        while k is not None and k in pos.values():
            k = _find(sc.norm, c.synonyms, k + 1, hdr_end)
        if k is not None:
            pos[c.id] = k
    if g.header_order and first is not None:
        sc.m.score += len(pos)
        if len(pos) == len(cols):
            cols = sorted(cols, key=lambda c: pos[c.id])
            sc.m.lo = min(sc.m.lo, min(pos.values()))
        elif pos:
            sc.m.warnings.append(("table_header", f"{tpl.id}/{g.id}: header cells "
                                  f"{len(pos)} of {len(cols)} recognised; template column order used", None))
    return cols


def _row_start(sc: _Scan, tpl: Template, g: Any, r: Any, at: dict[str, int],
               gstart: int) -> Optional[tuple[int, Optional[Token]]]:
    """Where a row's figures start and its label token (a row without a label starts after
    the header); None when the row is not in the table."""
    if r.labels is None:
        span = _header_end(sc.norm, sc.toks, tpl.detect + tuple(s for c in g.columns for s in c.synonyms), gstart)
        if span is None:
            return None
        sc.m.lo = min(sc.m.lo, span[0])
        return span[1], None
    if r.id not in at:
        return None
    sc.m.lo = min(sc.m.lo, at[r.id])
    return at[r.id] + 1, sc.toks[at[r.id]]


def _read_row(sc: _Scan, tpl: Template, g: Any, r: Any, cols: list, at: dict[str, int],
              gstart: int) -> None:
    """The figures of one row as mapped cells; a run of digits without separators is kept
    for ``recover.py``; empty and incomplete rows are warned."""
    if not r.values:
        if r.id in at:
            sc.m.lo = min(sc.m.lo, at[r.id])
        return
    start = _row_start(sc, tpl, g, r, at, gstart)
    if start is None:
        return
    i0, label = start
    name = label.text if label is not None else r.id
    cells, end, note = read_values(sc.toks, i0, len(cols), tpl.cells)
    run = is_run(cells, len(cols))
    if run is not None:  # figures printed without separators: recover.py
        sc.m.runs.append(Run(g.id, r, tuple(cols), run, label, name))
        sc.rows_found += 1
        sc.numbers += 1
        sc.m.hi, sc.cur = max(sc.m.hi, end), max(sc.cur, end)
        return
    if all(c is None for c in cells):
        if label is not None:
            sc.m.warnings.append(("table_row_empty", f"{tpl.id}: row {label.text!r} has no cells", label))
        return
    sc.rows_found += 1
    if note:
        sc.m.warnings.append(("table_row_incomplete", f"{tpl.id}: row {name!r}: {note}", label))
    for col, tok in zip(cols, cells):
        val = parse_value(tok.text if tok is not None else None, tpl.cells)
        sc.numbers += val.status == "number"
        sc.m.cells.append(MappedCell(g.id, r, col, tok, val, label, label.text if label is not None else col.name))
    sc.m.hi, sc.cur = max(sc.m.hi, end), max(sc.cur, end)


def _header_end(norm: list[str], toks: list[Token], header: tuple[str, ...],
                frm: int) -> Optional[tuple[int, int]]:
    """(first header cell, first figure after it) for a run of at least 3 header cells."""
    i = _find(norm, header, frm)
    if i is None:
        return None
    seen = 0
    j = i
    while j < len(toks) and (toks[j].empty or norm[j] in header):
        seen += not toks[j].empty
        j += 1
    return (i, j) if seen >= 3 and j < len(toks) else None


def expand_refs(refs: list[str], ids: list[str]) -> list[str]:
    out: list[str] = []
    for ref in refs:
        out += [i for i in ids if fnmatch.fnmatchcase(i, ref) and i not in out]
    return out
