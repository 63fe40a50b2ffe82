"""Word .docx (python-docx): paragraphs and tables in body order; merged cells (gridSpan,
vMerge) resolved into row/col spans."""
from __future__ import annotations

import io

from .base import MAX_SPAN, CellSpec, LoadError, TextBuilder, squash

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _text(el) -> str:
    """Text of a paragraph or cell element: runs' w:t, tabs and breaks as spaces."""
    parts = []
    for node in el.iter():
        if node.tag == W + "t":
            parts.append(node.text or "")
        elif node.tag in (W + "tab", W + "br", W + "cr"):
            parts.append(" ")
        elif node.tag == W + "p" and parts:
            parts.append(" ")
    return "".join(parts)


def grid_span(value: object) -> int:
    """The integer of a ``w:gridSpan`` value, at most ``MAX_SPAN``; ``LoadError`` if it is
    not an integer (a damaged or hand-made file)."""
    try:
        return max(1, min(int(str(value).strip()), MAX_SPAN))
    except ValueError:
        raise LoadError(f"bad w:gridSpan value {str(value)[:40]!r} (not an integer)") from None


def _table_rows(tbl) -> list[list[CellSpec]]:
    """Rows of CellSpec with explicit grid positions; a vMerge="continue" cell extends the
    rowspan of the cell above it instead of making a cell."""
    rows: list[list[CellSpec]] = []
    owner: dict[int, CellSpec] = {}  # column -> the cell that covers it from above
    for r, tr in enumerate(tbl.iterchildren(W + "tr")):
        row: list[CellSpec] = []
        col = 0
        for tc in tr.iterchildren(W + "tc"):
            pr = tc.find(W + "tcPr")
            span, vmerge = 1, None
            if pr is not None:
                gs = pr.find(W + "gridSpan")
                if gs is not None:
                    span = grid_span(gs.get(W + "val", "1"))
                vm = pr.find(W + "vMerge")
                if vm is not None:
                    vmerge = vm.get(W + "val", "continue")
            if vmerge == "continue" and col in owner:
                owner[col].rowspan += 1
            else:
                spec = CellSpec(squash(_text(tc)), 1, span, row=r, col=col)
                row.append(spec)
                for k in range(col, col + span):
                    owner[k] = spec
            col += span
        rows.append(row)
    return rows


def load_docx(data: bytes, name: str):
    """(text, encoding, tables) of a .docx file."""
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise LoadError(f"{name}: not a readable .docx file ({type(exc).__name__}: {exc})") from exc
    out = TextBuilder()
    for el in document.element.body.iterchildren():
        if el.tag == W + "p":
            line = squash(_text(el))
            if line:
                out.add_line(line)
        elif el.tag == W + "tbl":
            try:
                out.add_table(_table_rows(el), "docx")
            except LoadError as exc:
                raise LoadError(f"{name}: {exc}") from None
    text = out.text()
    if not text.strip():
        raise LoadError(f"{name}: empty .docx document (no text)")
    return text, None, out.tables, out.notes
