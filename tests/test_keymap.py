"""Narrative METRIC phrase -> taxonomy key (inference/normalise/keymap.py).

Phrases as written in real reports; the comment names the corpus document (gold-v1 ids,
annotations/data/gold-v1) they come from. Traditional-script phrases map like simplified ones.
"""
import pytest

from inference.normalise.keymap import Bank, map_metric, rule_key
from inference.rules import default_rules

KM = default_rules().keymap


@pytest.mark.parametrize("metric, key", [
    ("主动公开政府信息", "proactive.total"),            # seed-000
    ("主動公開政府信息", "proactive.total"),            # page-051 (traditional)
    ("公开各类政府信息", "proactive.total"),            # page-138
    ("收到依申请公开", "requests.new"),                 # seed-000
    ("受理依申请公开信息", "requests.new"),             # seed-001
    ("辦理依申請公開", "requests.new"),                 # page-063 (traditional)
    ("依申請公開", "requests.new"),                     # page-160 (traditional)
    ("受理政府信息公开申请", "requests.new"),           # page-161
    ("接到政府信息公开申请", "requests.new"),           # page-069
    ("当面申请", "requests.channel.in_person"),          # seed-000
    ("网络申请", "requests.channel.online"),             # seed-000
    ("信函申请", "requests.channel.letter"),             # seed-000
    ("上年结转", "requests.carried_over"),              # page-085
    ("上年度结转政府信息公开申请", "requests.carried_over"),  # page-007
    ("结转下年度继续办理", "requests.carried_forward"),  # seed-002
    ("办结政府信息公开申请", "requests.closed"),         # seed-002
    ("办理并答复", "requests.replied"),                 # seed-000
    ("同意公开", "requests.outcome.disclosed"),          # seed-000
    ("部分公开", "requests.outcome.partial"),            # seed-000
    ("不予公开", "requests.outcome.withheld"),           # seed-000
    ("无法提供", "requests.outcome.unavailable"),        # page-084
    ("不予处理", "requests.outcome.not_processed"),      # page-058
    ("被申请行政复议", "review.total"),                 # seed-000
    ("被提起行政诉讼", "litigation.total"),             # seed-000
    ("行政複議", "review.total"),                       # page-053 (traditional)
    ("行政訴訟", "litigation.total"),                   # page-053 (traditional)
    ("新闻发布会", "press_conferences.total"),          # seed-000
    ("常规性新闻发布会", "press_conferences.total"),    # seed-004
    ("政策解读稿件", "interpretations.total"),          # page-069
    ("文字解读材料", "interpretations.text"),           # seed-002
    ("视频解读", "interpretations.video"),              # seed-002
    ("办结率", "requests.closed_rate"),                 # page-128
    ("回应热点事件或舆情", "responses.hot_topics"),      # page-069
    ("政务公开会议", "meetings.total"),                 # seed-000
    ("各类政务公开培训班", "trainings.sessions"),        # seed-000
    ("培训相关人员", "trainings.people"),               # page-103
    ("制发行政规范性文件", "normative_docs.issued"),     # page-055
    ("官方微博", "proactive.weibo"),                    # page-163
    ("政府公报", "proactive.gazette"),                  # page-136
    ("微博微信稿件", "proactive.weibo_wechat"),          # page-138
    # no key: other metrics, and parts whose parent row decides (within)
    ("網上可辦率", None),
    ("处理网上投诉", None),                             # page-069
    ("待答复", None),                                   # seed-000
    ("维持具体行政行为", None),                         # seed-000
    ("其他情形", None),                                 # seed-003 (not 其他 after trimming)
    ("公开采购项目公告", None),                         # seed-000
    ("", None),
])
def test_metric_to_key(metric, key):
    choice = map_metric(metric, KM)
    assert choice.key == key
    assert (choice.score is None) == (key is None)
    if key:
        assert 0 < choice.score <= 1


@pytest.mark.parametrize("metric, how, score", [
    ("受理依申请公开信息", "synonym", 1.0),
    ("受理政府信息公开申请件", "trimmed", 0.95),   # seed-002: a trailing 件 trimmed
])
def test_rule_steps(metric, how, score):
    c = rule_key(metric, KM)
    assert (c.how, c.score) == (how, score)


def test_learned_bank_nearest_and_no_key_neighbours():
    bank = Bank.build([("收到依申请公开", "requests.new"), ("待答复", None),
                       ("主动公开政府信息", "proactive.total")], KM.cells)
    key, score, phrase = bank.nearest("收到依申請公開件")  # traditional script, one more char
    assert (key, phrase) == ("requests.new", "收到依申请公开") and score > 0.85
    assert bank.nearest("待答复")[0] is None
    # a phrase nearest to a no-key phrase stays unkeyed even when the score is high
    assert map_metric("待答复", KM, bank=bank).key is None
