"""normalise stage: numbers, units, approximation, scope, period, keys, narrative facts."""
from __future__ import annotations

import pytest

from inference import link, ner, normalise
from inference.load import from_text
from inference.normalise.numbers import chinese_number, parse_value
from inference.rules import default_rules


@pytest.mark.parametrize("raw, value, unit, approx, bound", [
    ("30659条", 30659, "条", False, None),
    ("1,234件", 1234, "件", False, None),
    ("１２件", 12, "件", False, None),
    ("30915 件", 30915, "件", False, None),
    ("近8.1万条", 81000, "条", True, "upper"),
    ("约300人次", 300, "人次", True, None),
    ("1100多条", 1100, "条", True, "lower"),
    ("5000余册", 5000, "册", True, "lower"),
    ("逾万", 10000, None, True, "lower"),
    ("超过100场", 100, "场", True, "lower"),
    ("3000余万条", 30000000, "条", True, "lower"),
    ("万余本", 10000, "本", True, "lower"),
    ("两场", 2, "场", False, None),
    ("一场", 1, "场", False, None),
    ("一百二十项", 120, "项", False, None),
    ("十二项", 12, "项", False, None),
    ("三千余册", 3000, "册", True, "lower"),
    ("1658", 1658, None, False, None),
    ("53條", 53, "条", False, None),
    ("2764.2萬宗", 27642000, "宗", False, None),
    ("91.96%", 91.96, "%", False, None),
    ("100％", 100, "%", False, None),
    ("90%以上", 90, "%", True, "lower"),
    ("百分之百", 100, "%", False, None),
    ("百分之九十五点五", 95.5, "%", False, None),
    ("5个百分点", 5, "pp", False, None),
    ("7832万元", 78320000, "yuan", False, None),
    ("3.2亿元", 320000000, "yuan", False, None),
    ("0元", 0, "yuan", False, None),
    ("258.5億元", 25850000000, "yuan", False, None),
])
def test_parse_value(raw, value, unit, approx, bound):
    q = parse_value(raw, default_rules().numbers)
    assert q.value == pytest.approx(value)
    assert (q.unit, q.approx, q.bound, q.raw) == (unit, approx, bound, raw)


@pytest.mark.parametrize("text, value", [
    ("两", 2), ("十", 10), ("二十一", 21), ("一百零五", 105), ("三千五百万", 35000000),
    ("一亿三千万", 130000000), ("二〇一八", 2018),
])
def test_chinese_numbers(text, value):
    assert chinese_number(text, default_rules().numbers) == value


@pytest.mark.parametrize("sentence, scope", [
    ("全市共主动公开政府信息30659条", "全市"),
    ("其中市本级主动公开76308条", "市本级"),
    ("县(市、区)级主动公开29836条", "县(市、区)"),
    ("县（市、区）发布11120条", "县(市、区)"),
    ("各乡镇发布信息200条", "乡镇"),
    ("市直部门公开22012条", "市直"),
    ("共主动公开政府信息30659条", None),
    ("全市开展调查125次。主动公开30条", None),  # not across a sentence end
])
def test_scope(sentence, scope):
    assert normalise.scope_of(sentence, _value_start(sentence), default_rules().context) == scope


def _value_start(s: str) -> int:
    import re
    return list(re.finditer(r"\d+", s))[-1].start()


@pytest.mark.parametrize("sentence, period", [
    ("全市共主动公开政府信息30659条", "annual"),
    ("历年累计主动公开政府信息336207条", "cumulative"),
    ("累计受理申请3111件", "cumulative"),
    ("全年累计发布信息5000条", "annual"),
    ("截至目前共公开规范性文件500件", "cumulative"),
    ("本年新增主动公开政府信息2110条", "annual"),
    ("历年累计公开336207条。本年公开100条", "annual"),
])
def test_period(sentence, period):
    assert normalise.period_of(sentence, _value_start(sentence), default_rules().context) == period


@pytest.mark.parametrize("metric, key", [
    ("主动公开政府信息", "proactive.total"),
    ("主动公开", "proactive.total"),
    ("新闻发布会", "press_conferences.total"),
    ("当面申请", "requests.channel.in_person"),
    ("网上可办率", None),
    ("", None),
    # a synonym as written wins over another key's synonym without its suffix (总数)
    ("制发规范性文件", "normative_docs.issued"),
    ("制发规范性文件总数", "proactive.normative_docs_issued"),
])
def test_taxonomy_keys(metric, key):
    assert normalise.key_of(metric, default_rules().taxonomy) == key


def test_synonym_under_two_keys_is_a_config_error():
    from inference.config import ConfigError
    from inference.tables.taxonomy import build_taxonomy

    bad = {"metric_suffixes": ["数"], "keys": {"a.x": {"name": "新闻发布会"},
                                             "b.y": {"name": "B", "synonyms": ["新闻发布会"]}}}
    with pytest.raises(ConfigError, match="under two keys, a.x and b.y"):
        build_taxonomy(bad, default_rules().cells)


@pytest.mark.parametrize("bad, message", [
    ({"keys": {"a.x": {"name": "A", "period": "monthly"}}}, "period 'monthly'"),
    ({"keys": {"a.x": {"name": "A", "within": "b.y"}}}, "within 'b.y' is no key"),
    ({"keys": {"a.x": {"name": "A", "unit": "吨"}}, "units": {}}, "unit '吨' not in units"),
    ({"keys": {"a.x": {"name": "A", "synonyms": "B"}}}, "synonyms must be a list"),
    ({"nokeys": {}}, "malformed"),
])
def test_taxonomy_validated(bad, message):
    from inference.config import ConfigError
    from inference.tables.taxonomy import build_taxonomy

    with pytest.raises(ConfigError, match=message):
        build_taxonomy(bad, default_rules().cells)


def run(text: str):
    doc = from_text(text, source="t.txt")
    rules = default_rules()
    return normalise.normalise(link.link(ner.tag(doc, None, rules), rules), rules)


def test_narrative_facts_with_evidence():
    text = ("全市共主动公开政府信息30659条,全文电子化率100%。其中市本级主动公开8647条。"
            "历年累计主动公开政府信息336207条。全市共举办新闻发布会44场。")
    doc = run(text)
    facts = {f.raw: f for f in doc.facts}
    f = facts["30659条"]
    assert (f.key, f.metric, f.value, f.unit, f.period, f.scope, f.origin) == (
        "proactive.total", "主动公开政府信息", 30659, "条", "annual", "全市", "narrative")
    assert f.evidence.kind == "span" and f.evidence.source == "t.txt"
    assert facts["336207条"].period == "cumulative" and facts["336207条"].key == "proactive.total"
    assert facts["8647条"].scope == "市本级" and facts["8647条"].parent == "proactive.total"
    assert facts["100%"].key is None and facts["100%"].metric == "全文电子化率"
    assert facts["44场"].key == "press_conferences.total"
    for f in doc.facts:
        for e in (f.evidence, f.metric_evidence):
            if e is not None:
                assert text[e.start:e.end] == e.text


def test_share_of_a_count_gets_no_count_key():
    doc = run("主动公开政府信息4762条,占15.55%。")
    share = next(f for f in doc.facts if f.raw == "15.55%")
    assert share.metric == "主动公开政府信息" and share.key is None and share.unit == "%"


def test_unlinked_values_are_kept():
    doc = run("今年共办理30件。")
    assert [(f.metric, f.value, f.key) for f in doc.facts] == [("", 30, None)]


# ---- what is counted: channels, parts, cumulative, changes, units (real report sentences) --
def _facts_of(text: str):
    return {f.raw: f for f in run(text).facts if f.origin == "narrative" and not f.zero}


@pytest.mark.parametrize("text, raw, key, scope, period", [
    # a channel is not the total
    ("2021年,通过政府网站公开政府信息数65条,政务微信公开政府信息数635条。", "65条",
     "proactive.website", None, "annual"),  # page-064
    ("2021年,通过政府网站公开政府信息数65条,政务微信公开政府信息数635条。", "635条",
     "proactive.wechat", None, "annual"),  # page-064
    # a part is not the whole body
    ("全市共主动公开政府信息106144条,其中市本级主动公开76308条。", "76308条",
     "proactive.total", "市本级", "annual"),  # seed-003
    # the body itself (我街道) is the whole body
    ("截至2021年12月31日,我街道共主动公开政府信息数700条。", "700条",
     "proactive.total", None, "annual"),  # page-064
    # cumulative vs the report year summed up
    ("历年累计收到依申请公开3111条。", "3111条", "requests.new", None, "cumulative"),  # seed-000
    ("2023年,高楼乡累计发布各类信息90条。", "90条", "proactive.total", None, "annual"),  # page-022
])
def test_channels_parts_periods(text, raw, key, scope, period):
    f = _facts_of(text)[raw]
    assert (f.key, f.scope, f.period) == (key, scope, period)


@pytest.mark.parametrize("text, raw", [
    ("受疫情转段影响,申请量同比增长42.9%,主要集中在行政审批领域。", "42.9%"),  # page-097
    ("受理政府信息公开申请较上年增加5件。", "5件"),
    ("收到的依申请公开已办理并答复531条,待答复2条。", "2条"),  # seed-000: not 办理并答复
    # seed-004 (衡水 2017): a plan, not what was held
    ("编制了2017年衡水市新闻发布会发布计划,计划举行25场常规性新闻发布会。", "25场"),
])
def test_changes_and_other_metrics_get_no_key(text, raw):
    assert _facts_of(text)[raw].key is None


@pytest.mark.parametrize("text, raw, key", [
    ("全市共举办新闻发布会44场。", "44场", "press_conferences.total"),  # seed-000
    ("组织新闻发布会,参加新闻发布会25人次。", "25人次", "press_conferences.attendances"),
    ("举办各类培训班22次,培训相关人员217人次。", "217人次", "trainings.people"),  # page-103
])
def test_the_unit_decides_what_is_counted(text, raw, key):
    assert _facts_of(text)[raw].key == key


def test_parts_of_a_proactive_total_are_categories():
    # page-035
    text = "2015年度共主动公开政府信息339条。其中,政务动态类信息112条,占33.04%;统计信息146条。"
    facts = _facts_of(text)
    assert facts["339条"].key == "proactive.total"
    assert (facts["112条"].key, facts["112条"].parent, facts["112条"].key_score) == (
        "proactive.category", "proactive.total", 0.9)
    assert facts["33.04%"].key is None


def test_channel_words_in_traditional_script():
    from inference.normalise.context import channel_key

    ctx = default_rules().context

    text = "2010年根據市政府關於政府信息公開的要求,我辦及時、準確的在市政府入口網站和法制辦網站進行了主動公開信息27條。"  # page-053
    v = text.index("27條")
    assert channel_key(text, "proactive.total", text.index("主動公開信息"), v, ctx) == "proactive.website"
    assert channel_key(text, "requests.new", text.index("主動公開信息"), v, ctx) == "requests.new"
