"""Metadata: header block, year, body, period, dates, contacts, format, with evidence."""
from __future__ import annotations

import pytest

from inference.metadata import extract_metadata, parse_date, read_header
from inference.rules import default_rules


@pytest.mark.parametrize("raw, iso", [
    ("2018年1月1日", "2018-01-01"),
    ("2018年12月31日", "2018-12-31"),
    ("2019-02-24", "2019-02-24"),
    ("2018年02月06日", "2018-02-06"),
    ("2021-03-31 12:16:33", "2021-03-31"),
    ("2018.1.1", "2018-01-01"),
    ("201711日", "2017-01-01"),  # separators lost in scraping
    ("20171231日", "2017-12-31"),
    ("2017年13月1日", None),
    ("2017", None),
])
def test_parse_date(raw, iso):
    assert parse_date(raw) == iso


def _md(seed_texts, seed):
    return extract_metadata(seed_texts[seed], default_rules(), source=seed)[0]


@pytest.mark.parametrize("seed, field, value", [
    ("seed-000", "period_start", "2018-01-01"),
    ("seed-000", "period_end", "2018-12-31"),
    ("seed-000", "year", 2018),
    ("seed-000", "format", "2008"),
    ("seed-001", "year", 2017),
    ("seed-001", "title", "台儿庄区2017年度政府信息公开年度报告"),
    ("seed-001", "period_start", "2017-01-01"),
    ("seed-002", "year", 2023),
    ("seed-002", "format", "2021"),
    ("seed-002", "body", "海沧区"),
    ("seed-003", "body", "市政府办公室"),
    ("seed-003", "publish_date", "2019-02-24"),
    ("seed-003", "index_no", "000014349/2019-01280"),
    ("seed-003", "category", "市政府部门"),
    ("seed-003", "year", 2018),
    ("seed-003", "title", "2018年黄石市政府信息公开工作年度报告"),
    ("seed-004", "year", 2017),
    ("seed-004", "period_start", "2017-01-01"),  # "201711日" in the text
    ("seed-004", "period_end", "2017-12-31"),
    ("seed-004", "publish_date", "2018-02-06"),
    ("seed-004", "body", "衡水市政府办公室"),
    ("seed-004", "index_no", "001068824/2018-2302536"),
    ("seed-004", "category", "综合政务"),
    ("seed-004", "title", "衡水市2017年政府信息公开工作年度报告"),
])
def test_seed_metadata(seed_texts, seed, field, value):
    assert getattr(_md(seed_texts, seed), field) == value


@pytest.mark.parametrize("seed, key, value", [
    ("seed-000", "phone", "0596-2026675"),
    ("seed-000", "fax", "0596-2025068"),
    ("seed-000", "email", "fjzzxxgk@163.com"),
    ("seed-000", "postcode", "363000"),
    ("seed-000", "address", "漳州市胜利西路118号市政府大院"),
    ("seed-000", "website", "http://www.zhangzhou.gov.cn"),
    ("seed-001", "phone", "0632-6611582"),
    ("seed-003", "email", "hs6359243@163.com"),
    ("seed-004", "phone", "0318-2025878"),
])
def test_seed_contacts(seed_texts, seed, key, value):
    assert _md(seed_texts, seed).contacts[key] == value


def test_evidence_points_into_the_text(seed_texts):
    for seed, text in seed_texts.items():
        md = _md(seed_texts, seed)
        assert md.evidence, seed
        for name, ev in md.evidence.items():
            assert text[ev.start:ev.end] == ev.text, (seed, name)
            assert ev.kind in ("header", "span") and ev.source == seed


def test_header_values_have_header_evidence(seed_texts):
    md = _md(seed_texts, "seed-003")
    ev = md.evidence["body"]
    assert ev.kind == "header" and ev.text == "市政府办公室"
    assert md.evidence["publish_date"].text == "2019-02-24"


@pytest.mark.parametrize("text, field, value", [
    ("名  称: X市2020年政府信息公开工作年度报告 索 引 号: 123/2021-1\n正文", "index_no", "123/2021-1"),
    ("索引号 | 000014349/2021-00239 | 文 号 | |\n", "index_no", "000014349/2021-00239"),
    ("发布机构: 自治区政府办公厅 发布日期: 2021-03-31\n", "body", "自治区政府办公厅"),
    ("发布机构: 自治区政府办公厅 发布日期: 2021-03-31\n", "publish_date", "2021-03-31"),
    ("文  号: 府办〔2021〕3号 主题分类: 综合政务\n", "doc_no", "府办〔2021〕3号"),
])
def test_header_labels(text, field, value):
    found, lines = read_header(text, default_rules().metadata)
    assert found[field].value == value
    assert text[found[field].start:found[field].end] == value
    assert lines and lines[0][0] == 0


def test_header_needs_a_label_at_line_start():
    found, lines = read_header("我局的发布机构: 不是页眉\n", default_rules().metadata)
    assert found == {} and lines == []


@pytest.mark.parametrize("text, fmt", [
    ("依据国办公开办函〔2021〕30号要求编制。", "2021"),
    ("依据国办公开办函〔2019〕60号要求编制。", "2019"),
    ("信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |", "2019"),
    ("本报告由概述……与附表组成。", "2008"),
    ("2022年，我区全年主动公开政府信息100条。", "2021"),  # by year
    ("2015年，我区全年主动公开政府信息100条。", "2008"),
])
def test_format(text, fmt):
    assert extract_metadata(text, default_rules())[0].format == fmt
