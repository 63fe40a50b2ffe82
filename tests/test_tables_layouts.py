"""Every flattened layout of the official tables: one cell per line with or without blank
lines, one row per line with spaces between cells, header cells broken inside the cell (``本年新\\n制作数量``) or truncated (``本年增/``),
and short excerpts that end inside a table. Real examples: tests/data/corpus/page-024.txt
(https://jyj.yangling.gov.cn/zfxxgk/zfxxgknb/1426057137083166722.html) and page-152.txt
(http://rongchang.gov.cn/jz/hbz/zwgk_70755/zfxxgknb_70772/202101/t20210129_8843764.html),
both 2019-format 第二十条 tables one cell per line between blank lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from inference.pipeline import Pipeline
from tests import tables_builders as tb

PIPE = Pipeline(stages=("clean", "issuer", "segment", "tables"))
CORPUS = Path(__file__).resolve().parent / "data" / "corpus"
BROKEN = {"本年新制作数量": "本年新\n制作数量", "本年新公开数量": "本年新\n公开数量", "本年增/减": "本年增/",
          "本年制发件数": "本年\n制发件数", "法人或其他组织": "法人或\n其他组织", "社会公益组织": "社会公益\n组织"}


def lines(rows):
    return "\n".join(c for r in rows for c in r)


def blank_lines(rows):
    return "\n\n".join(c for r in rows for c in r)


def spaced(rows):
    """One row per line, cells separated by spaces (text extracted from a page layout)."""
    return "\n".join(" ".join(r) for r in rows)


def broken_headers(rows):
    return "\n\n".join(BROKEN.get(c, c) for r in rows for c in r)


def _facts(doc):
    return {(f.key, f.applicant): f.value for f in doc.facts}


def _assert_offsets(doc):
    for t in doc.tables:
        assert all(doc.text[c.start:c.end] == c.text for c in t.cells if c.start is not None)
    for f in doc.facts:
        assert doc.text[f.evidence.start:f.evidence.end] == f.evidence.text


@pytest.mark.parametrize("render", [lines, blank_lines, broken_headers, spaced, tb.as_rows, tb.as_cells,
                                    tb.as_pipe_lines])
@pytest.mark.parametrize("fmt,n_facts,n_checks", [("2021", 200, 42), ("2019", 198, 40)])
def test_every_layout_gives_every_figure(render, fmt, n_facts, n_checks):
    doc = PIPE.run_text(tb.full_report(render, fmt))
    assert len(doc.facts) == n_facts and all(f.key for f in doc.facts)
    assert len(doc.checks) == n_checks and all(c.ok for c in doc.checks)
    f = _facts(doc)
    assert f[("requests.new", "total")] == 107 and f[("review.total", None)] == 2
    if fmt == "2019":
        assert (f[("licensing.items_change", None)], f[("procurement.amount", None)]) == (-35, 1523.45)
    else:
        assert (f[("normative_docs.in_force", None)], f[("fees.amount", None)]) == (43, 7832)
    _assert_offsets(doc)


YANGLING = {  # page-024: 示范区教育局 2019, headers 本年新\n制作数量, cells between blank lines
    "regulations.made": 0, "normative_docs.published_total": 0, "licensing.items_prev": 2,
    "licensing.items_change": 1, "licensing.decisions": 1, "other_services.decisions": 0,
    "penalties.decisions": 0, "enforcement.items_prev": 0, "fees.items_prev": 1288,
    "fees.items_change": 591, "procurement.projects": 6, "procurement.amount": 976.81,
}


@pytest.mark.parametrize("key,value", sorted(YANGLING.items()))
def test_real_blank_line_cells_with_broken_headers(key, value):
    doc = PIPE.run_text((CORPUS / "page-024.txt").read_text(encoding="utf-8"), source="page-024.txt")
    assert _facts(doc)[(key, None)] == value
    assert len(doc.facts) == 22 and all(t.template == "2019-proactive" for t in doc.tables)
    _assert_offsets(doc)


def test_real_blank_line_cells_second_site():
    doc = PIPE.run_text((CORPUS / "page-152.txt").read_text(encoding="utf-8"), source="page-152.txt")
    f = _facts(doc)
    assert len(doc.facts) == 20 and {t.template for t in doc.tables} == {"2019-proactive"}
    assert f[("fees.items_change", None)] == 0 and f[("licensing.decisions", None)] == 0
    _assert_offsets(doc)


def test_truncated_header_is_read():
    """本年增/ with 减 lost (as in a held-out excerpt): the column is still 本年增/减."""
    rows = tb.proactive_rows("2019")
    text = "二、主动公开政府信息情况\n" + blank_lines([[c.replace("本年增/减", "本年增/") for c in r] for r in rows])
    doc = PIPE.run_text(text + "\n")
    f = _facts(doc)
    assert (f[("licensing.items_change", None)], f[("other_services.items_change", None)]) == (-35, 4)
    assert not any(w.code == "table_header" for w in doc.warnings)


@pytest.mark.parametrize("render", [lines, blank_lines, spaced, tb.as_rows])
def test_excerpt_ending_inside_a_table(render):
    """An opening cut inside the request table: the rows read give their figures, the cut
    row is warned, no figure is made up."""
    full = tb.full_report(render)
    cut = full.index("1.属于国家秘密")
    cut = full.index("0", cut) + 2  # the label and one figure of the row, then the end
    doc = PIPE.run_text(full[:cut])
    f = _facts(doc)
    assert f[("requests.outcome.disclosed", "total")] == 45 and f[("requests.outcome.partial", "natural_person")] == 17
    assert ("requests.outcome.withheld.state_secret", "commercial_enterprise") not in f
    assert ("requests.closed", "total") not in f
    assert any(w.code == "table_row_incomplete" and "属于国家秘密" in w.message for w in doc.warnings)
    assert all(c.ok for c in doc.checks)
    _assert_offsets(doc)
