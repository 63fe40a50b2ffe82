"""Spreadsheets ``.xlsx`` (openpyxl) and ``.xls`` (xlrd): each sheet becomes a line with its
name and a table (``Table(origin="xlsx"|"xls")``), merged cells as row/col spans, numbers as
printed (``12.0`` -> ``12``), empty rows and columns at the edges dropped.

openpyxl and xlrd read the cells and the merged ranges directly; pandas.read_excel uses the
same two engines but gives a frame without merged ranges (a merged header repeats or goes
NaN) and guesses a header row, so the readers are used directly.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

from .base import CellSpec, LoadError, TextBuilder, squash


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:g}"
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()[:10]
    return squash(str(v))


def _rows(values: list[list[str]], merged: list[tuple[int, int, int, int]]) -> list[list[CellSpec]]:
    """CellSpec rows from a value grid and merged ranges (r0, c0, r1, c1 inclusive)."""
    covered: dict[tuple[int, int], tuple[int, int]] = {}
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in merged:
        spans[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered[(r, c)] = (r0, c0)
    keep_rows = [r for r, row in enumerate(values) if any(x for x in row)]
    if not keep_rows:
        return []
    lo, hi = keep_rows[0], keep_rows[-1]
    width = max((c + 1 for row in values for c, x in enumerate(row) if x), default=0)
    out: list[list[CellSpec]] = []
    for r in range(lo, hi + 1):
        row: list[CellSpec] = []
        for c in range(width):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            text = values[r][c] if c < len(values[r]) else ""
            row.append(CellSpec(text, rs, min(cs, width - c), row=r - lo, col=c))
        out.append(row)
    return out


def _xlsx(data: bytes):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)  # cached formula results
    for ws in wb.worksheets:
        values = [[_fmt(v) for v in row] for row in ws.iter_rows(values_only=True)]
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        yield ws.title, values, merged


def _xls(data: bytes):
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True)  # merged ranges need it
    for sh in book.sheets():
        values = [[_fmt(sh.cell_value(r, c)) for c in range(sh.ncols)] for r in range(sh.nrows)]
        merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
        yield sh.name, values, merged


def load_sheet(data: bytes, name: str, fmt: str):
    """(text, encoding, tables) of an .xlsx or .xls workbook."""
    try:
        sheets = list(_xlsx(data) if fmt == "xlsx" else _xls(data))
    except Exception as exc:
        raise LoadError(f"{name}: not a readable .{fmt} workbook ({type(exc).__name__}: {exc})") from exc
    out = TextBuilder()
    for title, values, merged in sheets:
        rows = _rows(values, merged)
        if not rows:
            continue
        out.add_line(title)
        # a title row (one merged cell across the sheet) is a line of text, not a table row
        while rows and len(rows[0]) == 1 and rows[0][0].colspan > 1 and len(rows) > 1:
            out.add_line(rows.pop(0)[0].text)
            for row in rows:
                for spec in row:
                    spec.row -= 1  # type: ignore[operator]
        out.add_table(rows, fmt, caption=title)
    text = out.text()
    if not text.strip():
        raise LoadError(f"{name}: empty .{fmt} workbook (no cell has text)")
    return text, None, out.tables, out.notes
