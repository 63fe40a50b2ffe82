"""Model spans across pinyin glosses (inference/glosses.py), on real mirror-page phrasings
(gold sets v2h-025, v2i-015, v2k-007, v2j-019, v2k-002, v2f-029 of annotations/data)."""
from __future__ import annotations

import pytest

from inference import ner
from inference.glosses import from_view, join, model_view, pinyin_glosses
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


class _Reader:
    """A tagger that records what it reads and tags every ``METRIC`` string it is given."""

    model_version, labels = "reader", ["METRIC"]

    def __init__(self, metrics):
        self.metrics, self.read = metrics, []

    def predict_entities(self, texts, regions):
        out = []
        for t, regs in zip(texts, regions):
            self.read += [t[s:e] for s, e in regs]
            out.append([_model(t, m, "METRIC") for m in self.metrics if m in t])
        return out


@pytest.mark.parametrize("text, reads, metric, expected", [
    # the gloss alone splits a word: the model reads it whole and its span holds the gloss
    ("職能4條,規(guī)劃計劃14條,業(yè)務工作16條", ["職能4條,規劃計劃14條,業務工作16條"], "規劃計劃",
     "規(guī)劃計劃"),
    ("統(tǒng)計數(shù)據(jù)0條,其他信息15條", ["統計數據0條,其他信息15條"], "統計數據", "統(tǒng)計數(shù)據(jù)"),
    # a span that ends before a gloss still takes it in (inference.glosses.join)
    ("機構職能4條,政策法規(guī)17條", ["機構職能4條,政策法規17條"], "政策法規", "政策法規(guī)"),
])
def test_the_model_reads_the_text_without_its_glosses(text, reads, metric, expected):
    glosses = pinyin_glosses(text)
    tagger = _Reader([metric])
    spans = ner.predict_spans(text, tagger, glosses=glosses)
    assert tagger.read == reads
    assert ("METRIC", expected) in [(s.label, s.text) for s in spans]
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_model_view_and_back():
    text = "政策法規(guī)17條\n規(guī)劃"
    glosses = pinyin_glosses(text)
    regions = ner._without([(0, 12), (13, len(text))], [(s, e, "pinyin") for s, e in glosses])
    plain, regs, where = model_view(text, regions, glosses)
    assert plain == "政策法規17條\n規劃" and regs == [(0, 7), (8, 10)]  # the newline stays
    back = from_view(text, [_model(plain, "法規17"), _model(plain, "規劃")], where)
    assert [s.text for s in back] == ["法規(guī)17", "規(guī)劃"]
    assert all(text[s.start:s.end] == s.text for s in back)


def test_the_org_rules_read_the_text_without_its_glosses():
    """v2i-015: the place name 漢臺區 is found across its gloss, so the ORG stays whole."""
    text = "要求,由漢臺區(qū)信息中心編制,經漢臺區(qū)人民政府辦公室審定而成。"
    glosses = pinyin_glosses(text)
    model = [_model(text, "漢臺區(qū)信息中心"), _model(text, "漢臺區(qū)人民政府辦公室")]
    spans = ner.combine(text, model, ner.rule_spans(text), glosses=glosses)
    assert [(s.label, s.text) for s in spans] == [("ORG", "漢臺區(qū)信息中心"),
                                                  ("ORG", "漢臺區(qū)人民政府辦公室")]
