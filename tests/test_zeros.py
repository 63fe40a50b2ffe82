"""Zeros stated in words (inference/normalise/zeros.py). Sentences from real reports; the
comment names the gold-v1 / corpus document."""
import pytest

from inference.normalise.zeros import find_zeros, zero_facts
from inference.rules import default_rules

R = default_rules()


@pytest.mark.parametrize("sentence, keys", [
    ("本单位2015年未收到政府信息公开申请。", ["requests.new"]),  # page-035
    # tests/data/unseen (湛江 2023): a licence application is no disclosure request
    ("2023年,我办全年未收到行政许可申请;全年未接到信息公开申请;各栏目共刊发文稿44篇。",
     ["requests.new"]),
    ("2015年度,本单位没有向依申请公开对象收取复印、传真、递送等任何费用,也无减免情况。",
     ["request_fees.amount", "request_fees.waived"]),  # page-035
    ("全年未接到公民、法人和其他組織提出的政府信息公開申請。", ["requests.new"]),  # page-053 (traditional)
    ("我辦2010年度未發生針對本部門有關政府信息公開事務的行政複議案件和行政訴訟案件。",
     ["review.total", "litigation.total"]),  # page-053 (traditional)
    ("全年未涉及政府信息公開的收費及減免情況。", ["request_fees.amount", "request_fees.waived"]),  # page-053
    ("2022年,我局未收到政府信息公开申请,无上年结转政府信息公开申请。",
     ["requests.new", "requests.carried_over"]),  # page-118
    ("2023年我乡收到依申请公开件1件,均在规定时间内规范答复,未出现被行政诉讼、行政复议情况。",
     ["litigation.total", "review.total"]),  # page-022
    ("街道未向公民、法人和其他组织收取任何与政府信息公开工作相关的费用;", ["request_fees.amount"]),  # page-064
    ("街道未发生有关政府信息公开工作的举报、投诉、行政复议或提起行政诉讼等情况。",
     ["review.total", "litigation.total"]),  # page-064
    ("其他1件(申请人自主撤销)。无下年度结转。", ["requests.carried_forward"]),  # page-001
    ("均严格执行《条例》和相关规定,未向申请人收费。", ["request_fees.amount"]),  # page-097
    # negation scope and hedges: no zero
    ("上述申请已全部按时答复到位,有效保障了公民的知情权。", []),  # page-046
    ("收到申请58件,未全部办结。", []),
    ("对未能按时答复的申请及时说明理由。", []),
    ("本机关不掌握相关政府信息无法提供2件。", []),
    ("2022年,区政府办公室共收到8份政府信息公开申请,均为自然人申请。", []),  # page-001
    ("受理依申请公开信息共0件。", []),  # page-116: a 0 written as a figure is a value span, not a statement
])
def test_zero_statements(sentence, keys):
    assert sorted(z.key for z in find_zeros(sentence, R.zeros)) == sorted(keys)


def test_zero_facts_carry_the_statement_as_evidence():
    text = "一、概述\n我辦2010年度未發生針對本部門有關政府信息公開事務的行政複議案件和行政訴訟案件。"  # page-053
    facts = zero_facts(text, "page-053", [(0, len(text))], R.zeros, R.taxonomy)
    assert [(f.key, f.value, f.zero, f.key_score) for f in facts] == [
        ("review.total", 0.0, True, 1.0), ("litigation.total", 0.0, True, 1.0)]
    for f in facts:
        for e in (f.evidence, f.metric_evidence):
            assert text[e.start:e.end] == e.text
    assert facts[1].evidence.text.startswith("未發生") and facts[1].metric.endswith("行政訴訟")
