"""Lists in a METRIC (inference/metric_lists.py; LABELS.md, "Lists"): real sentences of the
annotation sets (the set and task in the comment), with the model METRICs the default model
gave there, through the NER stage's combination (``ner.combine``)."""
import re

import pytest

from inference import ner
from inference.data import Span
from inference.errors import ConfigError
from inference.metric_lists import ListGrammar, lead_in, list_start
from inference.patterns import compile_patterns
from inference.rules import default_rules


def metrics_after(text: str, model_metrics: list[str], orgs: tuple[str, ...] = ()) -> list[str]:
    model = [Span(text.index(m), text.index(m) + len(m), m, "METRIC", 0.8, "model")
             for m in model_metrics]
    # an ORG at its last occurrence
    model += [Span(text.rindex(o), text.rindex(o) + len(o), o, "ORG", 0.8, "model") for o in orgs]
    spans = ner.combine(text, model, ner.rule_spans(text))
    for s in spans:
        assert text[s.start:s.end] == s.text
    return [s.text for s in spans if s.label == "METRIC"]


@pytest.mark.parametrize("text, model, expected", [
    # the lead-in verb 公开 stays in (gold-v2-j v2j-025)
    ("2022年,通过政府网站公开政府文件、政策解读、重大项目、预算决算、助企纾困、疫情信息、重点领域等信息35579条。",
     ["重点领域等信息"], ["公开政府文件、政策解读、重大项目、预算决算、助企纾困、疫情信息、重点领域等信息"]),
    # with 主动 before it (gold-v2-j v2j-014)
    ("按时更新网站内容,截至目前政府办公室主动公开最新要闻、视频新闻、公示公告、电子公文、政策文件等信息1254条。",
     ["视频新闻、公示公告、电子公文、政策文件等信息"],
     ["主动公开最新要闻、视频新闻、公示公告、电子公文、政策文件等信息"]),
    # a list ending in 等 right before its value; 累计 stays out, 印制 in (gold-v2-j v2j-014)
    ("翻印省“1+20”系列政策、市12个方面、69条稳经济政策措施和12个方面、75条推动创新发展措施,"
     "累计印制明白卡、书册、宣传扇、宣传彩页等50000份,由各行业监管及属地部门分门别类、精准发放。",
     ["宣传扇、宣传彩页"], ["印制明白卡、书册、宣传扇、宣传彩页"]),
    # after 的 (gold-v2-j v2j-016)
    ("环境保护信息公开20条,教育、科技、文化、卫生等重点热点内容的办事指南、工作动态信息公开268条。",
     ["工作动态信息公开"], ["办事指南、工作动态信息公开"]),
    # traditional script, an item after 及 (gold-v2-i v2i-010)
    ("(一)通過信用(蓬江)網依法公開投資建設項目基本信息、招標項目基本信息及項目招標核準意見、人防報建核準等信息27條。",
     ["項目招標核準意見、人防報建核準等信息"],
     ["公開投資建設項目基本信息、招標項目基本信息及項目招標核準意見、人防報建核準等信息"]),
    # an 等-list before a head that names the thing: the head alone (gold-v2-h v2h-017)
    ("全年通过政府网站、微信公众号等平台,依法、及时向社会公开政务要闻、政府文件、重大决策、便民服务等政府信息共计4891条,"
     "其中新制定行政规范性文件15件。",
     ["便民服务等政府信息", "新制定行政规范性文件"], ["政府信息", "新制定行政规范性文件"]),
])
def test_a_metric_that_opens_a_list_item_takes_in_the_list(text, model, expected):
    assert metrics_after(text, model) == expected


@pytest.mark.parametrize("text, model", [
    # each item has its own value (gold-v2-j v2j-003)
    ("全年主动公开政府信息643条,其中行政规范性文件9条,政策解读12条,政府文件19条,通知公告88条、建议提案8条、政府公报4条。",
     ["主动公开政府信息", "行政规范性文件", "政策解读", "政府文件", "通知公告", "建议提案", "政府公报"]),
    # respective values: 分别为, 均为 (gold-v1 page-134, gold-v2-e v2e-001)
    ("2022年,全省行政許可、行政處罰、行政強制決定數量分別為2764.2萬宗、3124萬宗和188.2萬宗;",
     ["行政許可", "行政處罰", "行政強制決定數量"]),
    ("2021年,我局组织办理人大代表建议1件、政协委员提案2件,现已全部办结,答复率、满意率均为100%。",
     ["办理人大代表建议", "政协委员提案", "答复率", "满意率"]),
    ("2021年,我局组织办理人大代表建议1件、政协委员提案2件,现已全部办结,答复率、满意率均为100%。",
     ["办理人大代表建议", "政协委员提案", "满意率"]),  # 均为 alone keeps it apart
    # an 等 that a head, not a value, follows (gold-v2-j v2j-012)
    ("及时规范公开发热门诊、核酸检测点、疫苗接种点等防疫服务信息3.7万条,及时回应公众咨询300万余件次。",
     ["疫苗接种点", "公众咨询"]),
    # 及 inside a word (涉及) opens no item (gold-v1 seed-000, gold-v2-e v2e-003)
    ("“漳州市医疗保障管理”微信公众号上推送医保政策信息19期,其中涉及医保扶贫相关内容有4期。",
     ["医保政策信息", "医保扶贫相关内容"]),
    ("2020年,我县收到政府信息公开书面申请12件;涉及信息公开行政复议1项,由遂宁市人民政府行政复议。",
     ["政府信息公开书面申请", "信息公开行政复议"]),
])
def test_items_that_stand_apart_stay_apart(text, model):
    assert metrics_after(text, model) == model


@pytest.mark.parametrize("orgs, expected", [
    (("区政府",), ["部门预、决算"]),         # the organisation bounds the list (gold-v1 seed-001)
    ((), ["区政府部门预、决算"]),            # without it the list reaches back to 了
])
def test_no_item_is_taken_across_an_organisation(orgs, expected):
    text = "除按有关保密规定不宜公开其资金使用情况的部门和单位外,2017年在区政府网站上公开了区政府部门预、决算64条。"
    assert metrics_after(text, ["决算"], orgs=orgs) == expected


@pytest.mark.parametrize("segment, start", [
    ("通过政府网站公开政府文件", 6),      # the keep verb
    ("截至目前政府办公室主动公开最新要闻", 9),  # with its prefix
    ("累计印制明白卡", 2),
    ("重点热点内容的办事指南", 7),        # after the stop word
    ("全市各单位发布通知公告", 7),        # the later of two stop words
    ("政务要闻", 0),                      # neither
])
def test_the_lead_in_of_a_list(segment, start):
    from inference.ner import patterns

    assert lead_in(segment, patterns().metric_lists) == start


def test_the_rule_is_off_without_its_section():
    text = "通过政府网站公开政府文件、重点领域等信息35579条。"
    span = Span(text.index("重点"), text.index("35579"), "重点领域等信息", "METRIC", 0.8, "model")
    assert list_start(text, 0, [span], ListGrammar(), frozenset({"COUNT"})) is not None
    from inference.metric_lists import join_lists

    assert join_lists(text, [span], ListGrammar(), frozenset({"COUNT"})) == [span]


def test_a_bad_list_pattern_names_its_key():
    cfg = {"metrics": {"lists": {"after": "(?:、"}}}
    with pytest.raises(ConfigError, match=re.escape("metrics.lists.after")):
        compile_patterns(cfg, default_rules().taxonomy)
