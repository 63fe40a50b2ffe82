"""Archive formats (inference/loaders/legacy_word.py, sheet.py, mht.py): a .doc, a .wps, an
.xlsx 附表, an .xls and an .mht page, each made here from known figures, give those figures.
The .doc is made by LibreOffice from a .docx the test writes (a Kingsoft .wps of a report
is the same Word 97 binary format, which is what the .wps case uses)."""
from __future__ import annotations

import io
from email.message import EmailMessage

import pytest

from inference.load import FORMATS, LoadError, detect_format, load_bytes
from inference.loaders import legacy_word
from inference.loaders.base import MissingToolError
from inference.pipeline import Pipeline
from tests import tables_builders as tb

PIPE = Pipeline(stages=("clean", "issuer", "segment", "tables"))
STATS = [["指标名称", "单位", "2018年", "历年累计"], ["一、主动公开情况", "", "", ""],
         ["(一)主动公开政府信息数", "条", 1520, 9873], ["其中:主动公开规范性文件数", "条", 12, 140],
         ["二、依申请公开情况", "", "", ""], ["(一)收到申请数", "件", 37, 410], ["1.当面申请数", "件", 10, 100],
         ["2.传真申请数", "件", 0, 5], ["3.网络申请数", "件", 20, 250], ["4.信函申请数", "件", 7, 55]]


def _facts(doc):
    return {(f.key, f.applicant, f.period): f.value for f in doc.facts}


def _offsets(doc):
    for t in doc.tables:
        assert all(doc.text[c.start:c.end] == c.text for c in t.cells if c.start is not None)


@pytest.fixture(scope="module")
def word97():
    return legacy_word.convert(tb.as_docx(), "report.docx", ".docx", "doc:MS Word 97")


@pytest.mark.parametrize("name", ["report.doc", "report.wps"])
def test_legacy_word_gives_its_figures(word97, name):
    doc = PIPE(load_bytes(word97, name))
    assert doc.format == name[-3:] and doc.tables
    f = _facts(doc)
    assert f[("normative_docs.in_force", None, "cumulative")] == 43 and f[("fees.amount", None, "annual")] == 7832
    assert f[("requests.new", "total", "annual")] == 107 and f[("requests.closed", "natural_person", "annual")] == 100
    assert [t.template for t in doc.tables][:2] == ["2021-proactive", "2021-requests"]
    assert all(c.ok for c in doc.checks) and len(doc.checks) == 39
    _offsets(doc)


def _workbook() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "附表"
    ws.append(["漳州市2018年政府信息公开情况统计表"])
    ws.merge_cells("A1:D1")
    for r in STATS:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("ext", ["xlsx", "xls"])
def test_spreadsheet_annex_gives_its_figures(ext):
    data = _workbook() if ext == "xlsx" else legacy_word.convert(_workbook(), "a.xlsx", ".xlsx", "xls")
    doc = PIPE(load_bytes(data, f"附表.{ext}"))
    assert doc.format == ext and [t.origin for t in doc.tables] == [ext]
    assert doc.tables[0].template == "2008-statistics" and doc.tables[0].caption == "附表"
    assert "漳州市2018年政府信息公开情况统计表" in doc.text.splitlines()  # the title row is text
    f = _facts(doc)
    assert f[("proactive.total", None, "annual")] == 1520 and f[("proactive.total", None, "cumulative")] == 9873
    assert f[("requests.channel.online", None, "annual")] == 20
    assert [c.ok for c in doc.checks] == [True]  # 37 = 10 + 0 + 20 + 7
    assert doc.tables[0].grid()[2] == ["(一)主动公开政府信息数", "条", "1520", "9873"]
    _offsets(doc)


def _mht(charset: str) -> bytes:
    msg = EmailMessage()
    msg["MIME-Version"] = "1.0"
    msg["Subject"] = "某某区政府信息公开工作年度报告"
    msg.set_content(tb.as_html(), subtype="html", charset=charset, cte="quoted-printable")
    msg.add_related(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", cid="logo")
    return bytes(msg)


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
def test_mht_page_gives_its_figures(charset):
    data = _mht(charset)
    assert detect_format(data, "page.dat") == "mht"
    doc = PIPE(load_bytes(data, "page.mht"))
    assert doc.format == "mht" and [t.template for t in doc.tables] == ["2021-proactive", "2021-requests", "2021-review"]
    assert len(doc.facts) == 200 and all(c.ok for c in doc.checks)
    assert "某某区政府信息公开工作年度报告" in doc.text and "PNG" not in doc.text
    _offsets(doc)


def test_mht_without_a_page_is_a_load_error():
    msg = EmailMessage()
    msg["MIME-Version"] = "1.0"
    msg.set_content("plain text only")
    with pytest.raises(LoadError, match="no HTML page"):
        load_bytes(bytes(msg), "x.mht")


def test_missing_libreoffice_names_the_package(word97, monkeypatch):
    monkeypatch.setattr(legacy_word.shutil, "which", lambda exe: None)
    with pytest.raises(MissingToolError, match="apt-get install libreoffice-writer-nogui"):
        load_bytes(word97, "report.doc")


def test_every_format_is_collected():
    assert {FORMATS[e] for e in (".doc", ".wps", ".xls", ".xlsx", ".mht", ".mhtml")} == {"doc", "wps", "xls", "xlsx", "mht"}


def test_a_doc_that_is_a_web_page_is_read_as_html():
    """Some sites publish an HTML page under a .doc name."""
    doc = PIPE(load_bytes(tb.as_html().encode("utf-8"), "report.doc"))
    assert doc.format == "doc" and len(doc.facts) == 200
