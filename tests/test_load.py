"""Loaders: every format gives the same Document; text encodings; clear LoadErrors."""
from __future__ import annotations

import codecs
import io

import pytest

from inference.data import Document
from inference.load import LoadError, from_text, load_bytes, load_path


def assert_cells_point_into_text(doc: Document) -> None:
    for t in doc.tables:
        assert doc.text[t.start:t.end].startswith(doc.text[t.start:t.end].lstrip())
        for c in t.cells:
            if c.text:
                assert doc.text[c.start:c.end] == c.text
                assert t.start <= c.start < c.end <= t.end
            else:
                assert c.start is None and c.end is None


# ---- text ------------------------------------------------------------------------------

@pytest.mark.parametrize("encode, name, encoding", [
    (lambda s: s.encode("utf-8"), "a.txt", "utf-8"),
    (lambda s: codecs.BOM_UTF8 + s.encode("utf-8"), "a.txt", "utf-8-sig"),
    (lambda s: s.encode("gbk"), "a.txt", "gb18030"),
    (lambda s: s.encode("gb18030"), "a.txt", "gb18030"),
    (lambda s: s.encode("utf-16"), "a.txt", "utf-16"),  # with BOM
    (lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"), "a.txt", "utf-16"),
    (lambda s: s.encode("utf-8"), "no_extension", "utf-8"),
])
def test_text_encodings(seed_texts, encode, name, encoding):
    text = seed_texts["seed-004"]  # 衡水: GBK-encodable
    doc = load_bytes(encode(text), name)
    assert doc.text == text
    assert doc.encoding == encoding
    assert doc.format == "txt"
    assert len(doc.sha256) == 64


def test_gbk_copy_of_seed_on_disk(tmp_path, seed_texts):
    p = tmp_path / "seed-000-gbk.txt"
    p.write_bytes(seed_texts["seed-000"].encode("gbk"))
    doc = load_path(p)
    assert doc.text == seed_texts["seed-000"]
    assert doc.encoding == "gb18030"
    assert doc.source == str(p)
    assert "漳州市" in doc.text


def test_newlines_are_normalised_and_sha_is_of_the_bytes():
    import hashlib

    data = "一、总体情况\r\n全年主动公开政府信息10143条。\r\n".encode("utf-8")
    doc = load_bytes(data, "r.txt")
    assert doc.text == "一、总体情况\n全年主动公开政府信息10143条。\n"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


def test_from_text_keeps_the_text():
    doc = from_text("  一、概述\r\n", source="s")
    assert doc.text == "  一、概述\r\n" and doc.source == "s" and doc.format == "txt"


@pytest.mark.parametrize("data, name, message", [
    (b"", "e.txt", "empty"),
    (b"  \n\n ", "e.txt", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" * 20, "x.txt", "binary"),
    (b"\x00\x01\x02\x03" * 100, "blob", "binary"),
    (b"hello", "a.xyz", "unknown file type"),
    (b"\xd0\xcf\x11\xe0 old word", "a.doc", "no OLE2 header"),
    (b"\xd0\xcf\x11\xe0 slides", "a.ppt", "unsupported"),
    (b"%PDF-1.4 garbage", "a.pdf", "PDF"),
    (b"PK\x03\x04 not a zip", "a.docx", "docx"),
])
def test_bad_input_raises_load_error(data, name, message):
    with pytest.raises(LoadError, match=message):
        load_bytes(data, name)


def test_load_error_is_a_value_error():
    assert issubclass(LoadError, ValueError)


def test_oversize_and_unreadable(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes("政府信息公开".encode("utf-8") * 100000)
    with pytest.raises(LoadError, match="too large"):
        load_path(p, limit_mb=1)
    with pytest.raises(LoadError, match="too large"):
        load_bytes(p.read_bytes(), "big.txt", limit_mb=1)
    assert load_path(p, limit_mb=5).text.startswith("政府信息公开")
    with pytest.raises(LoadError, match="cannot read"):
        load_path(tmp_path / "missing.txt")
    with pytest.raises(LoadError, match="directory"):
        load_path(tmp_path)


# ---- HTML ------------------------------------------------------------------------------

HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>页面标题</title><style>.x{color:red}</style><script>var a = "脚本";</script></head>
<body><header>网站头部</header><nav>首页 &gt; 政务公开</nav>
<div class="content"><h1>黄石市2018年政府信息公开工作年度报告</h1>
<p>一、总体情况</p><p>全年主动公开政府信息<b>10143</b>条。<br>第二行</p>
<table><tr><th rowspan="2">指标</th><th colspan="2">数量</th></tr>
<tr><td>本年</td><td>累计</td></tr>
<tr><td>主动公开</td><td>10143</td><td>336207</td></tr>
<tr><td></td><td colspan="2">合并 单元格</td></tr></table>
<p>二、主动公开政府信息情况</p></div><footer>版权所有</footer></body></html>"""


def test_html_blocks_tables_and_charset():
    doc = load_bytes(HTML.encode("gbk"), "r.html")
    assert doc.format == "html" and doc.encoding == "gb18030"
    lines = doc.text.splitlines()
    assert lines[:4] == ["黄石市2018年政府信息公开工作年度报告", "一、总体情况",
                         "全年主动公开政府信息10143条。", "第二行"]
    for dropped in ("脚本", "网站头部", "首页", "版权所有", "color", "页面标题"):
        assert dropped not in doc.text
    assert lines[-1] == "二、主动公开政府信息情况"
    assert "主动公开 | 10143 | 336207 |" in lines
    (t,) = doc.tables
    assert t.origin == "html"
    assert t.grid() == [["指标", "数量", "数量"], ["指标", "本年", "累计"],
                        ["主动公开", "10143", "336207"], ["", "合并 单元格", "合并 单元格"]]
    by_text = {c.text: c for c in t.cells}
    assert (by_text["指标"].row, by_text["指标"].col, by_text["指标"].rowspan) == (0, 0, 2)
    assert (by_text["数量"].colspan, by_text["本年"].col, by_text["累计"].col) == (2, 1, 2)
    assert by_text["合并 单元格"].colspan == 2
    assert doc.text[t.start:t.end].splitlines()[0] == "指标 | 数量 |"
    assert_cells_point_into_text(doc)


def test_html_utf8_without_declaration():
    doc = load_bytes("<html><body><p>第一段</p><div>第二段</div></body></html>".encode(), "a.htm")
    assert doc.text == "第一段\n第二段\n" and doc.encoding == "utf-8"


# ---- PDF -------------------------------------------------------------------------------

def _pdf(encrypt: bool = False) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=12, leading=16,
                           firstLineIndent=24, wordWrap="CJK")
    head = ParagraphStyle("h", fontName="STSong-Light", fontSize=12, leading=16)
    rows = [["指标", "本年", "累计"]] + [[f"项目{i}", str(i), str(10 * i)] for i in range(1, 61)]
    table = Table(rows, repeatRows=0)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))

    def page_number(canvas, doc):
        canvas.setFont("STSong-Light", 10)
        canvas.drawCentredString(300, 30, f"- {doc.page} -")

    buf = io.BytesIO()
    kw = {}
    if encrypt:
        from reportlab.lib.pdfencrypt import StandardEncryption

        kw["encrypt"] = StandardEncryption("secret", canPrint=0)
    doc = SimpleDocTemplate(buf, **kw)
    doc.build([Paragraph("一、总体情况", head),
               Paragraph("全年主动公开政府信息10143条，办结政府信息公开申请103件。" * 4, style),
               Paragraph("二、主动公开政府信息情况", head), PageBreak(),
               Paragraph("附表", head), table],
              onFirstPage=page_number, onLaterPages=page_number)
    return buf.getvalue()


def test_pdf_text_tables_and_page_numbers():
    doc = load_bytes(_pdf(), "r.pdf")
    assert doc.format == "pdf"
    lines = doc.text.splitlines()
    assert lines[0] == "一、总体情况"
    # the wrapped paragraph comes back as one line
    assert lines[1] == "全年主动公开政府信息10143条，办结政府信息公开申请103件。" * 4
    assert lines[2] == "二、主动公开政府信息情况"
    assert "附表" in lines
    assert not any(line.strip().startswith("- ") for line in lines), "page numbers dropped"
    (t,) = doc.tables  # the table runs over two pages and stays one table
    assert t.origin == "pdf"
    grid = t.grid()
    assert grid[0] == ["指标", "本年", "累计"]
    assert grid[-1] == ["项目60", "60", "600"] and len(grid) == 61
    pages = {c.page for c in t.cells}
    assert len(pages) >= 2
    assert all(c.bbox is not None and len(c.bbox) == 4 for c in t.cells)
    assert_cells_point_into_text(doc)


def test_encrypted_pdf():
    with pytest.raises(LoadError, match="encrypted"):
        load_bytes(_pdf(encrypt=True), "secret.pdf")


# ---- DOCX ------------------------------------------------------------------------------

def _docx() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("一、总体情况")
    d.add_paragraph("全年主动公开政府信息10143条。")
    t = d.add_table(rows=3, cols=3)
    t.cell(0, 0).merge(t.cell(1, 0)).text = "指标"
    t.cell(0, 1).merge(t.cell(0, 2)).text = "数量"
    t.cell(1, 1).text, t.cell(1, 2).text = "本年", "累计"
    t.cell(2, 0).text, t.cell(2, 1).text, t.cell(2, 2).text = "主动公开", "10143", "336207"
    d.add_paragraph("二、主动公开政府信息情况")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_body_order_and_merged_cells():
    doc = load_bytes(_docx(), "r.docx")
    assert doc.format == "docx"
    lines = doc.text.splitlines()
    assert lines[0] == "一、总体情况" and lines[1] == "全年主动公开政府信息10143条。"
    assert lines[-1] == "二、主动公开政府信息情况"
    (t,) = doc.tables
    assert t.origin == "docx"
    assert t.grid() == [["指标", "数量", "数量"], ["指标", "本年", "累计"],
                        ["主动公开", "10143", "336207"]]
    first = next(c for c in t.cells if c.text == "指标")
    assert (first.rowspan, first.colspan) == (2, 1)
    assert next(c for c in t.cells if c.text == "数量").colspan == 2
    assert doc.text.index("指标") > doc.text.index("10143条")  # body order
    assert_cells_point_into_text(doc)


def test_load_path_picks_loader_by_extension(tmp_path):
    p = tmp_path / "r.docx"
    p.write_bytes(_docx())
    assert load_path(p).format == "docx"
    q = tmp_path / "noext"
    q.write_bytes(_docx())
    assert load_path(q).format == "docx"  # sniffed from the content


# ---- hostile inputs (issue 19) -----------------------------------------------------------

from .bounds import run_bounded  # noqa: E402


def _span_html(n_cells: int, rowspan: int, colspan: int) -> bytes:
    cells = "".join(f'<td rowspan="{rowspan}" colspan="{colspan}">{i}</td>' for i in range(n_cells))
    return (f"<html><body><p>一、总体情况</p><table><tr><td>主动公开政府信息</td>{cells}</tr>"
            "<tr><td>本年</td><td>10143</td></tr></table></body></html>").encode()


def _span_docx(grid_span: str, cells: int = 20) -> bytes:
    import docx
    from docx.oxml.ns import qn
    from docx.oxml import OxmlElement

    d = docx.Document()
    d.add_paragraph("一、总体情况")
    t = d.add_table(rows=2, cols=cells)
    for k, c in enumerate(t.rows[0].cells):
        c.text = f"指标{k}"
        gs = OxmlElement("w:gridSpan")
        gs.set(qn("w:val"), grid_span)
        c._tc.get_or_add_tcPr().append(gs)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _load_summary(data: bytes, name: str) -> tuple:
    doc = load_bytes(data, name)
    return (len(doc.text), [(t.n_rows, t.n_cols) for t in doc.tables],
            [w.code for w in doc.warnings])


@pytest.mark.parametrize("data, name", [
    (_span_html(20, 1000, 1000), "spans.html"),       # 800 bytes: was 40 s and 2.5 GB
    (_span_html(2000, 1, 1000), "wide.html"),
    (_span_html(20, 65534, 1), "tall.html"),
    (_span_docx("1000000"), "span.docx"),             # was 7 GB
])
def test_table_spans_are_capped(data, name):
    from inference.loaders.base import MAX_TABLE_CELLS

    out, grown_mb, secs = run_bounded(_load_summary, data, name, seconds=30)
    assert out[0] == "ok", out
    assert grown_mb < 300 and secs < 10, (grown_mb, secs)
    doc = load_bytes(data, name)  # now known to be quick
    assert all(t.n_rows * t.n_cols <= MAX_TABLE_CELLS for t in doc.tables)
    assert "主动公开政府信息" in doc.text or "指标0" in doc.text
    assert_cells_point_into_text(doc)


def test_spans_within_the_cap_are_kept_and_only_clipped():
    doc = load_bytes(b"<table><tr><td rowspan=5>\xe6\x8c\x87\xe6\xa0\x87</td><td>1</td></tr>"
                     b"<tr><td>2</td></tr></table>", "r.html")
    (t,) = doc.tables
    assert t.n_rows == 2  # rowspan 5 clipped to the 2 rows of the table (the HTML rule)
    assert t.grid() == [["指标", "1"], ["指标", "2"]]
    assert not doc.warnings


def _warnings_and_spans(data: bytes, name: str) -> tuple:
    doc = load_bytes(data, name)
    return ([w.code for w in doc.warnings],
            {(c.rowspan, c.colspan) for t in doc.tables for c in t.cells})


def test_spans_over_the_cap_are_dropped_with_a_warning():
    out, grown_mb, secs = run_bounded(_warnings_and_spans,  # 2 rows x 200,000 columns
                                      _span_html(200, 1000, 1000), "r.html", seconds=30)
    assert out == ("ok", repr((["table_spans_dropped"], {(1, 1)})))


def test_table_grid_refuses_a_huge_hand_made_table():
    from inference.data import Cell, Table
    from inference.errors import InputTooLarge

    t = Table("t1", 0, 1, [Cell(0, 0, "x", rowspan=100_000, colspan=100_000)])
    with pytest.raises(InputTooLarge, match="grid cells"):
        t.grid()


@pytest.mark.parametrize("value", ["2.5", "two", "", "1e9"])
def test_docx_grid_span_that_is_not_an_integer_is_a_load_error(value):
    with pytest.raises(LoadError, match="gridSpan"):
        load_bytes(_span_docx(value, cells=3), "r.docx")


@pytest.mark.parametrize("depth", [300, 1500, 5000])
def test_deep_html_is_not_silently_truncated(depth):
    html = ("<html><body>" + "<div>" * depth + "<p>全年主动公开政府信息10143条。</p>"
            + "</div>" * depth + "<p>二、主动公开政府信息情况</p></body></html>")
    doc = load_bytes(html.encode(), "deep.html")
    assert "全年主动公开政府信息10143条。" in doc.text
    assert "二、主动公开政府信息情况" in doc.text
    if depth > 2048:  # beyond what the parser holds: read as plain text, and said so
        assert [w.code for w in doc.warnings] == ["html_too_deep"]


GB_REPORT = "一、总体情况\n全年主动公开政府信息10143条。\n二、主动公开政府信息情况\n".encode("gb18030")


@pytest.mark.parametrize("bad, line", [(b"\xff", 2), (b"\x81\x20", 3)])
def test_gb18030_with_a_bad_byte_is_read_with_a_located_warning(bad, line):
    cut = GB_REPORT.index("。".encode("gb18030")) + 2
    if line == 3:
        cut = GB_REPORT.index("二".encode("gb18030"))
    doc = load_bytes(GB_REPORT[:cut] + bad + GB_REPORT[cut:], "r.txt")
    assert doc.encoding == "gb18030" and "全年主动公开政府信息10143条" in doc.text
    (w,) = doc.warnings
    assert w.code == "decode_replaced" and f"line {line}," in w.message
    assert doc.text[w.start:w.end] == "\ufffd"


def test_binary_is_still_rejected():
    with pytest.raises(LoadError, match="binary"):
        load_bytes(bytes(range(256)) * 50, "r.txt")


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_devices_and_fifos_are_refused_by_type(tmp_path, kind):
    import os

    if kind == "device":
        p = "/dev/zero"
    else:
        p = tmp_path / "pipe.txt"
        os.mkfifo(p)  # opening it for reading would block forever
    out, grown_mb, secs = run_bounded(_load_error, str(p), seconds=10, mb=300)
    assert out[0] == "ok" and "not a regular file" in out[1], out  # was: hang / MemoryError


def _load_error(path: str) -> str:
    try:
        load_path(path, limit_mb=1)
    except LoadError as exc:
        return str(exc)
    return "loaded"
