"""OCR of scanned PDF pages (pages without a text layer), the ``govie[ocr]`` extra.

Engine: rapidocr-onnxruntime (PP-OCRv4 Chinese detection and recognition ONNX models ship in
its wheel; no download at run time). A page is rendered by pdfplumber (pypdfium2) at
``DPI``, read into text boxes with a confidence each, and laid out again:

- boxes on one visual line (overlapping vertically) make one line, left to right;
- tables come from their ruling lines: long dark horizontal runs of the page image bound the
  rows, dark vertical strokes crossing a row bound its cells; each row becomes a table row
  whose cells are the text boxes inside them (an empty cell stays empty, a cell over several
  column boundaries of the table spans them), so the table is a ``Table`` like a PDF table
  with a text layer (origin "pdf", boxes in PDF points).

Every line written is recorded as an ``OcrLine`` (offsets in the text, page, the lowest
confidence of its boxes), so a record says which text was read by OCR and how sure it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

import numpy as np

from .base import MissingToolError

DPI = 200
DARK = 128  # grey level below which a pixel is ink
MIN_RULE_PX = 100  # a horizontal ruling line is at least this long (0.5 inch at 200 dpi)


@dataclass
class Box:
    text: str
    score: float
    x0: float
    top: float
    x1: float
    bottom: float

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


def available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise MissingToolError("scanned PDF pages need OCR: pip install 'govie[ocr]' "
                               "(rapidocr-onnxruntime; Debian: apt-get install libgl1 libglib2.0-0)") from exc
    return RapidOCR()


def read_boxes(gray: np.ndarray) -> list[Box]:
    """Text boxes of a page image (grey levels), in pixels."""
    result, _ = _engine()(np.stack([gray] * 3, axis=-1))
    out = []
    for quad, text, score in result or []:
        xs, ys = [p[0] for p in quad], [p[1] for p in quad]
        if text.strip():
            out.append(Box(text.strip(), float(score), min(xs), min(ys), max(xs), max(ys)))
    return out


def _runs(mask: np.ndarray, min_len: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True at least ``min_len`` long in a 1-d mask."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_len]


def _group(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


@dataclass
class Grid:
    """A ruled table on a page image: row bands (top, bottom) and per band the x of each
    vertical stroke that crosses it; ``cols`` is every column boundary of the table."""

    rows: list[tuple[float, float]]
    cuts: list[list[float]]
    cols: list[float]


def find_grids(dark: np.ndarray) -> list[Grid]:
    """Ruled tables of a page image (``dark``: True where there is ink)."""
    h, w = dark.shape
    ys = [y for y in range(h) if any(b - a >= max(MIN_RULE_PX, w // 8) for a, b in _runs(dark[y], MIN_RULE_PX))]
    lines = _group([float(y) for y in ys], 3)
    grids: list[Grid] = []
    run: list[float] = []
    for y in lines + [float("inf")]:
        if run and y - run[-1] > h / 6:  # a gap this tall ends a table
            if len(run) >= 2:
                grids.append(_grid(dark, run))
            run = []
        run.append(y)
    return [g for g in grids if g.cols]


def _grid(dark: np.ndarray, ys: list[float]) -> Grid:
    rows, cuts = [], []
    for top, bottom in zip(ys, ys[1:]):
        a, b = int(top) + 3, int(bottom) - 2
        if b - a < 4:
            continue
        band = dark[a:b]
        share = band.mean(axis=0)
        xs = _group([float(x) for x in np.flatnonzero(share > 0.85)], 4)
        rows.append((top, bottom))
        cuts.append(xs)
    cols = _group([x for c in cuts for x in c], 6)
    return Grid(rows, cuts, cols)


def _col_index(cols: list[float], x: float) -> int:
    return min(range(len(cols)), key=lambda i: abs(cols[i] - x))


def table_rows(grid: Grid, boxes: list[Box]) -> tuple[list[list[dict[str, Any]]], set[int]]:
    """Rows of cells ({text, score, row, col, colspan, bbox px}) of a ruled table and the
    indices of the boxes it used."""
    used: set[int] = set()
    rows: list[list[dict[str, Any]]] = []
    for r, ((top, bottom), xs) in enumerate(zip(grid.rows, grid.cuts)):
        row = []
        for left, right in zip(xs, xs[1:]):
            inside = [i for i, b in enumerate(boxes)
                      if i not in used and top <= b.cy <= bottom and left <= b.cx <= right]
            inside.sort(key=lambda i: (round(boxes[i].top / 10), boxes[i].x0))
            used.update(inside)
            c0, c1 = _col_index(grid.cols, left), _col_index(grid.cols, right)
            row.append({"text": "".join(boxes[i].text for i in inside),
                        "score": min((boxes[i].score for i in inside), default=None),
                        "row": r, "col": c0, "colspan": max(1, c1 - c0), "bbox": (left, top, right, bottom)})
        rows.append(row)
    return rows, used


def text_lines(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into visual lines (vertical overlap), top to bottom, left to right."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: b.top):
        for line in lines:
            ref = line[0]
            overlap = min(ref.bottom, b.bottom) - max(ref.top, b.top)
            if overlap > 0.5 * min(ref.bottom - ref.top, b.bottom - b.top):
                line.append(b)
                break
        else:
            lines.append([b])
    return [sorted(ln, key=lambda b: b.x0) for ln in lines]


def page_layout(page) -> list[tuple[float, str, Any]]:
    """(top in px, "line"|"table", boxes of a line | table rows) of one PDF page, read by
    OCR, in reading order. ``page`` is a pdfplumber page."""
    gray = np.asarray(page.to_image(resolution=DPI).original.convert("L"))
    boxes = read_boxes(gray)
    items: list[tuple[float, str, Any]] = []
    used: set[int] = set()
    for grid in find_grids(gray < DARK):
        rows, took = table_rows(grid, boxes)
        used |= took
        items.append((grid.rows[0][0], "table", rows))
    rest = [b for i, b in enumerate(boxes) if i not in used]
    items += [(ln[0].top, "line", ln) for ln in text_lines(rest)]
    return sorted(items, key=lambda x: x[0])


def to_points(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    k = 72.0 / DPI
    return tuple(round(v * k, 2) for v in bbox)  # type: ignore[return-value]


def line_score(scores: list[Optional[float]]) -> float:
    got = [s for s in scores if s is not None]
    return round(min(got), 4) if got else 0.0
