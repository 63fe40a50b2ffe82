"""Stage tables: grid reconstruction, template mapping, values, checks and facts."""
from __future__ import annotations

from pathlib import Path

import pytest

from inference import clean, segment
from inference.load import from_text
from inference.tables import grid_from_text, parse_tables
from inference.tables.values import norm_label, parse_value
from inference.rules import default_rules
from tests import tables_builders as tb


def _facts(doc):
    return {(f.key, f.applicant): f for f in doc.facts}


def _assert_offsets(doc):
    for t in doc.tables:
        for c in t.cells:
            if c.start is not None:
                assert doc.text[c.start:c.end] == c.text
    for f in doc.facts:
        for ev in (f.evidence, f.metric_evidence):
            if ev is not None and ev.start is not None:
                assert doc.text[ev.start:ev.end] == ev.text
    for w in doc.warnings:
        if w.start is not None:
            assert 0 <= w.start <= w.end <= len(doc.text)


@pytest.fixture(scope="module")
def haicang(seed_texts):
    return parse_tables(from_text(seed_texts["seed-002"], source="seed-002.txt"), default_rules())


@pytest.fixture(scope="module")
def zhangzhou(seed_texts):
    return parse_tables(from_text(seed_texts["seed-000"], source="seed-000.txt"), default_rules())


# ---- the seeds -----------------------------------------------------------------------
@pytest.mark.parametrize("key,applicant,value,unit,period", [
    ("normative_docs.issued", None, 14, "件", "annual"),
    ("normative_docs.repealed", None, 3, "件", "annual"),
    ("normative_docs.in_force", None, 43, "件", "cumulative"),
    ("regulations.issued", None, 0, "件", "annual"),
    ("regulations.repealed", None, 0, "件", "annual"),
    ("regulations.in_force", None, 0, "件", "cumulative"),
    ("licensing.decisions", None, 5225, "件", "annual"),
    ("penalties.decisions", None, 9352, "件", "annual"),
    ("enforcement.decisions", None, 11, "件", "annual"),
    ("fees.amount", None, 7832, "万元", "annual"),
    ("requests.new", "natural_person", 104, "件", "annual"),
    ("requests.new", "commercial_enterprise", 3, "件", "annual"),
    ("requests.new", "total", 107, "件", "annual"),
    ("requests.closed", "total", 103, "件", "annual"),
    ("requests.carried_forward", "total", 4, "件", "annual"),
    ("requests.outcome.unavailable.not_held", "total", 37, "件", "annual"),
    ("review.upheld", None, 0, "件", "annual"),
    ("review.corrected", None, 1, "件", "annual"),
    ("review.other", None, 1, "件", "annual"),
    ("review.pending", None, 0, "件", "annual"),
    ("review.total", None, 2, "件", "annual"),
])
def test_haicang_2021_figures(haicang, key, applicant, value, unit, period):
    f = _facts(haicang)[(key, applicant)]
    assert (f.value, f.unit, f.period, f.origin) == (value, unit, period, "table")
    assert f.evidence.kind == "cell" and f.evidence.source == "seed-002.txt"
    assert f.evidence.text.strip() == str(value)


def test_haicang_litigation_all_zero(haicang):
    lit = [f for f in haicang.facts if f.key.startswith("litigation.")]
    assert len(lit) == 10 and all(f.value == 0 for f in lit)


def test_haicang_maps_every_table_with_all_cells(haicang):
    assert [t.template for t in haicang.tables] == ["2021-proactive", "2021-requests", "2021-review"]
    per = {}
    for f in haicang.facts:
        per[f.template] = per.get(f.template, 0) + 1
    assert per == {"2021-proactive": 10, "2021-requests": 25 * 7, "2021-review": 15}
    assert all(f.value is not None for f in haicang.facts)
    assert not [w for w in haicang.warnings if w.code.startswith(("table", "cell"))]


@pytest.mark.parametrize("label,annual,cumulative,key", [
    ("主动公开文件数", 30659, 336207, "proactive.total"),
    ("受理政府信息公开申请总数", 533, 3111, "requests.new"),
    ("行政复议数", 4, 17, "review.total"),
    ("其中:1.政府网站公开数", 30651, 319215, "proactive.website"),
    ("4.其他类型答复数", 186, 745, "requests.outcome.other_types"),
])
def test_zhangzhou_statistics_table(zhangzhou, label, annual, cumulative, key):
    got = {f.period: f for f in zhangzhou.facts if f.metric == label}
    assert got["annual"].value == annual and got["cumulative"].value == cumulative
    assert got["annual"].key == got["cumulative"].key == key
    assert got["annual"].template == "2008-statistics"


def test_zhangzhou_all_rows_mapped(zhangzhou):
    assert [t.template for t in zhangzhou.tables] == ["2008-statistics"]
    assert len(zhangzhou.facts) == 15 * 2 and all(f.key for f in zhangzhou.facts)
    assert zhangzhou.tables[0].n_rows == 16 and zhangzhou.tables[0].n_cols == 4
    unit = {f.metric: f.unit for f in zhangzhou.facts}
    assert unit["主动公开文件数"] == "条" and unit["行政复议数"] == "件"
    kids = [f for f in zhangzhou.facts if f.parent == "requests.new"]
    assert {f.key for f in kids} == {"requests.channel.in_person", "requests.channel.online",
                                     "requests.channel.letter_fax"}


@pytest.mark.parametrize("seed", ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"])
def test_seeds_checks_pass_and_offsets_hold(seed_texts, seed):
    doc = parse_tables(from_text(seed_texts[seed], source=seed), default_rules())
    assert all(c.ok for c in doc.checks), [c.detail for c in doc.checks if not c.ok]
    assert all(t.template for t in doc.tables)
    _assert_offsets(doc)


def test_seed_checks_are_counted(haicang, zhangzhou):
    names = {c.name.split("[")[0] for c in haicang.checks}
    assert names == {"2021-requests:balance", "2021-requests:applicant_total", "2021-requests:outcome_total",
                     "2021-review:review_total", "2021-review:direct_total", "2021-review:after_review_total"}
    assert len(haicang.checks) == 7 + 25 + 7 + 3
    assert {c.name for c in zhangzhou.checks} == {"2008-statistics:request_channels[annual]",
                                                  "2008-statistics:replies[annual]"}


def test_segment_blocks_give_the_same_facts(seed_texts):
    text = seed_texts["seed-002"]
    alone = parse_tables(from_text(text), default_rules())
    staged = parse_tables(segment.segment(clean.clean(from_text(text), default_rules()), default_rules()), default_rules())
    assert any(b.kind == "table" for b in staged.blocks)
    key = lambda d: sorted((f.key, f.applicant or "", f.value, f.period) for f in d.facts)  # noqa: E731
    assert key(alone) == key(staged)
    _assert_offsets(staged)


# ---- flattenings, formats and arithmetic ---------------------------------------------
RENDER = {"rows": tb.as_rows, "cells": tb.as_cells, "pipe_lines": tb.as_pipe_lines}


@pytest.mark.parametrize("style", list(RENDER))
@pytest.mark.parametrize("fmt,n_app_rows", [("2021", 25), ("2019", 23)])
def test_flattenings_map_to_templates(style, fmt, n_app_rows):
    doc = parse_tables(from_text(tb.full_report(RENDER[style], fmt)), default_rules())
    assert [t.template for t in doc.tables] == [f"{fmt}-proactive", f"{fmt}-requests", f"{fmt}-review"]
    app = [f for f in doc.facts if f.template == f"{fmt}-requests"]
    assert len(app) == n_app_rows * 7
    assert doc.checks and all(c.ok for c in doc.checks)
    _assert_offsets(doc)
    f = _facts(doc)
    assert f[("requests.closed", "total")].value == 103
    assert f[("review.total", None)].value == 2


def test_2019_specific_columns():
    doc = parse_tables(from_text(tb.full_report(tb.as_cells, "2019")), default_rules())
    f = _facts(doc)
    assert f[("licensing.items_change", None)].value == -35
    assert f[("other_services.items_change", None)].value == 4
    assert f[("procurement.amount", None)].value == 1523.45 and f[("procurement.amount", None)].unit == "万元"
    assert f[("normative_docs.published_total", None)].period == "cumulative"
    assert f[("requests.outcome.other", "total")].value == 0
    assert ("requests.outcome.other.other", "total") not in f


def test_arithmetic_error_gives_failed_check_with_numbers():
    text = tb.full_report(tb.as_cells, "2021", closed=["100", "3", "0", "0", "0", "0", "104"])
    doc = parse_tables(from_text(text), default_rules())
    bad = [c for c in doc.checks if not c.ok]
    names = sorted(c.name for c in bad)
    assert names == ["2021-requests:applicant_total[closed]", "2021-requests:balance[total]",
                     "2021-requests:outcome_total[total]"]
    bal = next(c for c in bad if "balance" in c.name)
    assert (bal.expected, bal.actual) == (107, 108) and "总计" in bal.detail
    assert bal.detail == "第一项+第二项=第三项(七)总计+第四项 [总计]: 107+0 = 107, 104+4 = 108"
    assert [w for w in doc.warnings if w.code == "check_failed"]
    assert _facts(doc)[("requests.closed", "total")].value == 104  # never fixed


def test_review_total_error():
    rows = tb.review_rows(["1", "1", "0", "0", "3"] + ["0"] * 10)
    doc = parse_tables(from_text("四、行政复议、行政诉讼情况\n" + tb.as_rows(rows) + "\n"), default_rules())
    bad = [c for c in doc.checks if not c.ok]
    assert [(c.name, c.expected, c.actual) for c in bad] == [("2021-review:review_total", 3, 2)]


# ---- values --------------------------------------------------------------------------
@pytest.mark.parametrize("text,value,status", [
    ("0", 0, "number"), ("12", 12, "number"), ("1,234", 1234, "number"), ("1，234", 1234, "number"),
    ("7832.5", 7832.5, "number"), ("+3", 3, "number"), ("-35", -35, "number"), ("１２", 12, "number"),
    ("12件", 12, "number"), ("3.5万元", 3.5, "number"), ("12户次", 12, "number"),
    ("4件次", 4, "number"), ("5名", 5, "number"), ("3起", 3, "number"), ("96.5%", 96.5, "number"),
    ("", None, "blank"), ("  ", None, "blank"), (None, None, "blank"),
    ("—", None, "dash"), ("-", None, "dash"), ("/", None, "dash"), ("无", None, "dash"), ("——", None, "dash"),
    ("约5", None, "invalid"), ("不详", None, "invalid"), ("1.2.3", None, "invalid"),
])
def test_parse_value(text, value, status):
    v = parse_value(text, default_rules().cells)
    assert (v.value, v.status) == (value, status)


@pytest.mark.parametrize("cell,value,warned", [("0", 0, False), ("", None, False), ("—", None, False),
                                               ("/", None, False), ("无", None, False), ("5x", None, True)])
def test_blank_zero_dash_in_a_table(cell, value, warned):
    rows = [["第二十条第(六)项"], ["信息内容", "本年处理决定数量"], ["行政处罚", cell], ["行政强制", "5"]]
    doc = parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules())
    f = _facts(doc)[("penalties.decisions", None)]
    assert f.value == value and f.raw == cell and f.evidence.text == cell
    assert any(w.code == "cell_invalid" for w in doc.warnings) is warned
    _assert_offsets(doc)


# ---- label variants ------------------------------------------------------------------
@pytest.mark.parametrize("written,core", [
    ("(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "部分公开"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "部分公开"),
    ("3.危及“三安全一稳定”", "危及三安全一稳定"), ("3、危及\"三安全一稳定\"", "危及三安全一稳定"),
    ("商业 企业", "商业企业"), ("商 业 企 业", "商业企业"), ("指 标 名 称", "指标名称"),
    ("现行有效件数 (历史累计)", "现行有效件数"), ("其中:1.政府网站公开数", "政府网站公开数"),
    ("其中：涉及国家秘密", "涉及国家秘密"), ("法律法规规定的其他情形", "法律法规规定的其他情况"),
    ("四、结转下年度继续办理", "结转下年度继续办理"),
])
def test_norm_label(written, core):
    assert norm_label(written, default_rules().cells) == core


@pytest.mark.parametrize("mutate", [
    lambda r: [[c.replace("商业企业", "商 业 企 业").replace("科研机构", "科研 机构") for c in row] for row in r],
    lambda r: [[c.replace("(", "（").replace(")", "）").replace(",", "，") for c in row] for row in r],
    lambda r: [[c.replace("情形", "情况") for c in row] for row in r],
    lambda r: [[c for c in row if c != "三、本年度办理结果"] for row in r],  # merged cell lost
    lambda r: [[c.replace("一、", "一. ").replace("(一)", "（一） ") for c in row] for row in r],
], ids=["spaces", "fullwidth", "qingkuang", "missing-merged", "markers"])
@pytest.mark.parametrize("style", ["rows", "cells"])
def test_request_table_label_variants(mutate, style):
    doc = parse_tables(from_text(RENDER[style](mutate(tb.app_rows())) + "\n"), default_rules())
    assert [t.template for t in doc.tables] == ["2021-requests"]
    assert len(doc.facts) == 175 and all(c.ok for c in doc.checks) and len(doc.checks) == 39
    assert _facts(doc)[("requests.outcome.partial", "total")].value == 17


def test_header_order_is_read_from_headers():
    rows = [["第二十条第(一)项"], ["信息内容", "现行有效件数(历史累计)", "本年制发件数", "本年废止件数"],
            ["规章", "9", "1", "2"], ["行政规范性文件", "43", "14", "3"]]
    f = _facts(parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules()))
    assert (f[("normative_docs.in_force", None)].value, f[("normative_docs.issued", None)].value) == (43, 14)
    assert f[("regulations.repealed", None)].value == 2


def test_short_row_is_warned_not_zero_filled():
    rows = tb.app_rows()
    rows[-1] = rows[-1][:7]  # 结转 row lost its 总计 cell
    doc = parse_tables(from_text(tb.as_rows(rows) + "\n"), default_rules())
    f = _facts(doc)
    assert ("requests.carried_forward", "total") not in f
    assert any(w.code == "table_row_incomplete" and "结转" in w.message for w in doc.warnings)


# ---- grid reconstruction -------------------------------------------------------------
def test_grid_rows_layout():
    text = "附表\n指 标 名 称 | 单位 | 2018年 | 历年累计 |\n行政复议数 | 件 | 4 | 17 |\n"
    s = text.index("指")
    t = grid_from_text(text, s, len(text) - 1, default_rules())
    assert t.grid() == [["指 标 名 称", "单位", "2018年", "历年累计"], ["行政复议数", "件", "4", "17"]]
    assert all(text[c.start:c.end] == c.text for c in t.cells)


def test_grid_cells_layout_joins_broken_header():
    text = "申请人情况\n|\n商业\n企业\n|\n科研\n机构\n|\n一、本年新收政府信息公开申请数量\n|\n3\n|\n0\n"
    t = grid_from_text(text, 0, len(text), default_rules())
    texts = [c.text for c in t.cells]
    assert "商业\n企业" in texts and "科研\n机构" in texts
    assert t.grid()[-1] == ["一、本年新收政府信息公开申请数量", "3", "0"]
    assert all(text[c.start:c.end] == c.text for c in t.cells)


def test_pipes_without_figures_are_not_tables():
    text = "索引号: | /2015-34352 | 公开方式: | 主动公开 |\n发布单位: | 谢塘镇 |\n正文。\n"
    doc = parse_tables(from_text(text), default_rules())
    assert doc.tables == [] and doc.facts == []


def test_unknown_table_is_kept_and_warned():
    text = "正文。\n项目 | 数量 |\n苹果 | 3 |\n香蕉 | 4 |\n正文。\n"
    doc = parse_tables(from_text(text), default_rules())
    assert len(doc.tables) == 1 and doc.tables[0].template is None
    assert [w.code for w in doc.warnings] == ["table_unmapped"]


# ---- real report openings (tests/data/corpus, sources in its index.jsonl) ---------------
CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"
CORPUS = sorted(CORPUS_DIR.glob("page-*.txt"))
OPENINGS_2021 = {"page-001": "2021", "page-019": "2021", "page-038": "2021", "page-079": "2021",
                 "page-112": "2021", "page-122": "2021", "page-028": "2019", "page-058": "2019",
                 "page-093": "2019", "page-129": "2019"}


@pytest.mark.parametrize("name,fmt", sorted(OPENINGS_2021.items()))
def test_corpus_openings_map_to_their_format(name, fmt):
    path = CORPUS_DIR / f"{name}.txt"
    doc = parse_tables(from_text(path.read_text(encoding="utf-8"), source=name), default_rules())
    assert doc.tables and doc.tables[0].template == f"{fmt}-proactive"
    assert all(c.ok for c in doc.checks)
    assert all(f.key for f in doc.facts)
    _assert_offsets(doc)


def test_corpus_offsets_hold_everywhere():
    assert len(CORPUS) > 50
    for path in CORPUS:
        doc = parse_tables(from_text(path.read_text(encoding="utf-8"), source=path.name), default_rules())
        _assert_offsets(doc)


def test_check_cells_are_the_figures_it_added(zhangzhou):
    """Check.cells: the grid cells of both sides (the view marks them when a check fails)."""
    table = {t.id: t for t in zhangzhou.tables}
    ck = next(c for c in zhangzhou.checks if c.name == "2008-statistics:request_channels[annual]")
    grid = table[ck.table].grid()
    assert [grid[r][c] for r, c in ck.cells] == ["533", "272", "148", "113"]
