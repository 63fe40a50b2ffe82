"""Clean: page chrome as ranges (text untouched), metadata filled."""
from __future__ import annotations

import pytest

from inference.clean import chrome_ranges, clean
from inference.rules import default_rules
from inference.load import from_text


@pytest.mark.parametrize("line", [
    "当前栏目:市政府部门",
    "当前位置：首页 > 政务公开 > 年报",
    "首页 > 政府信息公开 > 政府信息公开年报",
    "首页/ 政府信息公开 / 政府信息公开年报 / 正文",
    "分享:",
    "分享到：微信 微博",
    "字号：大 中 小",
    "【字体：大 中 小】",
    "语音播报",
    "打印本页 关闭窗口",
    "【打印】【关闭】",
    "扫一扫在手机打开当前页",
    "浏览次数：1024",
    "作者:本站原创 | 来源:本站原创 | 时间:2019-01-18 点击数:- 分享到:",
])
def test_chrome_lines(line):
    text = f"一、总体情况\n{line}\n全年主动公开政府信息10143条。\n"
    ranges = chrome_ranges(text, default_rules().chrome)
    assert [text[a:b] for a, b in ranges] == [line]


@pytest.mark.parametrize("line", [
    "全年主动公开政府信息10143条。",
    "网站新增语音播报、字号调整等无障碍功能，方便群众查阅。",
    "一、总体情况",
    "我们与首页栏目的编辑分享了经验，共计30次。",
])
def test_report_text_is_not_chrome(line):
    assert chrome_ranges(line + "\n", default_rules().chrome) == []


def test_clean_keeps_text_and_marks_chrome(seed_texts):
    for seed, text in seed_texts.items():
        doc = clean(from_text(text, seed), default_rules())
        assert doc.text == text
        for a, b in doc.chrome:
            assert 0 <= a < b <= len(text)
            assert "全年主动公开" not in text[a:b] and "。" not in text[a:b], (seed, text[a:b])
        assert doc.metadata.year is not None, seed


def test_seed_chrome_and_header_block(seed_texts):
    doc = clean(from_text(seed_texts["seed-004"], "seed-004"), default_rules())
    chrome = [doc.text[a:b] for a, b in doc.chrome]
    assert "语音播报" in chrome
    assert any(c.startswith("名  称:") for c in chrome)  # the header block
    assert doc.metadata.body == "衡水市政府办公室"
    doc3 = clean(from_text(seed_texts["seed-003"], "seed-003"), default_rules())
    chrome3 = [doc3.text[a:b] for a, b in doc3.chrome]
    assert "当前栏目:市政府部门" in chrome3 and "分享:" in chrome3
    assert "2018年黄石市政府信息公开工作年度报告" not in chrome3  # the title is kept


def test_a_report_without_line_breaks_is_not_all_chrome(seed_texts):
    """``tr '\\n' ' '`` on a report: the one long "line" starts with a header label, but
    it is report text, not a header line (issue 19: it was all chrome, 0 facts)."""
    from inference.metadata import read_header
    from inference.pipeline import Pipeline

    flat = seed_texts["seed-004"].replace("\n", " ")
    assert read_header(flat, default_rules().metadata)[1] == [(0, len(flat))]  # the header reader sees one header line
    doc = Pipeline()(from_text(flat))
    assert sum(b - a for a, b in doc.chrome) < len(flat) / 10
    assert len(doc.facts) > 0


@pytest.mark.parametrize("n_chars, chrome", [(40, True), (300, True), (301, False), (8000, False)])
def test_header_chrome_lines_are_capped(n_chars, chrome):
    from inference.clean import header_chrome

    assert (header_chrome([(0, n_chars)], default_rules().chrome) == [(0, n_chars)]) is chrome
