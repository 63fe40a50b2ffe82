"""The same 2021 tables as flattened text, HTML (plain and with merged cells), DOCX and
PDF give identical table facts (key, value, applicant, period)."""
from __future__ import annotations

import pytest

from inference import clean, segment
from inference.rules import default_rules
from inference.load import from_text, load_bytes
from inference.tables import parse_tables
from tests import tables_builders as tb


def _key(doc):
    return sorted((f.key, f.applicant or "", f.value, f.period) for f in doc.facts)


def _run(doc):
    return parse_tables(segment.segment(clean.clean(doc, default_rules()), default_rules()), default_rules())


def _merged_app_table() -> str:
    """The application table as the official template lays it out: spanned headers and
    row groups (rowspan/colspan)."""
    rows = tb.app_rows()
    h = ("<tr><td rowspan='3' colspan='3'>{}</td><td colspan='7'>申请人情况</td></tr>"
         "<tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td><td rowspan='2'>总计</td></tr>"
         "<tr><td>商业 企业</td><td>科研 机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>"
         ).format(rows[0][0])
    body = rows[3:]
    groups = {"(三)不予公开": 8, "(四)无法提供": 3, "(五)不予处理": 5, "(六)其他处理": 3}
    out = []
    for r in body:
        vals = "".join(f"<td>{v}</td>" for v in r[-7:])
        labels = r[:-7]
        cells = ""
        if labels[0] == "三、本年度办理结果":
            cells += "<td rowspan='22'>三、本年度办理结果</td>"
            labels = labels[1:]
        if len(labels) == 2:
            cells += f"<td rowspan='{groups[labels[0]]}'>{labels[0]}</td><td>{labels[1]}</td>"
        elif labels[0][0] in "一二四":
            cells += f"<td colspan='3'>{labels[0]}</td>"
        elif labels[0][0] == "(":
            cells += f"<td colspan='2'>{labels[0]}</td>"
        else:
            cells += f"<td>{labels[0]}</td>"
        out.append(f"<tr>{cells}{vals}</tr>")
    return "<table>" + h + "".join(out) + "</table>"


def _merged_review_table() -> str:
    head = ("<tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr>"
            "<tr>" + "".join(f"<td rowspan='2'>{x}</td>" for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"])
            + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr>"
            "<tr>" + "".join(f"<td>{x}</td>" for x in ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2) + "</tr>")
    vals = "<tr>" + "".join(f"<td>{v}</td>" for v in tb.review_rows()[-1]) + "</tr>"
    return "<table>" + head + vals + "</table>"


def _merged_html() -> bytes:
    return ("<html><head><meta charset='utf-8'></head><body><p>一、总体情况</p><p>全年主动公开政府信息100条。</p>"
            "<p>二、主动公开政府信息情况</p>" + tb.html_table(tb.proactive_rows()) +
            "<p>三、收到和处理政府信息公开申请情况</p>" + _merged_app_table() +
            "<p>四、政府信息公开行政复议、行政诉讼情况</p>" + _merged_review_table() +
            "<p>五、存在的主要问题及改进情况</p></body></html>").encode("utf-8")


@pytest.fixture(scope="module")
def reference():
    doc = _run(from_text(tb.full_report(tb.as_cells)))
    assert len(doc.facts) == 200
    return _key(doc)


@pytest.mark.parametrize("name,make", [
    ("r.html", lambda: tb.as_html().encode("utf-8")),
    ("merged.html", _merged_html),
    ("r.docx", tb.as_docx),
    ("r.pdf", tb.as_pdf),
])
def test_formats_give_identical_facts(reference, name, make):
    doc = _run(load_bytes(make(), name))
    assert doc.format == name.rsplit(".", 1)[1]
    assert [t.template for t in doc.tables] == ["2021-proactive", "2021-requests", "2021-review"]
    assert _key(doc) == reference
    assert doc.checks and all(c.ok for c in doc.checks)
    for f in doc.facts:
        ev = f.evidence
        assert ev.table in {t.id for t in doc.tables} and ev.row is not None and ev.col is not None
        if ev.start is not None:
            assert doc.text[ev.start:ev.end] == ev.text
        if name.endswith(".pdf"):
            assert ev.page is not None and ev.bbox is not None


def test_loader_tables_keep_their_cells(reference):
    doc = _run(load_bytes(_merged_html(), "merged.html"))
    app = doc.tables[1]
    assert app.origin == "html" and app.n_cols == 10
    fact = next(f for f in doc.facts if f.key == "requests.new" and f.applicant == "total")
    assert (fact.evidence.row, fact.evidence.col) == (3, 9)
