"""Model spans across pinyin glosses (inference/glosses.py), on real mirror-page phrasings
(gold sets v2h-025, v2i-015, v2k-007, v2j-019, v2k-002, v2f-029 of annotations/data)."""
from __future__ import annotations

import pytest

from inference import ner
from inference.glosses import join, pinyin_glosses
from tests.test_org_bounds import _model
from training.data import spans_inside


@pytest.mark.parametrize("text, pieces, expected", [
    # two spans of one label that a gloss alone separates: one span
    ("按照行署的部署,吐魯番地區(qū)公安局結(jié)合工作實際", [("吐魯番地區", "ORG"), ("公安局", "ORG")],
     [("ORG", "吐魯番地區(qū)公安局")]),
    ("網(wǎng)站發(fā)布政務(wù)公開信息372條", [("政務", "METRIC"), ("公開信息", "METRIC"),
                                            ("372條", "COUNT")],
     [("METRIC", "政務(wù)公開信息"), ("COUNT", "372條")]),
    ("雅安工業(yè)園區(qū)管委會(huì)編制了", [("雅安工業", "ORG"), ("園區", "ORG"), ("管委會", "ORG")],
     [("ORG", "雅安工業(yè)園區(qū)管委會(huì)")]),
    # a span that ends where a gloss starts takes it in
    ("內容分類看,機構職能4條,政策法規(guī)17條", [("政策法規", "METRIC"), ("17條", "COUNT")],
     [("METRIC", "政策法規(guī)"), ("COUNT", "17條")]),
    # a span that starts after a gloss starts where its word starts
    ("開平市衛(wèi)生健康局2020年度", [("生健康局", "ORG")], [("ORG", "衛(wèi)生健康局")]),
    ("條例》和國務(wù)院辦公廳的有關(guān)要求", [("院辦公廳", "ORG")], [("ORG", "國務(wù)院辦公廳")]),
    ("其中現(xiàn)場咨詢18人次", [("場咨詢", "METRIC"), ("18人次", "COUNT")],
     [("METRIC", "現(xiàn)場咨詢"), ("COUNT", "18人次")]),
    # two labels across a gloss stay apart; a word that starts after the gloss stays
    ("2012年度政府信息公開(kāi)工作報告", [("2012年度", "DATE")], [("DATE", "2012年度")]),
    ("主動公開(kāi)政府信息63條", [("政府信息", "METRIC"), ("63條", "COUNT")],
     [("METRIC", "政府信息"), ("COUNT", "63條")]),
])
def test_spans_across_glosses(text, pieces, expected):
    glosses = pinyin_glosses(text)
    assert glosses, "the noise rules find the glosses"
    got = join(text, [_model(text, p, lab) for p, lab in pieces], glosses)
    assert [(s.label, s.text) for s in got] == expected
    assert all(text[s.start:s.end] == s.text for s in got)


def test_without_glosses_nothing_changes():
    text = "吐魯番地區公安局"
    spans = [_model(text, "吐魯番地區"), _model(text, "公安局")]
    assert join(text, spans, []) == spans


def test_the_ner_stage_joins_and_gold_across_a_gloss_is_scored():
    text = "請與吐魯番地區(qū)公安局辦公室聯(lián)系。"
    glosses = pinyin_glosses(text)
    spans = ner.combine(text, [_model(text, "吐魯番地區"), _model(text, "公安局辦公室")],
                        ner.rule_spans(text), glosses=glosses)
    assert [(s.label, s.text) for s in spans] == [("ORG", "吐魯番地區(qū)公安局辦公室")]
    regions = ner._without([(0, len(text))], [(s, e, "pinyin") for s, e in glosses])
    gold = [_model(text, "吐魯番地區(qū)公安局辦公室")]
    assert spans_inside(gold, regions) == []  # the model's regions leave the glosses out
    assert spans_inside(gold, regions, glosses) == gold
