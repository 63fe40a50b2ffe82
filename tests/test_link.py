"""link stage: value → metric rules (table of examples) and 其中 breakdowns."""
from __future__ import annotations

import re

import pytest

from inference import link
from inference.data import Span
from inference.load import from_text
from inference.rules import default_rules

RULES = default_rules()


def spans_from(marked: str) -> tuple[str, list[Span]]:
    """'[主动公开政府信息|M][30659条|C]' -> text and spans (M METRIC, C COUNT, P PERCENT)."""
    names = {"M": "METRIC", "C": "COUNT", "P": "PERCENT", "Y": "MONEY", "O": "ORG"}
    text, spans, pos = "", [], 0
    for m in re.finditer(r"\[([^\]|]+)\|([A-Z])\]", marked):
        text += marked[pos:m.start()]
        s = len(text)
        text += m.group(1)
        spans.append(Span(s, len(text), m.group(1), names[m.group(2)], id=f"T{len(spans) + 1}"))
        pos = m.end()
    return text + marked[pos:], spans


def pairs(marked: str) -> set[tuple[str, str]]:
    text, spans = spans_from(marked)
    by_id = {s.id: s for s in spans}
    return {(by_id[r.from_id].text, by_id[r.to_id].text) for r in link.find_relations(text, spans, RULES.linking)}


@pytest.mark.parametrize("marked, expected", [
    # metric immediately before its value
    ("全市共[主动公开政府信息|M][30659条|C],[全文电子化率|M][100%|P]。",
     {("30659条", "主动公开政府信息"), ("100%", "全文电子化率")}),
    # 达 / 为 between metric and value
    ("[网上可办率|M]达[91.96%|P]。", {("91.96%", "网上可办率")}),
    # quantifier before its noun
    ("已召开[2场|C][乡镇便民服务中心工作现场会|M]。", {("2场", "乡镇便民服务中心工作现场会")}),
    ("召开[2场|C][乡镇现场会|M]和[一场|C][县级现场会|M]",
     {("2场", "乡镇现场会"), ("一场", "县级现场会")}),
    # 占X% goes to the metric of the count before it
    ("[行政许可类|M][4762条|C],占[15.55%|P];[规划计划类|M][2740条|C],占[8.93%|P]。",
     {("4762条", "行政许可类"), ("15.55%", "行政许可类"), ("2740条", "规划计划类"),
      ("8.93%", "规划计划类")}),
    # scope breakdowns keep the metric
    ("[网站公开信息数|M][87532条|C],其中市本级[76412条|C],县(市、区)[11120条|C];",
     {("87532条", "网站公开信息数"), ("76412条", "网站公开信息数"), ("11120条", "网站公开信息数")}),
    ("全市回复办理[领导信箱|M][4960件|C],市本级[1658|C];",
     {("4960件", "领导信箱"), ("1658", "领导信箱")}),
    # never across a sentence end
    ("[主动公开政府信息|M]。共[30659条|C]。", set()),
    # a metric after a clause break is not the one before the value
    ("[新闻发布会|M]工作,全年[44场|C]", {("44场", "新闻发布会")}),
])
def test_linking_examples(marked, expected):
    assert pairs(marked) == expected


def test_relations_go_value_to_metric_with_label():
    text, spans = spans_from("[主动公开政府信息|M][30659条|C]")
    doc = from_text(text)
    doc.entities = spans
    out = link.link(doc, RULES)
    assert out.relations[0].from_id == "T2" and out.relations[0].to_id == "T1"
    assert out.relations[0].label == "measures"
    assert doc.relations == []  # pure: input untouched


def test_breakdown_parent_is_the_value_before_qizhong():
    text, spans = spans_from("全市[主动公开|M][106144条|C],其中县级[主动公开|M][29836条|C],"
                             "市本级[主动公开|M][76308条|C],占[100%|P]。")
    unit = {s.id: s.text[-1] for s in spans}
    par = link.breakdowns(text, spans, lambda s: unit[s.id], RULES.linking)
    by = {s.id: s.text for s in spans}
    assert {by[k]: by[v] for k, v in par.items()} == {"29836条": "106144条", "76308条": "106144条"}


def test_breakdown_needs_same_unit():
    text, spans = spans_from("受理[申请|M][27件|C],其中[网上|M][26人次|C]。")
    par = link.breakdowns(text, spans, lambda s: s.text[-1] if s.text[-1] != "次" else "人次",
                         RULES.linking)
    assert par == {}
