"""Scanned PDFs (inference/loaders/ocr.py, the govie[ocr] extra): a report page made here
(reportlab), rendered to an image (pypdfium2, the renderer pdfplumber uses) and saved as an
image-only PDF (Pillow), is read back by OCR; its figures and table come out as written."""
from __future__ import annotations

import io

import pytest

from inference.load import LoadError, load_bytes
from inference.output import record, validate_record
from inference.pipeline import Pipeline
from tests import tables_builders as tb

PIPE = Pipeline(stages=("clean", "issuer", "segment", "tables"))
TITLE = "某某区2021年政府信息公开工作年度报告"
NARRATIVE = "2021年，全区主动公开政府信息1234条。"


def _text_pdf() -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    st = ParagraphStyle("zh", fontName="STSong-Light", fontSize=12, leading=18)
    rows = [r + [""] * (4 - len(r)) for r in tb.proactive_rows()]
    table = Table(rows)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 11),
                               ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0))]))
    story = [Paragraph(TITLE, st), Paragraph("一、总体情况", st), Paragraph(NARRATIVE, st),
             Paragraph("二、主动公开政府信息情况", st), table]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def _scan(pdf: bytes) -> bytes:
    """The page as a 200 dpi grey image in a PDF without a text layer."""
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(pdf)[0].render(scale=200 / 72).to_pil().convert("L")
    out = io.BytesIO()
    image.save(out, "PDF", resolution=200)
    return out.getvalue()


@pytest.fixture(scope="module")
def scanned():
    data = _scan(_text_pdf())
    return data, PIPE(load_bytes(data, "scan.pdf", ocr="auto"))


@pytest.mark.parametrize("key,value", [
    ("regulations.issued", 0), ("normative_docs.issued", 14), ("normative_docs.repealed", 3),
    ("normative_docs.in_force", 43), ("licensing.decisions", 5225), ("penalties.decisions", 9352),
    ("enforcement.decisions", 11), ("fees.amount", 7832),
])
def test_scanned_page_gives_its_figures(scanned, key, value):
    _, doc = scanned
    facts = {f.key: f.value for f in doc.facts}
    assert facts[key] == value


def test_scanned_table_is_a_table_with_boxes(scanned):
    _, doc = scanned
    assert [t.template for t in doc.tables] == ["2021-proactive"] and doc.tables[0].origin == "pdf"
    t = doc.tables[0]
    assert (t.n_rows, t.n_cols) == (14, 4)
    assert t.grid()[3] == ["行政规范性文件", "14", "3", "43"]
    assert all(c.page == 1 and c.bbox is not None for c in t.cells)
    assert len(doc.facts) == 10


def test_ocr_lines_are_marked_with_confidence(scanned):
    _, doc = scanned
    lines = {doc.text[o.start:o.end]: o for o in doc.ocr}
    assert TITLE in lines and lines[TITLE].page == 1 and 0.9 <= lines[TITLE].confidence <= 1
    assert "规章 | 0 | 0 | 0 |" in lines  # a table row is an OCR line too
    assert sum(o.end - o.start + 1 for o in doc.ocr) == len(doc.text)  # every line was OCR'd
    assert "1234" in doc.text
    rec = record(doc)
    validate_record(rec, doc.text)
    assert rec["ocr"][0]["confidence"] == lines[TITLE].confidence


def test_ocr_never_refuses_a_scan(scanned):
    data, _ = scanned
    with pytest.raises(LoadError, match="--ocr auto"):
        load_bytes(data, "scan.pdf", ocr="never")


def test_a_text_pdf_is_not_ocrd_in_auto():
    doc = load_bytes(_text_pdf(), "text.pdf", ocr="auto")
    assert doc.ocr == [] and TITLE in doc.text
