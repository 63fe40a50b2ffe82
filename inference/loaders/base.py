"""What every loader shares: ``LoadError`` and ``TextBuilder``, which lays out lines and
tables as one text and keeps the offsets of every table cell inside it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ..data import Cell, Table
from ..errors import InputTooLarge, LoadError, MissingToolError  # noqa: F401  (re-exported)


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Whitespace runs (newlines included) to one space, stripped: the text of a cell."""
    return _WS.sub(" ", text).strip()


@dataclass
class CellSpec:
    """A cell as a loader finds it, before grid positions are resolved."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    page: Optional[int] = None
    bbox: Optional[tuple[float, float, float, float]] = None
    row: Optional[int] = None  # a known grid position (PDF); None: resolve HTML-style
    col: Optional[int] = None


MAX_SPAN = 1000
"""Largest rowspan/colspan/gridSpan kept (HTML's own cap for colspan); larger ones are
clipped."""
MAX_TABLE_CELLS = 100_000
"""Largest grid of one table (rows x columns after spans are expanded). Real report
tables have a few hundred; a table whose spans would make more is laid out with every
span 1 (and a warning), so a tiny file cannot take gigabytes."""


def resolve_grid(rows: list[list[CellSpec]], notes: Optional[list[tuple[str, str]]] = None
                 ) -> list[list[tuple[int, int, CellSpec]]]:
    """Grid positions of the cells of each row (the HTML table model): a cell takes the
    first column not covered by a rowspan/colspan from an earlier cell. Spans are clipped
    (a rowspan to the rows left, any span to ``MAX_SPAN``); if the grid would still exceed
    ``MAX_TABLE_CELLS`` the spans are dropped and a warning goes to ``notes``."""
    for r, row in enumerate(rows):
        for spec in row:
            spec.rowspan = max(1, min(int(spec.rowspan), MAX_SPAN, len(rows) - r))
            spec.colspan = max(1, min(int(spec.colspan), MAX_SPAN))
    placed = _place(rows, MAX_TABLE_CELLS)
    if placed is None:
        if notes is not None:
            notes.append(("table_spans_dropped", f"a table's row/column spans would make more "
                          f"than {MAX_TABLE_CELLS} grid cells; its spans were dropped"))
        for row in rows:
            for spec in row:
                spec.rowspan = spec.colspan = 1
                spec.row = spec.col = None
        placed = _place(rows, None)
    return placed


def _place(rows: list[list[CellSpec]], cap: Optional[int]
           ) -> Optional[list[list[tuple[int, int, CellSpec]]]]:
    """The placement of ``resolve_grid``; None as soon as the rows x columns of the grid
    would exceed ``cap``."""
    taken: set[tuple[int, int]] = set()
    out: list[list[tuple[int, int, CellSpec]]] = []
    n_rows = n_cols = 0
    for r, row in enumerate(rows):
        placed: list[tuple[int, int, CellSpec]] = []
        c = 0
        for spec in row:
            if spec.row is not None and spec.col is not None:
                rr, cc = spec.row, spec.col
            else:
                while (r, c) in taken:
                    c += 1
                rr, cc = r, c
            n_rows = max(n_rows, rr + spec.rowspan)
            n_cols = max(n_cols, cc + spec.colspan)
            if cap is not None and n_rows * n_cols > cap:
                return None
            for i in range(rr, rr + spec.rowspan):
                for k in range(cc, cc + spec.colspan):
                    taken.add((i, k))
            placed.append((rr, cc, spec))
            c = cc + spec.colspan
        out.append(sorted(placed, key=lambda x: x[1]))
    return out


class TextBuilder:
    """Accumulates the document text line by line; tables are written one row per line,
    ``cell | cell | ... |``, and come out as ``Table`` objects whose cells point into the
    text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.tables: list[Table] = []
        self.notes: list[tuple[str, str]] = []  # (code, message) warnings for the Document

    def add_line(self, line: str) -> None:
        line = line.rstrip("\n")
        self.parts.append(line + "\n")
        self.pos += len(line) + 1

    def add_table(self, rows: list[list[CellSpec]], origin: str,
                  caption: Optional[str] = None) -> Optional[Table]:
        rows = [r for r in rows if r]
        if not rows:
            return None
        start = self.pos
        cells: list[Cell] = []
        for placed in resolve_grid(rows, self.notes):
            line_start = self.pos
            pieces: list[str] = []
            offset = 0
            for r, c, spec in placed:
                text = squash(spec.text)
                s = line_start + offset if text else None
                cells.append(Cell(row=r, col=c, text=text, start=s,
                                  end=(s + len(text)) if text else None,
                                  rowspan=max(1, spec.rowspan), colspan=max(1, spec.colspan),
                                  page=spec.page, bbox=spec.bbox))
                pieces.append(text)
                offset += len(text) + 3  # " | "
            self.add_line(" | ".join(pieces) + " |")
        table = Table(id=f"t{len(self.tables) + 1}", start=start, end=self.pos - 1,
                      cells=cells, origin=origin, caption=caption)
        if table.n_rows * table.n_cols > MAX_TABLE_CELLS:  # ragged even without spans
            self.notes.append(("table_too_large", f"a table of {table.n_rows} rows x "
                               f"{table.n_cols} columns (> {MAX_TABLE_CELLS} cells) is kept "
                               "as text lines only"))
            return None
        self.tables.append(table)
        return table

    def extend_table(self, table: Table, rows: list[list[CellSpec]]) -> None:
        """Append rows to the table just written (a table continued on the next page)."""
        assert self.tables and self.tables[-1] is table and table.end == self.pos - 1
        first = table.n_rows
        shifted = [[CellSpec(s.text, s.rowspan, s.colspan, s.page, s.bbox,
                             None if s.row is None else s.row, s.col) for s in row]
                   for row in rows if row]
        tmp = TextBuilder()
        tmp.pos = self.pos
        tmp.add_table(shifted, table.origin)
        self.notes += tmp.notes
        if not tmp.tables:
            return
        for cell in tmp.tables[0].cells:
            table.cells.append(Cell(row=cell.row + first, col=cell.col, text=cell.text,
                                    start=cell.start, end=cell.end, rowspan=cell.rowspan,
                                    colspan=cell.colspan, page=cell.page, bbox=cell.bbox))
        self.parts.extend(tmp.parts)
        self.pos = tmp.pos
        table.end = self.pos - 1

    def text(self) -> str:
        return "".join(self.parts)
