"""Grid reconstruction from flattened text, and the cell stream that template mapping reads.

Scraped reports flatten tables in several ways, all handled here:

- one row per line: ``规章 | 0 | 0 | 0 |`` (also ``指 标 名 称 | 单位 | 2018年 | 历年累计 |``);
- one cell per line ending in `` |``, with runs of empty cells as ``||`` / ``|||||`` lines
  (海沧 2023);
- one cell per line with a lone ``|`` line between cells (``规章\\n|\\n0\\n|\\n0``), where a
  header cell may be broken over lines (``商业\\n企业``).

``tokenize`` turns a text range into a stream of ``Token`` (cells and empties, in reading
order, with offsets into the text); ``stream_from_table`` does the same for a Table built by
a loader (HTML/PDF/DOCX), so one matcher serves every input format. ``table_from_tokens``
gives the reconstructed grid (row, col per cell).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional

from ..data import Cell, Table
from .values import CellRules, looks_like_value, norm_label, norm_title

_WS = " \t\r\u3000\xa0"


@dataclass(frozen=True)
class Token:
    """One cell of the stream: ``text == doc.text[start:end]`` when it has offsets; an empty
    token (``empty=True``) is a blank cell (``start == end`` for text tables)."""

    text: str
    start: Optional[int]
    end: Optional[int]
    empty: bool = False
    line: int = 0  # line number inside the block (text tables)
    row: Optional[int] = None
    col: Optional[int] = None
    page: Optional[int] = None
    bbox: Optional[tuple[float, float, float, float]] = None


def _strip(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in _WS:
        s += 1
    while e > s and text[e - 1] in _WS:
        e -= 1
    return s, e


_RUN = re.compile(r"^(.*[^\d\s])[ \t\u3000]*(\d+)$")


def _is_known(text: str, known: frozenset[str], cells: CellRules) -> bool:
    return norm_label(text, cells) in known or norm_title(text) in known


def label_with_digits(line: str, known: frozenset[str], cells: CellRules) -> bool:
    """A known row label with its figures run together on one line (``规章000``); ``known``
    normalised with ``cells``."""
    m = _RUN.match(line.strip())
    return bool(m) and _is_known(m.group(1), known, cells)


_NUMS = re.compile(r"^(.*[^\d\s,.+\-])?[ \t\u3000]*((?:[-+]?\d[\d,.]*[ \t\u3000]+)*[-+]?\d[\d,.]*)$")
_NUM = re.compile(r"[-+]?\d[\d,.]*")


_GAP = re.compile(r"[ \t\u3000]+")


def spaced_cells(line: str, known: frozenset[str], cells: CellRules) -> Optional[list[tuple[int, int]]]:
    """(start, end) of each cell of a row printed with spaces between its cells
    (``规章 0 0 0``, ``信息内容 本年制发件数 本年废止件数 现行有效件数``): every piece is a
    known template cell or a figure; None otherwise."""
    pieces, pos = [], 0
    for g in list(_GAP.finditer(line)) + [None]:
        end = g.start() if g else len(line)
        if end > pos:
            pieces.append((pos, end))
        pos = g.end() if g else pos
    if len(pieces) < 2 or not all(_NUM.fullmatch(line[a:b]) or _is_known(line[a:b], known, cells) for a, b in pieces):
        return None
    return pieces


def _split_runs(text: str, lines: list[tuple[int, int]], known: frozenset[str], rules: CellRules
                ) -> list[tuple[int, int]]:
    """A line holding a known row label and its figures (``行政规范性文件693665``,
    ``规章 0 0 0``) becomes the label and the figures; figures separated by spaces
    (``104 3 0 0 0 0 107``, as text extracted from a layout prints a row) are one cell each."""
    out: list[tuple[int, int]] = []
    for s, e in lines:
        cells = spaced_cells(text[s:e], known, rules)
        if cells:
            out += [(s + a, s + b) for a, b in cells]
            continue
        m = _NUMS.match(text[s:e])
        if not m or (m.group(1) is not None and not _is_known(m.group(1), known, rules)):
            out.append((s, e))
            continue
        if m.group(1) is not None:
            out.append((s, s + m.end(1)))
        out += [(s + m.start(2) + x.start(), s + m.start(2) + x.end()) for x in _NUM.finditer(m.group(2))]
    return out


def tokenize(text: str, start: int, end: int, cells: CellRules,
             known: frozenset[str] = frozenset()) -> list[Token]:
    """The cell stream of ``text[start:end]`` (values read with ``cells``): split at ``|``;
    inside a piece, lines that read as values are cells of their own, consecutive label lines join into one cell. With
    ``known`` (the normalised labels, headers and titles of the templates) label lines join
    only until they make a known cell (``本年新`` + ``制作数量``), a known line is a cell of
    its own, a blank line ends a cell (one cell per line, blank-line separated), and a known
    label followed by digits on one line is two cells."""
    toks: list[Token] = []
    cuts = [start - 1] + [i for i in range(start, end) if text[i] == "|"] + [end]
    for k in range(len(cuts) - 1):
        ps, pe = cuts[k] + 1, cuts[k + 1]
        is_last = k == len(cuts) - 2
        lines: list[tuple[int, int]] = []
        pos = ps
        while pos <= pe:
            nl = text.find("\n", pos, pe)
            le = pe if nl < 0 else nl
            s, e = _strip(text, pos, le)
            if s < e:
                lines.append((s, e))
            if nl < 0:
                break
            pos = nl + 1
        if not lines:
            # an empty piece between two pipes is a blank cell; the piece before the first
            # pipe and after the last one are not cells
            if 0 < k and not is_last:
                toks.append(Token("", ps, ps, empty=True, line=text.count("\n", start, ps)))
            continue
        if known:
            lines = _split_runs(text, lines, known, cells)
        group: list[tuple[int, int]] = []
        for s, e in lines + [(-1, -1)]:
            value_line = s >= 0 and looks_like_value(text[s:e], cells)
            close = s < 0 or value_line or looks_like_value(text[group[0][0]:group[0][1]], cells) if group else False
            if group and not close and known:
                close = (text.count("\n", group[-1][1], s) >= 2 or _is_known(text[s:e], known, cells)
                         or _is_known(text[group[0][0]:group[-1][1]], known, cells))
            if group and close:
                gs, ge = group[0][0], group[-1][1]
                toks.append(Token(text[gs:ge], gs, ge, line=text.count("\n", start, gs)))
                group = []
            if s >= 0:
                group.append((s, e))
    return toks


def layout(tokens: list[Token]) -> str:
    """"rows" when most lines carry several cells (one row per line), else "cells"."""
    per_line: dict[int, int] = {}
    for t in tokens:
        if not t.empty:
            per_line[t.line] = per_line.get(t.line, 0) + 1
    if not per_line:
        return "cells"
    multi = sum(1 for n in per_line.values() if n >= 2)
    return "rows" if multi * 2 >= len(per_line) else "cells"


def assign_grid(tokens: list[Token], cells: CellRules, breaks: frozenset[int] = frozenset()) -> list[Token]:
    """Row and column of every token. One-row-per-line text: row = line, col = place in the
    line (blanks count). One-cell-per-line text: a label after a value starts a new row, and
    so does every position in ``breaks`` (row starts known from template mapping); blank runs
    are not placed (they are unreliable in that flattening)."""
    out: list[Token] = []
    if layout(tokens) == "rows":
        lines = sorted({t.line for t in tokens if not t.empty})
        row_of = {ln: i for i, ln in enumerate(lines)}
        col: dict[int, int] = {}
        for t in tokens:
            if t.line not in row_of:
                out.append(t)
                continue
            r = row_of[t.line]
            c = col.get(r, 0)
            col[r] = c + 1
            out.append(replace(t, row=r, col=c))
        return out
    r, c, prev_value = -1, 0, True
    for i, t in enumerate(tokens):
        if t.empty:
            out.append(t)
            continue
        is_value = looks_like_value(t.text, cells)
        if r < 0 or (not is_value and prev_value) or (i in breaks and c > 0):
            r, c = r + 1, 0
        out.append(replace(t, row=r, col=c))
        c += 1
        prev_value = is_value
    return out


def table_from_tokens(tokens: list[Token], table_id: str, start: int, end: int) -> Table:
    cells = [
        Cell(row=t.row, col=t.col, text=t.text, start=t.start, end=t.end)
        for t in tokens
        if not t.empty and t.row is not None
    ]
    return Table(id=table_id, start=start, end=end, cells=cells, origin="text")


def stream_from_table(table: Table) -> list[Token]:
    """Row-major cell stream of a loader-built table: each merged cell once, at its top-left;
    positions no cell covers are blanks."""
    covered: set[tuple[int, int]] = set()
    at: dict[tuple[int, int], Cell] = {}
    for c in table.cells:
        at[(c.row, c.col)] = c
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                covered.add((r, k))
    out: list[Token] = []
    for r in range(table.n_rows):
        for k in range(table.n_cols):
            c = at.get((r, k))
            if c is not None:
                empty = not c.text.strip()
                out.append(Token(c.text, c.start, c.end, empty=empty, line=r, row=c.row,
                                 col=c.col, page=c.page, bbox=c.bbox))
            elif (r, k) not in covered:
                out.append(Token("", None, None, empty=True, line=r, row=r, col=k))
    return out


# ---- finding flattened tables in text (when segment gave no table blocks) ------------
_SENTENCE = re.compile(r"[。；;！？]")


def find_regions(text: str, lo: int = 0, hi: Optional[int] = None) -> list[tuple[int, int]]:
    """Character ranges of flattened tables in ``text[lo:hi]``: runs of lines holding ``|``,
    plus short label/value lines standing between such lines (the lone-``|`` flattening)."""
    hi = len(text) if hi is None else hi
    spans: list[tuple[int, int, str]] = []
    pos = lo
    while pos < hi:
        nl = text.find("\n", pos, hi)
        le = hi if nl < 0 else nl
        spans.append((pos, le, text[pos:le]))
        pos = le + 1
    n = len(spans)
    piped = [("|" in s[2]) for s in spans]
    keep = list(piped)
    for i in range(n):
        line = spans[i][2].strip()
        if piped[i] or not line or len(line) > 60 or _SENTENCE.search(line):
            continue
        if (i + 1 < n and spans[i + 1][2].strip() == "|") or (i > 0 and spans[i - 1][2].strip() == "|"):
            keep[i] = True
    regions: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if not keep[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and keep[j + 1]:
            j += 1
        s, e = _strip(text, spans[i][0], spans[j][1])
        if s < e:
            regions.append((s, e))
        i = j + 1
    return regions
