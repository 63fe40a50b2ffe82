"""Run-together cells recovered by arithmetic (inference/tables/recover.py).

The rows are made here from known values (tests/tables_builders.py), then printed the way
sites that lose the cell separators print them: ``行政规范性文件693665``, a request row
``21710000218``, the review row ``21317000001324019`` (the three shapes reported in issue 17).
"""
from __future__ import annotations

import pytest

from inference.load import from_text
from inference.rules import default_rules
from inference.pipeline import Pipeline
from inference.tables import parse_tables
from inference.tables.recover import splits
from tests import tables_builders as tb

PIPE = Pipeline(stages=("clean", "issuer", "segment", "tables"))


def lines(rows):
    return "\n".join(c for r in rows for c in r)


def blank_lines(rows):
    return "\n\n".join(c for r in rows for c in r)


def _run_row(rows, first, joined_label=True):
    """The row starting with ``first`` printed as one run of digits (after its label when
    ``joined_label``; ``first=None``: the label-less review row)."""
    out = [r[:] for r in rows]
    for k, r in enumerate(out):
        if first is None and len(r) == 15:
            out[k] = ["".join(r)]
        elif first is not None and r[0] == first:
            out[k] = [r[0] + "".join(r[1:])] if joined_label else [r[0], "".join(r[1:])]
    return out


def _facts(doc):
    return {(f.key, f.applicant): f for f in doc.facts}


def _assert_offsets(doc):
    for f in doc.facts:
        ev = f.evidence
        assert doc.text[ev.start:ev.end] == ev.text


def test_splits_have_no_leading_zeros_and_cover_the_digits():
    got = {tuple(int("1105"[a:b]) for a, b in zip((0,) + c[:-1], c)) for c in splits("1105", 3)}
    assert got == {(1, 10, 5), (11, 0, 5)}  # never (1, 1, 05), nor (110, 5) of 2 cells
    assert splits("000", 3) == [(1, 2, 3)]
    assert splits("12", 3) == []


APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
              "legal_service_org", "other_org", "total"]
REQUESTS_2021 = [  # (row label, its values in the builder's table: 海沧 2023)
    ("一、本年新收政府信息公开申请数量", ["104", "3", "0", "0", "0", "0", "107"]),
    ("(七)总计", ["100", "3", "0", "0", "0", "0", "103"]),
    ("(一)予以公开", ["45", "0", "0", "0", "0", "0", "45"]),
    ("四、结转下年度继续办理", ["4", "0", "0", "0", "0", "0", "4"]),
]


def _report(render, rows):
    return ("某某区政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n" + render(rows)
            + "\n五、存在的主要问题及改进情况\n无。\n")


@pytest.mark.parametrize("label,values", REQUESTS_2021)
@pytest.mark.parametrize("render,joined", [(tb.as_rows, False), (tb.as_pipe_lines, False), (lines, True),
                                           (lines, False), (blank_lines, True)])
def test_request_row_run_is_recovered_exactly(label, values, render, joined):
    rows = tb.app_rows()
    if label == "(一)予以公开":
        rows = [r if r[:2] != ["三、本年度办理结果", label] else [r[0]] + [label] + r[2:] for r in rows]
        k = next(i for i, r in enumerate(rows) if r[:2] == ["三、本年度办理结果", label])
        rows[k:k + 1] = [[rows[k][0]], rows[k][1:]]
    doc = PIPE.run_text(_report(render, _run_row(rows, label, joined_label=joined)))
    got = [f for f in doc.facts if f.recovered]
    assert [f.value for f in got] == [float(v) for v in values]
    assert [f.applicant for f in got] == APPLICANTS
    assert {f.template for f in got} == {"2021-requests"} and len(doc.facts) == 175
    assert any(w.code == "cells_recovered" and label in w.message for w in doc.warnings)
    assert all(c.ok for c in doc.checks) and len(doc.checks) == 39
    _assert_offsets(doc)


def test_lone_request_row_is_recovered_from_its_total():
    """The row of issue 17, alone under its header: only 217 1 0 0 0 0 218 adds up."""
    rows = [r[:] for r in tb.APP_HEAD] + [["一、本年新收政府信息公开申请数量21710000218"]]
    doc = PIPE.run_text(_report(lines, rows))
    f = _facts(doc)
    assert [f[("requests.new", a)].value for a in APPLICANTS] == [217, 1, 0, 0, 0, 0, 218]
    assert f[("requests.new", "total")].raw == "218" and f[("requests.new", "total")].recovered
    _assert_offsets(doc)


def test_review_row_run_is_recovered_exactly():
    values = ["2", "1", "3", "1", "7", "0", "0", "0", "0", "0", "13", "2", "4", "0", "19"]  # 21317000001324019
    text = "四、政府信息公开行政复议、行政诉讼情况\n" + tb.as_rows(_run_row(tb.review_rows(values), None)) + "\n"
    doc = parse_tables(from_text(text), default_rules())
    f = _facts(doc)
    assert f[("review.total", None)].value == 7 and f[("review.total", None)].recovered
    assert f[("litigation.after_review.total", None)].value == 19
    assert [x.value for x in doc.facts] == [float(v) for v in values]
    assert f[("litigation.direct.upheld", None)].raw == "0"
    assert all(c.ok for c in doc.checks) and len(doc.checks) == 3
    _assert_offsets(doc)


def test_unique_split_across_rows_only():
    """结转 11 / 0: per row both 11 0 0 0 0 0 11 and 1 10 0 0 0 0 11 add up; the balance of
    each column (新收 + 结转 = 总计 + 结转下年) keeps only the first."""
    fwd = ["11", "0", "0", "0", "0", "0", "11"]
    kw = dict(new=["111", "3", "0", "0", "0", "0", "114"], forward=fwd)
    rows = _run_row(tb.app_rows(**kw), "四、结转下年度继续办理", joined_label=False)
    doc = parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules())
    assert [f.value for f in doc.facts if f.recovered] == [float(v) for v in fwd]
    assert all(c.ok for c in doc.checks)
    # without the 新收 row the balance cannot be checked: both splits stay, warned, no figure
    rows = [r for r in rows if not r[0].startswith("一、本年新收")]
    doc = parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules())
    assert not any(f.recovered for f in doc.facts)
    w = [w for w in doc.warnings if w.code == "cells_run_together"]
    assert len(w) == 1 and "11 0 0 0 0 0 11" in w[0].message and "1 10 0 0 0 0 11" in w[0].message
    assert ("requests.carried_forward", "total") not in _facts(doc)


def test_proactive_run_without_checks_is_warned_with_candidates():
    """第二十条 tables have no arithmetic: 693665 cannot be split, 000 can only be 0 0 0."""
    rows = tb.proactive_rows()
    rows[2], rows[3] = ["规章000"], ["行政规范性文件693665"]
    doc = PIPE.run_text(tb.full_report(lines).replace(lines(tb.proactive_rows()), lines(rows)))
    f = _facts(doc)
    assert [f[(k, None)].value for k in ("regulations.issued", "regulations.repealed", "regulations.in_force")] == [0, 0, 0]
    assert f[("regulations.issued", None)].recovered
    assert not any(k.startswith("normative_docs") for k, _ in f)
    w = next(w for w in doc.warnings if w.code == "cells_run_together")
    assert "693665" in w.message and "10 splits" in w.message and "69 36 65" in w.message
    assert doc.text[w.start:w.end] == "693665"
    _assert_offsets(doc)


def test_inconsistent_run_is_warned_not_split():
    rows = tb.app_rows()
    rows[3] = [rows[3][0], "10530000108"]  # 105 / 3 new: the balance holds for no split
    doc = parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules())
    assert not any(f.recovered for f in doc.facts)
    assert any(w.code == "cells_run_together" and "no split" in w.message for w in doc.warnings)


def test_loader_tables_are_never_split():
    """A cell of a real (HTML) table holding 10430000107 is a figure as printed."""
    from inference.load import load_bytes

    rows = tb.app_rows()
    rows[3] = [rows[3][0], "10430000107"]
    doc = parse_tables(load_bytes(tb.html_table(rows).encode(), "t.html"), default_rules())
    assert not any(f.recovered for f in doc.facts)
    assert not any(w.code.startswith("cells_") for w in doc.warnings)
