"""ORG boundaries of the model's spans (inference/org_bounds.py): real phrasings of reports
with the model's real cuts (issue 15: held-out reports and the corpus openings of
tests/data/corpus), each expecting the span after the correction."""
from __future__ import annotations

import pytest

from inference import ner, org_bounds
from inference.data import Span
from inference.gazetteer import gazetteer
from inference.glosses import pinyin_glosses
from inference.rules import default_rules

GRAMMAR = default_rules().patterns.org  # the org section of configs/patterns.yaml, as served


def _model(text: str, piece: str, label: str = "ORG", nth: int = 0) -> Span:
    at = -1
    for _ in range(nth + 1):
        at = text.index(piece, at + 1)
    return Span(at, at + len(piece), piece, label, 0.8, "model")


@pytest.mark.parametrize("text, pieces, expected", [
    # the place name cut off: the ORG starts where the division name starts
    ("本报告由周至县人民政府办公室编制", ["县人民政府办公室"], ["周至县人民政府办公室"]),
    ("平度市人民政府2023年政府信息公开工作年度报告", ["市人民政府"], ["平度市人民政府"]),
    ("疑问,请与理县人民政府办公室联系", ["县人民政府办公室"], ["理县人民政府办公室"]),
    ("的規定和樂山市人民政府辦公室", ["市人民政府辦公室"], ["樂山市人民政府辦公室"]),  # traditional script
    ("西藏自治區人民政府", ["區人民政府"], ["西藏自治區人民政府"]),
    # the place name read as a span of its own: one ORG
    ("根据甘肃省人民政府办公厅印发的", ["甘肃", "省人民政府办公厅"], ["甘肃省人民政府办公厅"]),
    # cut inside a suffix word: the ORG ends where the word ends (and starts at its place)
    ("丽江市人民政府信息公开工作年度报告", ["市人"], ["丽江市人民政府"]),
    ("可到吴起县档案馆查阅", ["吴起县档案"], ["吴起县档案馆"]),
    ("现公开区人民政府办公室", ["区人民政"], ["区人民政府"]),
    # division names written before the ORG join it (gold-v2 report openings)
    ("电视台秘书科联系(地址:吉林省白城市通榆县广播电视台", ["市通榆县广播电视台"],
     ["吉林省白城市通榆县广播电视台"]),
    ("2017年,通榆县广播电视台主动公开政府信息536条", ["广播电视台"], ["通榆县广播电视台"]),
    ("2016年北京市通州区玉桥街道办事处政府信息公开", ["玉桥街道办事处"],
     ["北京市通州区玉桥街道办事处"]),
    ("请与盐城市大丰区人民政府办公室联系", ["大丰区人民政府办公室"], ["盐城市大丰区人民政府办公室"]),
    # one end character completes the name; a tail after the last one is cut
    ("在市政府办公厅、市投资促进局等部门的指导下", ["市投资促进"], ["市投资促进局"]),
    ("市東城區建國門內大街6號海關總署辦公大樓", ["海關總"], ["海關總署"]),
    ("如对报告有任何疑问,请与邹桥乡党政办公室联系", ["邹桥乡党政办公室联"], ["邹桥乡党政办公室"]),
    ("我们成立了由局党委书记、局长任组长", ["局党委书记"], ["局党委"]),
    ("在由中国信息化研究与促进网联合工业和信息化部", ["中国信息化研究与促进网联"],
     ["中国信息化研究与促进网"]),
    # phrases no ORG ends in
    ("紧紧围绕县委、县政府中心工作及群众关注关切", ["县政府中"], ["县政府"]),
    ("2019年,泸州市人民政府信息公开工作以习", ["泸州市人民政府"], ["泸州市人民政府"]),
    ("2010年,文委政府信息中最为重要", ["文委政"], ["文委"]),
    ("2012年的南平市政府信息公开工作", ["南平市政府信息"], ["南平市政府"]),  # a tail, cut
    # two ORGs run together are cut apart
    ("省委省政府、市委市政府、县委县政府部署要求", ["县委县政府"], ["县委", "县政府"]),
    # ... but not at a level character inside a division name (v2i-015: 汉台 + 区信息中心)
    ("的通知》要求,由漢臺區信息中心編制,經漢臺區人民政府辦公室審定", ["漢臺區信息中心"],
     ["漢臺區信息中心"]),
    ("省商务厅、市政府办和安康日报等省市媒体", ["市政府办和安康日报"], ["市政府办", "安康日报"]),
    # the owner of a website or account is part of its name: no ORG
    ("完善了“延安市教育局”网站栏目模块设置", ["延安市教育局"], []),
    ("2023年,通過隨縣人民政府門戶網站主動發布", ["縣人民政府"], []),
    ("打造新版重庆市农业农村委员会政务网站", ["市农业农村委"], []),
    ("本报告全文在丽水市人民政府门户网站", ["丽水市人民政"], []),
    # a name never runs over a line
    ("定州市人民政府\n     \n    定州市文化廣電和旅遊局2020年", ["州市人民政府\n     \n    定州市文化廣電和旅遊局"],
     ["定州市人民政府", "定州市文化廣電和旅遊局"]),
    # nor holds a space (gold-v2-j v2j-017: two names of one issuer on one line)
    ("现公布广州市黄埔区人民政府 广州开发区管委会2022年政府信息公开", ["广州市黄埔区人民政府 广州开发区管委会"],
     ["广州市黄埔区人民政府", "广州开发区管委会"]),
    # a generic group of levels is no ORG
    ("统筹指导各县、区人民政府做好", ["区人民"], []),
    ("各乡、镇人民政府", ["镇人民政府"], []),
    # no ORG by itself, or no name's last character (dev errors of 2026-12-07, gold sets
    # page-118, page-030, page-071, v2f-036, page-076, v2e-008)
    ("局政策研究和信息科牵头,办公室、各业务科室按工作职责落实", ["办公室"], []),
    ("书记、局长兰爱平任组长,党委副书记王根科任副组长", ["党委"], []),
    ("公开领导小组第九次会议、中央国家机关政务公开工作座谈会", ["中央"], []),
    ("下屬單位圖書館、博物館、文化館作為對外的服務窗口", ["博物館", "文化館"], []),
    ("彻落实《条例》,紧紧围绕商务中心工作,进一步拓展信息", ["商务"], []),
    ("2022年,黃陂區在區委、區政府的正確領導下", ["黃陂區"], []),
    # names ending on 海关, 机关, 大学, 人大 and a trailing pinyin gloss stay
    ("现公布西南大学2014-2015学年政府信息公开", ["西南大学"], ["西南大学"]),
    ("由广州海关按规定审核", ["广州海关"], ["广州海关"]),
    ("向市人大常委会报告", ["市人大"], ["市人大"]),
    ("園區(qū)管委會(huì)編制了", ["園區(qū)管委會(huì)"], ["園區(qū)管委會(huì)"]),
    # an area word cut: the ORG starts where it starts (gold-v1 page-024, gold-v2-c v2c-017)
    ("2019年度,在示范区党工委、管委会的正确领导下,示范区教育局以习近平新时代中国特色社会主义思想为引领",
     ["区党工委", "区教育局"], ["示范区党工委", "示范区教育局"]),
    ("要求,结合开发区管委会信息公开工作有关统计数据撰写。", ["区管委会"], ["开发区管委会"]),
    # bare 新区 is no area word: 更新 + 区政府 (gold-v1 page-080)
    ("认真履行政务公开工作职责,及时更新区政府领导信息", ["区政府"], ["区政府"]),
    # already right, or a function word before a level character: unchanged
    ("由光山县人民政府办公室负责", ["光山县人民政府办公室"], ["光山县人民政府办公室"]),
    ("绕上级公安机关和县委、县政府工作要求", ["县委", "县政府"], ["县委", "县政府"]),
    ("严格按照《条例》和县政府总体要求", ["县政府"], ["县政府"]),
    ("各县(市)区、市政府各部门及各直属机构", ["市政府"], ["市政府"]),
    ("市政府办公室", ["市政府"], ["市政府"]),  # 政府 is a whole word: no extension to 办公室
])
def test_org_boundaries(text, pieces, expected):
    got = org_bounds.adjust(text, [_model(text, p) for p in pieces], GRAMMAR, glosses=pinyin_glosses(text))
    assert [s.text for s in got] == expected
    assert all(text[s.start:s.end] == s.text and s.label == "ORG" for s in got)


def test_an_extension_never_swallows_another_label():
    text = "丽江市人民政府"
    model = [_model(text, "丽江", "METRIC"), _model(text, "市人民政府")]
    assert [(s.label, s.text) for s in org_bounds.adjust(text, model, GRAMMAR)] == [
        ("METRIC", "丽江"), ("ORG", "市人民政府")]


@pytest.mark.parametrize("text, pos, start", [
    ("经周至县人民政府", 3, 1),      # 县 of 周至县
    ("经甘肃省人民政府", 2, 1),      # 肃 of 甘肃省
    ("经周至县人民政府", 1, None),   # the first character of a name: no move
    ("和县委", 1, None),            # 和县: a function word, no name
    ("理县人民政府", 1, 0),          # a one-character stem
])
def test_place_start(text, pos, start):
    g = gazetteer()
    gr = GRAMMAR
    assert org_bounds.place_start(text, pos, g, gr.place_min_chars, gr.place_not_first) == start


@pytest.mark.parametrize("text, pos, start", [
    ("结合开发区管委会", 4, 2),      # 区 of 开发区
    ("宣城高新区管委会", 4, 2),      # 区 of 高新区
    ("结合开发区管委会", 2, None),   # the first character of the word: no move
    ("及时更新区政府", 4, None),     # 新区 is not listed
])
def test_zone_start(text, pos, start):
    assert org_bounds.zone_start(text, pos, GRAMMAR.zones) == start


def test_combine_applies_the_corrections():
    text = "本报告由周至县人民政府办公室编制。"
    spans = ner.combine(text, [_model(text, "县人民政府办公室")], ner.rule_spans(text))
    assert [(s.label, s.text) for s in spans] == [("ORG", "周至县人民政府办公室")]


def test_without_suffix_words_only_the_place_rule_applies():
    gr = org_bounds.compile_org({})
    text = "丽江市人民政府信息公开工作年度报告"
    assert [s.text for s in org_bounds.adjust(text, [_model(text, "市人")], gr)] == ["丽江市人"]
    assert org_bounds.suffix_end(text, 2, 4, GRAMMAR.suffixes) == 7
