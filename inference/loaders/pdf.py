"""PDF (pdfplumber): text per page without page numbers, wrapped lines re-joined inside a
paragraph, tables as ``cell | cell |`` rows with page and box, a table continued at the top
of the next page kept as one table. Pages without a text layer (scans) are read by OCR
(``loaders/ocr.py``, the ``govie[ocr]`` extra) as the ``ocr_mode`` says."""
from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Optional

from ..data import OcrLine
from .base import CellSpec, LoadError, MissingToolError, TextBuilder, squash

if TYPE_CHECKING:
    from ..rules import Rules

_SENTENCE_END = "。！？；：!?;:"


def _is_heading(line: str, rules: Rules) -> bool:
    from ..segment import match_marker

    return match_marker(line.strip(), rules.sections) is not None


def _open(data: bytes, name: str):
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pdf.pages  # noqa: B018  (forces the page tree to be read)
        return pdf
    except Exception as exc:
        chain, e = [], exc
        while e is not None:
            chain.append(f"{type(e).__name__} {e}")
            e = e.__cause__ or e.__context__
        msg = " ".join(chain)
        if re.search(r"password|encrypt", msg, re.I):
            raise LoadError(f"{name}: encrypted PDF (a password is needed to read it)") from exc
        raise LoadError(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from exc


def _cells(table, page_no: int) -> list[list[CellSpec]]:
    """Cells of a pdfplumber table with grid positions from the cell boxes (merged cells
    span several column/row boundaries)."""
    boxes = [c for row in table.rows for c in row.cells if c is not None]
    xs = sorted({round(b[0], 1) for b in boxes})
    ys = sorted({round(b[1], 1) for b in boxes})
    texts = table.extract()
    rows: list[list[CellSpec]] = []
    for r, row in enumerate(table.rows):
        out = []
        for k, box in enumerate(row.cells):
            if box is None:
                continue
            x0, top, x1, bottom = box
            col = xs.index(round(x0, 1))
            rr = ys.index(round(top, 1))
            colspan = max(1, sum(1 for x in xs if x0 - 0.5 <= x < x1 - 0.5))
            rowspan = max(1, sum(1 for y in ys if top - 0.5 <= y < bottom - 0.5))
            text = texts[r][k] if r < len(texts) and k < len(texts[r]) else ""
            out.append(CellSpec(squash(text or ""), rowspan, colspan, page=page_no,
                                bbox=tuple(round(v, 2) for v in box), row=rr, col=col))
        rows.append(out)
    return rows


def _ncols(rows: list[list[CellSpec]]) -> int:
    return max((c.col + c.colspan for row in rows for c in row), default=0)


def _page_items(page, page_no: int, page_res: list[re.Pattern]):
    tables = page.find_tables()
    rest = page
    for t in tables:
        rest = rest.outside_bbox(t.bbox)
    items = []
    lines = [ln for ln in rest.extract_text_lines() if ln["text"].strip()]
    for k, line in enumerate(lines):
        # page numbers are the first or last line of a page; a bare number elsewhere stays
        if k in (0, len(lines) - 1) and any(p.fullmatch(line["text"].strip()) for p in page_res):
            continue
        items.append((line["top"], "line", line))
    for t in tables:
        items.append((t.bbox[1], "table", _cells(t, page_no)))
    items.sort(key=lambda x: x[0])
    return items


OCR_MODES = ("auto", "always", "never")


def _ocr_page(out: TextBuilder, page, page_no: int) -> list[OcrLine]:
    """Write one page read by OCR (loaders/ocr.py) into ``out``; its lines' records."""
    from . import ocr

    lines: list[OcrLine] = []
    for _, kind, obj in ocr.page_layout(page):
        start = out.pos
        if kind == "line":
            out.add_line("".join(b.text for b in obj))
            lines.append(OcrLine(start, out.pos - 1, page_no, ocr.line_score([b.score for b in obj])))
            continue
        rows = [[CellSpec(c["text"], 1, c["colspan"], page=page_no, bbox=ocr.to_points(c["bbox"]),
                          row=c["row"], col=c["col"]) for c in row] for row in obj]
        if out.add_table(rows, "pdf") is None:
            continue
        for row, text_line in zip(obj, out.text()[start:out.pos].split("\n")):
            lines.append(OcrLine(start, start + len(text_line), page_no, ocr.line_score([c["score"] for c in row])))
            start += len(text_line) + 1
    return lines


def _needs_ocr(page, mode: str) -> bool:
    """"always"; or "auto" and a page with an image and no text layer, when the OCR extra
    is installed (without it such pages are skipped; a PDF of scans only is an error that
    names the extra)."""
    from . import ocr

    if mode == "always":
        return True
    return mode == "auto" and not page.chars and bool(page.images) and ocr.available()


def load_pdf(data: bytes, name: str, rules: Rules, ocr_mode: str = "auto"):
    """(text, encoding, tables, OCR lines, loader notes) of a PDF; ``rules``: its page
    numbers and heading markers. ``ocr_mode``: "auto" reads pages without a text layer by
    OCR, "always" every page, "never" none."""
    if ocr_mode not in OCR_MODES:
        raise ValueError(f"ocr mode must be one of {OCR_MODES}, not {ocr_mode!r}")
    pdf = _open(data, name)
    ocr_lines: list[OcrLine] = []
    scanned = 0
    page_res = list(rules.chrome.page_numbers)
    out = TextBuilder()
    para: list[str] = []
    last_table = None  # the table written last, if nothing came after it
    prev_line: Optional[dict] = None
    try:
        for page_no, page in enumerate(pdf.pages, start=1):
            if not page.chars:
                scanned += 1
            if _needs_ocr(page, ocr_mode):
                if para:
                    out.add_line("".join(para))
                    para = []
                ocr_lines += _ocr_page(out, page, page_no)
                last_table, prev_line = None, None
                continue
            items = _page_items(page, page_no, page_res)
            lines = [it[2] for it in items if it[1] == "line"]
            right = max((ln["x1"] for ln in lines), default=0)
            left = min((ln["x0"] for ln in lines), default=0)
            for i, (_, kind, obj) in enumerate(items):
                if kind == "table":
                    if para:
                        out.add_line("".join(para))
                        para = []
                    if (last_table is not None and i == 0
                            and _ncols(obj) == last_table.n_cols):
                        out.extend_table(last_table, obj)
                    else:
                        last_table = out.add_table(obj, "pdf")
                    prev_line = None
                    continue
                last_table = None
                text = obj["text"].strip()
                size = max(obj["bottom"] - obj["top"], 6)
                joins = (prev_line is not None and para
                         and prev_line["_wrapped"]
                         and obj["x0"] <= left + size * 0.8
                         and not _is_heading(text, rules))
                if not joins and para:
                    out.add_line("".join(para))
                    para = []
                if para and para[-1][-1:].isascii() and para[-1][-1:].isalnum() \
                        and text[:1].isascii() and text[:1].isalnum():
                    text = " " + text
                para.append(text)
                obj["_wrapped"] = (obj["x1"] >= right - size * 1.5
                                   and text[-1] not in _SENTENCE_END)
                prev_line = obj
        if para:
            out.add_line("".join(para))
    finally:
        pdf.close()
    text = out.text()
    if not text.strip():
        if scanned and ocr_mode == "never":
            raise LoadError(f"{name}: no text layer in the PDF (a scan): run with --ocr auto")
        if scanned:
            from .ocr import available

            if not available():
                raise MissingToolError(f"{name}: no text layer in the PDF (a scan): OCR needs "
                                       "pip install 'govie[ocr]'")
        raise LoadError(f"{name}: no extractable text in the PDF")
    return text, None, out.tables, ocr_lines, out.notes
