"""Segment: section tree, and the table/narrative/chrome boundaries."""
from __future__ import annotations

import pytest

from inference.clean import clean
from inference.load import from_text, load_bytes
from inference.rules import default_rules
from inference.segment import heading_split, segment


def seg(text: str, source: str = "t"):
    return segment(clean(from_text(text, source), default_rules()), default_rules())


def kind_at(doc, needle: str, nth: int = 0) -> str:
    pos = -1
    for _ in range(nth + 1):
        pos = doc.text.index(needle, pos + 1)
    kinds = {b.kind for b in doc.blocks if b.start <= pos < b.end}
    assert len(kinds) == 1, (needle, kinds)
    return kinds.pop()


def check_invariants(doc) -> None:
    text = doc.text
    ids = {s.id for s in doc.sections}
    for s in doc.sections:
        assert s.start < s.heading_end <= s.end <= len(text)
        assert text[s.start:].startswith(s.marker)
        assert s.title in text[s.start:s.heading_end]
        assert s.parent is None or s.parent in ids
        if s.parent:
            p = next(x for x in doc.sections if x.id == s.parent)
            assert p.level < s.level and p.start < s.start and s.end <= p.end
    last = -1
    for b in doc.blocks:
        assert 0 <= b.start < b.end <= len(text)
        assert b.start >= last, "blocks are ordered and do not overlap"
        last = b.end
        assert text[b.start:b.end] == text[b.start:b.end].strip()
    for a, b in doc.chrome:
        for blk in doc.blocks:
            if blk.kind == "narrative":
                assert blk.end <= a or blk.start >= b, "narrative excludes chrome"


@pytest.mark.parametrize("line, marker, level, title", [
    ("一、总体情况", "一、", 1, "总体情况"),
    ("一、 概述", "一、", 1, "概述"),
    ("(一)围绕重点领域,加大公开力度", "(一)", 2, "围绕重点领域,加大公开力度"),
    ("（二）、强化政府网站建设管理", "（二）、", 2, "强化政府网站建设管理"),
    ("1.推进政府工作公开透明。我市坚持以公开为常态、不公开为例外" + "等" * 60 + "。", "1.", 3,
     "推进政府工作公开透明。"),
    ("3. 助力推进公共资源配置政府信息公开。", "3.", 3, "助力推进公共资源配置政府信息公开。"),
    ("1、加强组织领导", "1、", 3, "加强组织领导"),
    ("(1)网站公开", "(1)", 4, "网站公开"),
    ("（2）媒体发布", "（2）", 4, "媒体发布"),
    ("第一部分 总体情况", "第一部分", 1, "总体情况"),
])
def test_headings(line, marker, level, title):
    m, lev, tstart, hend = heading_split(line, default_rules().sections)
    assert m.strip() == marker and lev == level
    assert line[tstart:hend] == title


@pytest.mark.parametrize("line", [
    "2018年,我市深入贯彻落实。",
    "1.5万条信息",
    "(一)予以公开 |",
    "一是加强制度建设。",
    "1." + "很长的一句话没有句号" * 10,
    "(三)、",
])
def test_not_headings(line):
    assert heading_split(line, default_rules().sections) is None


def test_section_tree():
    text = ("一、总体情况\n总体。\n(一)主动公开\n1.网站公开。全年公开100条。\n2.公报\n公报10期。\n"
            "(二)依申请\n收到5件。\n二、问题\n问题。\n")
    doc = seg(text)
    got = [(s.marker, s.level, s.title, s.parent) for s in doc.sections]
    assert got == [("一、", 1, "总体情况", None), ("(一)", 2, "主动公开", "s1"),
                   ("1.", 3, "网站公开", "s2"), ("2.", 3, "公报", "s2"),
                   ("(二)", 2, "依申请", "s1"), ("二、", 1, "问题", None)]
    s1 = doc.sections[0]
    assert text[s1.start:s1.end].endswith("收到5件。")
    assert doc.sections[-1].end == len(text.rstrip())
    # an inline heading: heading block, then its body as narrative on the same line
    kinds = [(b.kind, text[b.start:b.end]) for b in doc.blocks if b.section == "s3"]
    assert kinds == [("heading", "1.网站公开。"), ("narrative", "全年公开100条。")]
    check_invariants(doc)


def test_seed_002_table_and_narrative(seed_texts):
    doc = seg(seed_texts["seed-002"], "seed-002")
    check_invariants(doc)
    assert kind_at(doc, "全年主动公开政府信息10143条") == "narrative"
    app = doc.text.index("一、本年新收政府信息公开申请数量")
    for number in ("104 |", "3 |", "107 |"):
        pos = doc.text.index(number, app)
        assert kind_at(doc, doc.text[pos:pos + len(number)], 0) == "table" or \
            any(b.kind == "table" and b.start <= pos < b.end for b in doc.blocks)
    assert kind_at(doc, "(本列数据的勾稽关系为") == "table"  # header rows are in the table
    assert kind_at(doc, "(一)予以公开 |") == "table"
    assert kind_at(doc, "四、结转下年度继续办理 |") == "table"
    assert kind_at(doc, "三、收到和处理政府信息公开申请情况") == "heading"
    assert kind_at(doc, "一是政务公开工作队伍建设") == "narrative"
    titles = [s.title for s in doc.sections if s.level == 1]
    assert titles == ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况",
                      "政府信息公开行政复议、行政诉讼情况", "存在的主要问题及改进情况",
                      "其他需要报告的事项"]
    tables = [b for b in doc.blocks if b.kind == "table"]
    # 第二十条 tables split; the request table; the review/litigation table
    assert [doc.text[b.start:b.end].split("\n")[0] for b in tables] == [
        "第二十条第(一)项 |", "第二十条第(五)项 |", "第二十条第(六)项 |",
        "第二十条第(八)项 |", "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) |",
        "行政复议 |"]
    assert doc.text[tables[-1].start:tables[-1].end].endswith("0 |")
    assert doc.text[tables[4].start:tables[4].end].endswith("4 |")


def test_seed_000_annex_table(seed_texts):
    doc = seg(seed_texts["seed-000"], "seed-000")
    check_invariants(doc)
    (t,) = [b for b in doc.blocks if b.kind == "table"]
    body = doc.text[t.start:t.end]
    assert body.startswith("指 标 名 称 | 单位 | 2018年 | 历年累计 |")
    assert body.endswith("行政诉讼数 | 件 | 4 | 15 |")
    assert kind_at(doc, "(二)附表。") == "heading"
    assert kind_at(doc, "全市共主动公开政府信息30659条") == "narrative"


@pytest.mark.parametrize("seed", ["seed-000", "seed-001", "seed-002", "seed-003", "seed-004"])
def test_seed_invariants(seed_texts, seed):
    doc = seg(seed_texts[seed], seed)
    check_invariants(doc)
    assert len([s for s in doc.sections if s.level == 1]) >= 5
    narrative = "".join(doc.text[b.start:b.end] for b in doc.blocks if b.kind == "narrative")
    assert " |" not in narrative
    # every non-blank character is in some block
    covered = set()
    for b in doc.blocks:
        covered.update(range(b.start, b.end))
    missing = [i for i, ch in enumerate(doc.text) if not ch.isspace() and i not in covered]
    assert missing == []


def test_seed_003_004_chrome_blocks(seed_texts):
    doc = seg(seed_texts["seed-004"], "seed-004")
    assert kind_at(doc, "语音播报") == "chrome"
    assert kind_at(doc, "发布机构: 衡水市政府办公室") == "chrome"
    assert kind_at(doc, "衡水市2017年政府信息公开工作年度报告", 1) == "heading"
    doc3 = seg(seed_texts["seed-003"], "seed-003")
    assert kind_at(doc3, "当前栏目") == "chrome"
    assert kind_at(doc3, "2018年,黄石市政府深入贯彻") == "narrative"


BLANK_SEPARATED = """二、主动公开政府信息情况

第二十条第(一)项

信息内容

本年新
制作数量

对外公开总数量

规章

0

1

17

规范性文件

0

4

三、收到和处理政府信息公开申请情况

(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)

申请人情况

自然人

总计

一、本年新收政府信息公开申请数量

5

5

二、上年结转政府信息公开申请数量

0

0

四、政府信息公开行政复议、行政诉讼情况

本年度未发生行政复议。
"""

PIPE_LINES = """二、主动公开政府信息情况
该部分以表格形式报告。表格如下:
第二十条第(一)项
|
信息内容
|
本年新
制作数量
|
规章
|
0
|
6
|
三、收到和处理政府信息公开申请情况
收到申请8件。
"""


@pytest.mark.parametrize("text, tables, narrative, headings", [
    (BLANK_SEPARATED, ["第二十条第(一)项", "(本列数据", "一、本年新收", "5", "0"],
     ["本年度未发生行政复议。"],
     ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议"]),
    (PIPE_LINES, ["第二十条第(一)项", "本年新", "制作数量", "规章", "6"],
     ["该部分以表格形式报告", "收到申请8件。"],
     ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"]),
    ("一、附表\n指标 | 单位 | 本年 |\n主动公开 | 条 | 5 |\n二、其他\n无。\n",
     ["指标 | 单位", "主动公开 | 条 | 5 |"], ["无。"], ["一、附表", "二、其他"]),
    ("一、情况\n第二十条第(一)项 |\n|||\n信息内容 |\n规章 |\n0 |\n二、其他\n无。\n",
     ["第二十条第(一)项 |", "|||", "规章 |", "0 |"], ["无。"], ["一、情况", "二、其他"]),
])
def test_flattened_table_forms(text, tables, narrative, headings):
    doc = seg(text)
    check_invariants(doc)
    for t in tables:
        assert kind_at(doc, t) == "table", t
    for n in narrative:
        assert kind_at(doc, n) == "narrative", n
    for h in headings:
        assert kind_at(doc, h) == "heading", h


def test_short_narrative_lines_are_not_a_table():
    text = "二、主动公开\n\n本区到年底累计主动公开政府信息\n\n5928\n\n条,全文电子化率达\n\n90.3%\n\n,其中,新增\n\n2110\n\n条。\n"
    doc = seg(text)
    assert not [b for b in doc.blocks if b.kind == "table"]


def test_loader_tables_become_table_blocks():
    html = ("<html><body><p>一、总体情况</p><p>全年公开100条。</p><table><tr><td>(一)予以公开</td>"
            "<td>5</td></tr><tr><td>总计</td><td>5</td></tr></table><p>二、其他</p></body></html>")
    doc = segment(clean(load_bytes(html.encode(), "r.html"), default_rules()), default_rules())
    (t,) = doc.tables
    (b,) = [b for b in doc.blocks if b.kind == "table"]
    assert (b.start, b.end, b.table) == (t.start, t.end, t.id)
    assert [s.title for s in doc.sections] == ["总体情况", "其他"]
    assert kind_at(doc, "全年公开100条。") == "narrative"
