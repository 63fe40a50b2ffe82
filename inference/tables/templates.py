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
from functools import lru_cache
from typing import Any, Optional

from ..config import ConfigError, configs_dir, load_config
from .grid import Token
from .values import Value, looks_like_value, norm_label, norm_title, parse_value


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


def _column(d: dict, unit: str) -> Column:
    return Column(
        id=d["id"], name=d.get("name", d["id"]),
        synonyms=tuple(norm_label(s) for s in d.get("synonyms", [])) or (norm_label(d.get("name", d["id"])),),
        key=d.get("key"), period=d.get("period", "annual"), unit=d.get("unit", unit),
        applicant=d.get("applicant"),
    )


def _row(d: dict) -> Row:
    lab = d.get("label")
    labels = None if lab is None else tuple(norm_label(x) for x in lab)
    return Row(id=d["id"], labels=labels, key=d.get("key"), values=d.get("values", True),
               parent=d.get("parent"))


def _template(d: dict, name: str) -> Template:
    try:
        unit = d["unit"]  # every template names the unit of its counts
        groups = tuple(
            Group(id=g["id"], titles=tuple(norm_title(t) for t in g.get("title", [])),
                  header_order=bool(g.get("header_order", False)),
                  columns=tuple(_column(c, unit) for c in g["columns"]),
                  rows=tuple(_row(r) for r in g["rows"]))
            for g in d.get("groups", [])
        )
        return Template(id=d["id"], format=str(d["format"]), name=d.get("name", d["id"]),
                        kind=d.get("kind", "rows"), unit=unit, groups=groups,
                        checks=tuple(d.get("checks") or ()),
                        detect=tuple(norm_label(x) for x in d.get("detect", [])), raw=d)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"configs/templates/{name}: malformed ({exc})") from exc


@lru_cache(maxsize=8)
def _load(folder: str) -> tuple[Template, ...]:
    from pathlib import Path

    names = sorted(p.name for p in Path(folder).glob("*.yaml"))
    if not names:
        raise ConfigError(f"no table templates in {folder}")
    return tuple(_template(load_config(f"templates/{n}"), n) for n in names)


def load_templates() -> tuple[Template, ...]:
    """Every template of configs/templates/, sorted by file name."""
    return _load(str(configs_dir() / "templates"))


def vocabulary() -> frozenset[str]:
    """Every row label, header cell, title and detect word of the "rows" templates,
    normalised: the cells the tokenizer keeps whole (``grid.tokenize``)."""
    return _vocabulary(str(configs_dir() / "templates"))


@lru_cache(maxsize=8)
def _vocabulary(folder: str) -> frozenset[str]:
    out: set[str] = set()
    for tpl in _load(folder):
        if tpl.kind != "rows":
            continue
        out |= set(tpl.detect) | {norm_label(x) for x in tpl.raw.get("header_cells", [])}
        for g in tpl.groups:
            out |= set(g.titles) | {s for c in g.columns for s in c.synonyms}
            out |= {lab for r in g.rows for lab in (r.labels or ())}
    return frozenset(x for x in out if x)


# ---- the matcher ---------------------------------------------------------------------
def _is_label(tok: Token) -> bool:
    return not tok.empty and not looks_like_value(tok.text)


def read_values(toks: list[Token], i: int, n: int) -> tuple[list[Optional[Token]], int, str]:
    """The ``n`` cells after position ``i``: up to the next label cell, blanks included.
    When the filled cells are at least ``n`` the blanks around them are flattening noise and
    are skipped; otherwise cells are taken in place (a blank is a blank). Returns the cells
    (None where missing), the position after the last one used, and a note ("" if clean)."""
    seq: list[int] = []
    filled = 0
    j = i
    while j < len(toks) and filled < n and len(seq) < n + 24:
        t = toks[j]
        if _is_label(t):
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


def match_rows(tpl: Template, toks: list[Token]) -> Optional[Match]:
    """Map ``toks`` onto a template of kind "rows"; None if it does not fit."""
    norm = [norm_label(t.text) if not t.empty else "" for t in toks]
    titles = [norm_title(t.text) if not t.empty else "" for t in toks]
    m = Match(template=tpl, score=0.0, lo=len(toks), hi=0)
    detect_hits = {norm[i] for i in range(len(toks)) if norm[i] in tpl.detect}
    m.score += len(detect_hits)
    cur = 0
    rows_found = 0
    numbers = 0
    for g in tpl.groups:
        gstart = cur
        ti = _find(titles, g.titles, cur) if g.titles else None
        if ti is not None:
            m.score += 1
            m.lo, m.hi = min(m.lo, ti), max(m.hi, ti + 1)
            gstart = ti + 1
        # row labels, in template order
        at: dict[str, int] = {}
        p = gstart
        for r in g.rows:
            if r.labels is None:
                continue
            i = _find(norm, r.labels, p)
            if i is not None:
                at[r.id] = i
                p = i + 1
        # header cells between the group start and its first row
        first = min(at.values(), default=None)
        cols = list(g.columns)
        if first is not None or any(r.labels is None for r in g.rows):
            hdr_end = first if first is not None else len(toks)
            pos: dict[str, int] = {}
            for c in g.columns:
                k = _find(norm, c.synonyms, gstart, hdr_end)
                while k is not None and k in pos.values():
                    k = _find(norm, c.synonyms, k + 1, hdr_end)
                if k is not None:
                    pos[c.id] = k
            if g.header_order and first is not None:
                m.score += len(pos)
                if len(pos) == len(cols):
                    cols = sorted(cols, key=lambda c: pos[c.id])
                    m.lo = min(m.lo, min(pos.values()))
                elif pos:
                    m.warnings.append(("table_header", f"{tpl.id}/{g.id}: header cells "
                                       f"{len(pos)} of {len(cols)} recognised; template column order used", None))
        for r in g.rows:
            if not r.values:
                if r.id in at:
                    m.lo = min(m.lo, at[r.id])
                continue
            label: Optional[Token] = None
            if r.labels is None:
                span = _header_end(norm, toks, tpl.detect + tuple(s for c in g.columns for s in c.synonyms), gstart)
                if span is None:
                    continue
                m.lo = min(m.lo, span[0])
                i0 = span[1]
            else:
                if r.id not in at:
                    continue
                i0 = at[r.id] + 1
                label = toks[at[r.id]]
                m.lo = min(m.lo, at[r.id])
            cells, end, note = read_values(toks, i0, len(cols))
            run = is_run(cells, len(cols))
            if run is not None:  # figures printed without separators: recover.py
                m.runs.append(Run(g.id, r, tuple(cols), run, label, label.text if label is not None else r.id))
                rows_found += 1
                numbers += 1
                m.hi, cur = max(m.hi, end), max(cur, end)
                continue
            if all(c is None for c in cells):
                if label is not None:
                    m.warnings.append(("table_row_empty", f"{tpl.id}: row {label.text!r} has no cells", label))
                continue
            rows_found += 1
            if note:
                m.warnings.append(("table_row_incomplete", f"{tpl.id}: row {(label.text if label else r.id)!r}: {note}", label))
            for col, tok in zip(cols, cells):
                val = parse_value(tok.text if tok is not None else None)
                numbers += val.status == "number"
                metric = label.text if label is not None else col.name
                m.cells.append(MappedCell(g.id, r, col, tok, val, label, metric))
            m.hi = max(m.hi, end)
            cur = max(cur, end)
        if at:
            cur = max(cur, max(at.values()) + 1)
    m.score += numbers
    if rows_found == 0 or numbers == 0 or (m.score - numbers < 1 and rows_found < 2):
        return None
    m.lo = min(m.lo, m.hi)
    return m


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
