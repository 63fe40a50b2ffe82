"""Stage tables: grid reconstruction, template mapping, arithmetic checks, table facts.

``parse_tables(doc)`` reads every table of the document: tables the loader built (HTML, PDF,
DOCX: ``doc.tables``), the ranges segment marked as table blocks, or, when segment found
none, the flattened tables it finds in the text itself. Each table is mapped onto the
templates of configs/templates/ (the best-scoring one wins; ties go to the format the rest
of the report uses); one flattened block holding several tables (the four 第二十条 tables,
say) is split into one Table per template. Figures become ``Fact``s with their cell as
evidence, the template checks become ``Check``s, and anything doubtful a ``ReportWarning``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Optional

from .. import deadline
from ..data import Document, ReportWarning, Table
from .checks import run_checks
from .facts import build_facts
from .grid import Token, assign_grid, find_regions, stream_from_table, table_from_tokens, tokenize
from .indicators import match_indicators
from .recover import recover
from .taxonomy import Taxonomy
from .templates import Match, TemplateSet, match_rows
from .values import CellRules, parse_value

if TYPE_CHECKING:
    from ..rules import Rules

__all__ = ["parse_tables", "grid_from_text", "match_tokens"]


@dataclass
class _Unit:
    tokens: list[Token]
    start: int
    end: int
    table: Optional[Table] = None  # a loader-built table


def match_tokens(toks: list[Token], templates: TemplateSet, tax: Taxonomy) -> list[Match]:
    """Every template of ``templates`` that fits the stream, best first."""
    out: list[Match] = []
    for tpl in templates.templates:
        m = match_indicators(tpl, toks, tax) if tpl.kind == "indicators" else match_rows(tpl, toks)
        if m is not None:
            recover(m)
            out.append(m)
    return sorted(out, key=lambda m: -m.score)


def grid_from_text(text: str, start: int, end: int, rules: Rules, table_id: str = "t0") -> Table:
    """The grid of the flattened table in ``text[start:end]``: rows from the layout, and
    for one-cell-per-line text from the best template's row labels (of ``rules``);
    ``Table.template`` set when one fits."""
    ts = rules.templates
    toks = tokenize(text, start, end, ts.cells, ts.vocabulary)
    ms = _select(match_tokens(toks, ts, rules.taxonomy), None)[:1]
    gridded = assign_grid(toks, ts.cells, _breaks(toks, ms[0] if ms else None))
    table = table_from_tokens(gridded, table_id, start, end)
    table.template = ms[0].template.id if ms else None
    return table


def _select(cands: list[Match], prefer: Optional[str]) -> list[Match]:
    order = sorted(cands, key=lambda m: (-m.score, m.template.format != prefer, -int(m.template.format)))
    chosen: list[Match] = []
    for m in order:
        if all(m.hi <= c.lo or m.lo >= c.hi for c in chosen):
            chosen.append(m)
    return sorted(chosen, key=lambda m: m.lo)


def _units(doc: Document, ts: TemplateSet) -> list[_Unit]:
    prebuilt = {t.id: t for t in doc.tables}
    units: list[_Unit] = []
    used: set[str] = set()
    blocks = [b for b in doc.blocks if b.kind == "table"]
    for b in blocks:
        if b.table and b.table in prebuilt:
            t = prebuilt[b.table]
            used.add(t.id)
            units.append(_Unit(stream_from_table(t), t.start, t.end, t))
        else:
            units.append(_Unit(tokenize(doc.text, b.start, b.end, ts.cells, ts.vocabulary), b.start, b.end))
    for t in doc.tables:
        if t.id not in used:
            units.append(_Unit(stream_from_table(t), t.start, t.end, t))
    if not blocks:
        taken = [(t.start, t.end) for t in doc.tables] + list(doc.chrome)
        for s, e in find_regions(doc.text):
            if any(s < te and e > ts for ts, te in taken):
                continue
            units.append(_Unit(tokenize(doc.text, s, e, ts.cells, ts.vocabulary), s, e))
    return sorted(units, key=lambda u: u.start)


def _breaks(part: list[Token], m: Optional[Match]) -> frozenset[int]:
    """Row starts known from the mapping: each row label, the first figure of a label-less
    row, and the cell after each row's last figure."""
    if m is None:
        return frozenset()
    at = {id(t): i for i, t in enumerate(part)}
    out: set[int] = set()
    rows: dict[str, list[int]] = {}
    labelled: set[str] = set()
    for c in m.cells:
        idx = [at[id(x)] for x in (c.label, c.token) if x is not None and id(x) in at]
        rows.setdefault(c.row.id, []).extend(idx)
        if c.label is not None and id(c.label) in at:
            out.add(at[id(c.label)])
            labelled.add(c.row.id)
    for rid, idx in rows.items():
        if idx:
            out.add(max(idx) + 1)
            if rid not in labelled:
                out.add(min(idx))
    return frozenset(out)


def parse_tables(doc: Document, rules: Rules) -> Document:
    """Stage tables: every table (a loader's, or flattened in the text) matched to the
    templates of ``rules``; its figures become facts with
    cell evidence, its checks run."""
    ts = rules.templates
    units = _units(doc, ts)
    cands = []
    for u in units:
        deadline.check("tables")
        cands.append(match_tokens(u.tokens, ts, rules.taxonomy))
    prefer = _preferred_format(cands)
    out = _Found([], list(doc.facts), list(doc.checks), list(doc.warnings))
    ids = _TableIds({t.id for t in doc.tables})
    for unit, ms in zip(units, cands):
        deadline.check("tables")
        seen: set[str] = set()
        for t, m, remap in _pieces(unit, _select(ms, prefer), ids, ts.cells):
            if t.id not in seen:
                out.tables.append(t)
                seen.add(t.id)
            _take(out, t, m, remap, doc.source)
    return replace(doc, tables=out.tables, facts=out.facts, checks=out.checks, warnings=out.warnings)


@dataclass
class _Found:
    tables: list[Table]
    facts: list
    checks: list
    warnings: list


class _TableIds:
    """``table-N`` ids for flattened tables, past the ids the loader's tables already use."""

    def __init__(self, taken: set[str]):
        self.taken, self.n = taken, 0

    def next(self) -> str:
        while f"table-{self.n}" in self.taken:
            self.n += 1
        self.n += 1
        return f"table-{self.n - 1}"


def _preferred_format(cands: list) -> str:
    """The format most units clearly match (2021 when none does): ties between templates
    of two formats are settled in its favour."""
    votes: Counter = Counter()
    for ms in cands:
        if ms and (len(ms) == 1 or ms[0].score > ms[1].score or ms[0].template.format == ms[1].template.format):
            votes[ms[0].template.format] += 1
    return votes.most_common(1)[0][0] if votes else "2021"


def _pieces(unit: Any, chosen: list, ids: _TableIds, cells: CellRules
            ) -> list[tuple[Table, Optional[Match], dict[int, Token]]]:
    """(table, match, token remap) of a unit: a loader's table with each chosen match; a
    flattened run of tokens cut at the chosen matches, each part gridded into a table
    (pipes without figures are page chrome, not a table)."""
    if unit.table is not None:
        t = replace(unit.table, template="+".join(m.template.id for m in chosen) or None)
        return [(t, m, {}) for m in chosen or [None]]
    out = []
    bounds = [0] + [m.lo for m in chosen[1:]] + [len(unit.tokens)]
    for k, m in enumerate(chosen or [None]):
        part = unit.tokens[bounds[k]:bounds[k + 1]]
        filled = [t for t in part if not t.empty]
        if not filled or (m is None and not any(parse_value(t.text, cells).status == "number" for t in filled)):
            continue
        gridded = assign_grid(part, cells, _breaks(part, m))
        t = table_from_tokens(gridded, ids.next(), filled[0].start, filled[-1].end)
        t.template = m.template.id if m else None
        out.append((t, m, {id(a): b for a, b in zip(part, gridded)}))
    return out


def _take(out: _Found, t: Table, m: Optional[Match], remap: dict, source: str) -> None:
    """A matched table's facts, warnings and checks (its cells moved to their grid places)."""
    if m is None:
        out.warnings.append(ReportWarning("table_unmapped", f"{t.id}: no template fits this table", t.start, t.end))
        return
    for c in m.cells if remap else ():
        if c.run is not None:  # a recovered cell sits in the grid cell of its run
            at = remap.get(id(c.run), c.run)
            c.token = replace(c.token, row=at.row, col=at.col)
            continue
        c.token = remap.get(id(c.token), c.token) if c.token is not None else None
        c.label = remap.get(id(c.label), c.label) if c.label is not None else None
    out.facts += build_facts(m, t.id, source)
    for code, msg, tok in m.warnings:
        out.warnings.append(ReportWarning(code, f"{t.id}: {msg}", tok.start if tok else t.start,
                                          tok.end if tok else t.end))
    for c in m.cells:
        if c.token is not None and c.value.status == "invalid":
            out.warnings.append(ReportWarning("cell_invalid", f"{t.id}: cell {c.token.text!r} "
                                              f"({c.metric} / {c.col.name}) is not a number; no value taken",
                                              c.token.start, c.token.end))
    for ck in run_checks(m, t.id):
        out.checks.append(ck)
        if not ck.ok:
            out.warnings.append(ReportWarning("check_failed", f"{t.id}: {ck.name}: {ck.detail}", t.start, t.end))
