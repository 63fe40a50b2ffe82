"""ner stage: patterns (tables of examples), exclusions, model + rule combination, regions."""
from __future__ import annotations

import pytest

from inference import metric_rules, ner, ner_model, org_bounds
from inference.data import Block, Span
from inference.load import from_text


def rule_only(text: str) -> list[tuple[str, str]]:
    return [(s.label, s.text) for s in ner.predict_spans(text, None)]


@pytest.mark.parametrize("text, expected", [
    ("全市共主动公开政府信息30659条,全文电子化率100%。", [("COUNT", "30659条"), ("PERCENT", "100%")]),
    ("各类政府信息近8.1万条,其中", [("COUNT", "近8.1万条")]),
    ("发布信息1100多条。", [("COUNT", "1100多条")]),
    ("印发宣传册5000余册。", [("COUNT", "5000余册")]),
    ("接待群众1432人次。", [("COUNT", "1432人次")]),
    ("共1,234件。", [("COUNT", "1,234件")]),
    ("累计主动公开政府信息\n5928\n条,", [("COUNT", "5928")]),  # unit pushed to the next line
    ("网上可办率达91.96%。", [("PERCENT", "91.96%")]),
    ("解读率达到90%以上,", [("PERCENT", "90%以上")]),
    ("增长了5个百分点。", [("PERCENT", "5个百分点")]),
    ("收取费用7832万元。", [("MONEY", "7832万元")]),
    ("收费0元。", [("MONEY", "0元")]),
    ("统计期限自2018年1月1日至2018年12月31日。", [("DATE", "2018年1月1日"), ("DATE", "2018年12月31日")]),
    ("截至2018年12月底,", [("DATE", "2018年12月底")]),
    ("编制2020年度报告", [("DATE", "2020年度")]),
    ("发文日期2019-02-24", [("DATE", "2019-02-24")]),
    ("6月,市政府办", [("DATE", "6月")]),
    ("(国办发〔2018〕23号)", [("DOCNO", "国办发〔2018〕23号")]),
    ("(闽政办〔2018〕43 号)要求", [("DOCNO", "闽政办〔2018〕43 号")]),
    ("(国务院令第711号)", [("DOCNO", "国务院令第711号")]),
    ("(国务院第492号令)", [("DOCNO", "国务院第492号令")]),
    ("(琼政务公开协办[2016]69号)", [("DOCNO", "琼政务公开协办[2016]69号")]),
    ("根据《中华人民共和国政府信息公开条例》(以下简称《条例》)",
     [("DOC", "《中华人民共和国政府信息公开条例》"), ("DOC", "《条例》")]),
    ("国办《2018 年政务公开工作要点》", [("DOC", "《2018 年政务公开工作要点》")]),
])
def test_patterns_find_values_and_references(text, expected):
    got = [x for x in rule_only(text) if x[0] != "METRIC"]
    assert got == expected


@pytest.mark.parametrize("text", [
    "拨打12345热线反映问题。",        # number inside a name
    "开展第二期培训。",                # ordinal
    "电话:0596-2026675,传真:0596-2025068",  # phone numbers
    "邮编:363000",                     # postcode
    "1.推进政府工作公开透明。",         # section number
    "投资亿元以上的项目",               # threshold
    "投资1亿元以上的项目",              # threshold with a number
    "在20个工作日内答复",               # a deadline, not a count
    "报告由六部分组成。",               # descriptive
    "实行24小时不间断服务",             # incidental quantity
])
def test_exclusions_give_no_values(text):
    assert not [x for x in rule_only(text) if x[0] in ("COUNT", "PERCENT", "MONEY")]


def test_newspaper_in_brackets_is_not_a_doc():
    assert not [x for x in rule_only("通过《闽南日报》和漳州电视台公开") if x[0] == "DOC"]


def test_chinese_numeral_counts_need_the_model():
    text = "召开2场乡镇便民服务中心工作现场会和一场县级行政服务中心现场会"
    assert ("COUNT", "一场") not in rule_only(text)
    i = text.index("一场")

    class Agrees:
        model_version, labels = "t", ("COUNT",)

        def predict_entities(self, texts):
            return [[Span(i, i + 2, "一场", "COUNT", 0.9, "model")] for _ in texts]

    spans = ner.predict_spans(text, Agrees())
    assert [(s.label, s.text, s.source) for s in spans] == [
        ("COUNT", "2场", "rule"), ("COUNT", "一场", "rule")]


class FakeTagger:
    """Returns fixed spans for a fixed text (offsets into the text it is given)."""

    model_version, labels = "fake", ("METRIC", "COUNT", "ORG")

    def __init__(self, spans_by_text):
        self.spans_by_text = spans_by_text
        self.calls = []

    def predict_entities(self, texts):
        self.calls.append(list(texts))
        return [list(self.spans_by_text.get(t, [])) for t in texts]


def test_combination_policy():
    text = "市政府，全市共主动公开政府信息30659条，市本级1658。"
    m = text.index("主动公开")
    model = [
        # METRIC running into the number: cut at the rule COUNT
        Span(m, text.index("条"), text[m:text.index("条")], "METRIC", 0.8, "model"),
        # COUNT with a wrong boundary: the rule span stands
        Span(text.index("30659"), text.index("30659") + 3, "306", "COUNT", 0.7, "model"),
        # a bare count the patterns miss: kept
        Span(text.index("1658"), text.index("1658") + 4, "1658", "COUNT", 0.9, "model"),
        # trailing punctuation is trimmed
        Span(0, 4, text[0:4], "ORG", 0.6, "model"),
    ]
    from dataclasses import replace as dc_replace

    fill = dc_replace(ner.patterns(), model_fill=None)  # the model may add every label
    spans = ner.combine(text, FakeTagger({text: model}).predict_entities([text])[0],
                        ner.rule_spans(text, None, fill), fill)
    got = [(s.label, s.text, s.source) for s in spans]
    assert ("METRIC", "主动公开政府信息", "model") in got
    assert ("COUNT", "30659条", "rule") in got
    assert ("COUNT", "1658", "model") in got
    assert ("ORG", "市政府", "model") in got
    assert not any(t == "306" for _, t, _ in got)
    for s in spans:
        assert text[s.start:s.end] == s.text
        assert s.text == s.text.strip("，。,;；、 ")


def test_model_owns_metric_rules_only_metric_is_dropped():
    text = "网上可办率达91.96%。"
    assert ("METRIC", "网上可办率") in rule_only(text)
    spans = ner.predict_spans(text, FakeTagger({}))
    assert [(s.label, s.text) for s in spans] == [("PERCENT", "91.96%")]


def test_rule_metric_needs_a_value_in_its_sentence():
    assert not [x for x in rule_only("做好主动公开政府信息工作。") if x[0] == "METRIC"]
    assert ("METRIC", "主动公开政府信息") in rule_only("主动公开政府信息30659条。")


def test_tag_reads_only_narrative_blocks_and_numbers_ids():
    text = "概述\n全市受理申请27件。\n| 申请 | 27件 |\n"
    doc = from_text(text)
    n0, n1 = text.index("全市"), text.index("\n|")
    t0 = text.index("|")
    doc.blocks = [Block("heading", 0, 2), Block("narrative", n0, n1), Block("table", t0, len(text))]
    tagger = FakeTagger({})
    out = ner.tag(doc, tagger)
    assert [s.text for s in out.entities if s.label == "COUNT"] == ["27件"]
    assert out.entities[0].start == text.index("27件")
    assert [s.id for s in out.entities] == [f"T{i + 1}" for i in range(len(out.entities))]
    assert all(n0 <= s.start and s.end <= n1 for s in out.entities)


def test_tag_without_blocks_skips_chrome():
    text = "分享到 字号 30件\n全市受理申请27件。"
    doc = from_text(text)
    doc.chrome = [(0, text.index("\n"))]
    out = ner.tag(doc, None)
    assert [s.text for s in out.entities if s.label == "COUNT"] == ["27件"]


def test_tagger_with_regions_gets_one_call_for_many_documents():
    class RegionTagger(FakeTagger):
        def predict_entities(self, texts, regions=None):
            self.calls.append((list(texts), regions))
            return [[] for _ in texts]

    tg = RegionTagger({})
    docs = [from_text("全市受理申请27件。"), from_text("办结20件。")]
    out = ner.tag_many(docs, tg)
    assert len(tg.calls) == 1 and tg.calls[0][1] == [[(0, 10)], [(0, 6)]]
    assert [[s.text for s in d.entities] for d in out] == [["27件"], ["20件"]]


def test_expand_leaves_quantifiers_and_rejects_unknown_defs():
    assert ner.expand("{a}{1,3}", {"a": "x"}, {}) == "x{1,3}"
    assert ner.expand("{units.u}", {}, {"u": ["条", "人次"]}) == "(?:人次|条)"
    with pytest.raises(Exception):
        ner.expand("{nope}", {}, {})


def test_model_fill_limits_which_labels_the_model_may_add():
    from dataclasses import replace as dc_replace

    text = "办理市本级1658,印发实施方案。"
    model = [Span(5, 9, "1658", "COUNT", 0.9, "model"), Span(11, 15, "实施方案", "DOC", 0.6, "model")]
    rules = ner.rule_spans(text)
    everything = ner.combine(text, model, rules, dc_replace(ner.patterns(), model_fill=None))
    assert {s.label for s in everything} == {"COUNT", "DOC"}
    assert ner.combine(text, model, rules) == []  # the shipped config: rules own these labels
    only_counts = dc_replace(ner.patterns(), model_fill=frozenset({"COUNT"}))
    assert [(s.label, s.text) for s in ner.combine(text, model, rules, only_counts)] == [("COUNT", "1658")]


def _model_span(text: str, piece: str, label: str) -> Span:
    s = text.index(piece)
    return Span(s, s + len(piece), piece, label, 0.8, "model")


@pytest.mark.parametrize("text, piece, label, kept", [
    ("共收到申请8件。", "申请", "METRIC", True),          # a value in the sentence
    ("做好主动公开工作。共收到8件。", "主动公开", "METRIC", False),  # its sentence has no value
    ("共收到申请8件。", "收", "METRIC", False),           # one-character fragment
    ("县政府收到申请8件。", "县政府", "ORG", True),        # ORG needs no value
    ("县政府收到申请8件。", "县", "ORG", False),           # one-character fragment
])
def test_model_spans_follow_the_label_rules(text, piece, label, kept):
    spans = ner.combine(text, [_model_span(text, piece, label)], ner.rule_spans(text))
    assert ((label, piece) in [(s.label, s.text) for s in spans]) is kept


# ---- combine in one sweep (issue 19: it compared every pair) -----------------------------

def _pairwise_combine(text, model, rules, pats):
    """The pairwise combine of before issue 19, kept as the oracle of the sweep."""
    from dataclasses import replace

    def overlaps(a, b):
        return a.start < b.end and b.start < a.end

    model = org_bounds.adjust(text, model, pats.org)
    kept_rules = [s for s, r in rules if not r.rules_only and (
        not r.weak or any(m.label == s.label and overlaps(m, s) for m in model))]
    out = list(kept_rules)
    min_chars = dict(pats.model_min_chars)
    for m in sorted(model, key=lambda x: (x.start, x.end)):
        s, e = ner.trim_span(text, m.start, m.end, pats.trim_chars)
        if e - s < max(1, min_chars.get(m.label, 1)):
            continue
        m = replace(m, start=s, end=e, text=text[s:e], source=m.source or "model")
        hits = [r for r in kept_rules if overlaps(m, r)]
        if (not hits and pats.model_fill is not None and m.label not in pats.model_labels
                and m.label not in pats.model_fill):
            continue
        if hits:
            if m.label not in pats.model_labels:
                continue
            m = ner._cut_outside(text, m, hits, pats.trim_chars)
            if m is None:
                continue
        if any(overlaps(m, o) for o in out):
            continue
        out.append(m)
    return metric_rules.correct(text, out, pats)


@pytest.mark.parametrize("seed", ["seed-000", "seed-002", "seed-003"])
def test_combine_sweep_gives_what_pairwise_comparison_gave(seed_texts, seed):
    """Model spans made to collide with the rule spans in every way (inside, across,
    touching, same label or not) on real reports: the same result as the pairwise loop."""
    import random

    text = seed_texts[seed]
    pats = ner.patterns()
    rules = ner.rule_spans(text)
    rng = random.Random(seed)
    labels = sorted({s.label for s, _ in rules} | {"METRIC", "ORG"})
    model = []
    for s, _ in rules:
        for _ in range(2):
            a = max(0, s.start + rng.randint(-6, 4))
            b = min(len(text), max(a + 1, s.end + rng.randint(-3, 8)))
            model.append(Span(a, b, text[a:b], rng.choice(labels), 0.7, "model"))
    got = ner.combine(text, model, rules, pats)
    assert got == _pairwise_combine(text, model, rules, pats)
    assert len(got) > len(rules) // 2


class RegionTagger:
    """Tags every 主动公开政府信息 inside the regions it is given as METRIC; records how
    many region characters each call reads."""

    model_version, labels = "fake", ("METRIC",)

    def __init__(self):
        self.read = []

    def predict_entities(self, texts, regions=None):
        out = []
        for t, regs in zip(texts, regions):
            self.read.append(sum(e - s for s, e in regs))
            spans = []
            for s, e in regs:
                k = t.find("主动公开政府信息", s, e)
                while k >= 0 and k + 8 <= e:
                    spans.append(Span(k, k + 8, t[k:k + 8], "METRIC", 0.9, "model"))
                    k = t.find("主动公开政府信息", k + 8, e)
            out.append(spans)
        return out


@pytest.mark.parametrize("lines, one_line", [(3, False), (12000, False), (12000, True)])
def test_a_long_text_is_read_by_the_model_in_bounded_chunks(lines, one_line):
    sentence = "全市共主动公开政府信息30659条。"
    text = ("" if one_line else "\n").join([sentence] * lines)
    regions = [(0, len(text))] if one_line else [
        (k * (len(sentence) + 1), k * (len(sentence) + 1) + len(sentence)) for k in range(lines)]
    tagger = RegionTagger()
    (spans,) = ner.model_spans_many([text], tagger, [regions])
    assert max(tagger.read) <= ner_model.MODEL_CHUNK_CHARS
    assert sum(tagger.read) == sum(e - s for s, e in regions)
    assert all(text[s.start:s.end] == s.text == "主动公开政府信息" for s in spans)
    assert len(spans) >= lines - len(tagger.read)  # a cut region may split one phrase


@pytest.mark.parametrize("line, expected", [
    # LABELS.md: a 来源 or 发布机构 line keeps its ORG and DATE (gold-v1 page-042, page-149,
    # seed-003, seed-004, page-104; the raw lines of gold-v2-l v2l-011, -m v2m-007)
    ("发布日期: 2021-01-27 10:19      来源: 区财政局", [("DATE", "2021-01-27"), ("ORG", "区财政局")]),
    ("来源:市交通运输局 时间:2017-01-12 08:58", [("ORG", "市交通运输局"), ("DATE", "2017-01-12")]),
    ("发布机构市政府办公室 发文日期2019-02-24", [("ORG", "市政府办公室"), ("DATE", "2019-02-24")]),
    ("主 题 词: 发布日期: 2018年02月06日", [("DATE", "2018年02月06日")]),
    ("投稿:正阳县人民政府  来源:时间:2015年03月30日", [("ORG", "正阳县人民政府"), ("DATE", "2015年03月30日")]),
    ("發布機構: 衡水市政府辦公室 文  號:", [("ORG", "衡水市政府辦公室")]),
    ("发布机构: 市气象局 成文日期: 2025-01-16", [("ORG", "市气象局"), ("DATE", "2025-01-16")]),
    # no ORG: a website, a bare 办公室, 本站原创, a bare place (信息来源:正阳镇)
    ("发布来源:国家卫生健康委员会网站 发布时间:2025-01-24 16:55:49", [("DATE", "2025-01-24")]),
    ("来源:中国电子政务网 更新时间:2012-06-05", [("DATE", "2012-06-05")]),
    ("时间:2023-01-19 20:23 来源:办公室", [("DATE", "2023-01-19")]),
    ("作者:本站原创 | 来源:本站原创 | 时间:2019-01-18 点击数:- 分享到:", [("DATE", "2019-01-18")]),
    ("信息来源:正阳镇 作者:佚名 发布时间:2022-01-26 16:32", [("DATE", "2022-01-26")]),
])
def test_source_and_date_lines_outside_the_model_text_keep_their_org_and_date(line, expected):
    text = line + "\n全年主动公开政府信息20条。"
    regions = [(len(line) + 1, len(text))]  # the model reads the narrative, not the header
    got = [s for s, rule in ner.rule_spans(text, regions) if rule.header]
    assert [(s.label, s.text) for s in got] == expected
    assert all(text[s.start:s.end] == s.text and s.end <= len(line) for s in got)
    # inside the text the model reads the header rules do not run
    assert not [s for s, rule in ner.rule_spans(text, [(0, len(text))]) if rule.header]
