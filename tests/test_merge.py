"""merge: narrative and table facts in one list, agree / conflict with warnings."""
from __future__ import annotations

import pytest

from inference.data import Evidence, Fact
from inference.merge import last_place, merge, values_agree
from inference.rules import default_rules

MR = default_rules().merge


def table(key, value, unit="条", period="annual", scope=None, applicant=None):
    return Fact(key=key, metric="主动公开文件数", value=value, unit=unit, period=period, scope=scope,
                applicant=applicant, origin="table", table="t1",
                evidence=Evidence("cell", str(value), 100, 105, table="t1", row=3, col=2))


def narr(key, value, raw, unit="条", period="annual", scope="全市", approx=False, bound=None):
    return Fact(key=key, metric="主动公开政府信息", value=value, unit=unit, raw=raw, approx=approx,
                bound=bound, period=period, scope=scope, origin="narrative",
                evidence=Evidence("span", raw, 10, 10 + len(raw)))


def test_agreement_is_marked_on_both():
    facts, warns = merge([table("proactive.total", 30659)], [narr("proactive.total", 30659, "30659条")], MR)
    assert [f.agreement for f in facts] == ["agree", "agree"]
    assert [f.origin for f in facts] == ["table", "narrative"]
    assert warns == []


def test_conflict_warns_with_both_values_and_evidence():
    facts, warns = merge([table("proactive.total", 30650)], [narr("proactive.total", 30659, "30659条")], MR)
    assert [f.agreement for f in facts] == ["conflict", "conflict"]
    (w,) = warns
    assert w.code == "fact_conflict" and (w.start, w.end) == (10, 16)
    assert "30659" in w.message and "30650" in w.message and "row 3 col 2" in w.message


@pytest.mark.parametrize("t_kw, n_kw", [
    ({"period": "cumulative"}, {}),                 # other period
    ({}, {"scope": "市本级"}),                        # other scope
    ({"applicant": "自然人"}, {}),                     # one applicant column of the request table
    ({"unit": "%"}, {}),                            # incomparable units
])
def test_not_compared(t_kw, n_kw):
    facts, warns = merge([table("proactive.total", 1, **t_kw)], [narr("proactive.total", 30659, "30659条", **n_kw)],
                          MR)
    assert [f.agreement for f in facts] == [None, None] and warns == []


def test_facts_without_key_are_left_alone_and_inputs_untouched():
    t, n = table("proactive.total", 5), narr(None, 5, "5条")
    facts, _ = merge([t], [n], MR)
    assert facts[1].agreement is None and t.agreement is None and n.agreement is None


@pytest.mark.parametrize("raw, value, approx, bound, table_value, ok", [
    ("近8.1万条", 81000, True, "upper", 80950, True),
    ("近8.1万条", 81000, True, "upper", 81200, False),
    ("近8.1万条", 81000, True, "upper", 60000, False),
    ("1100多条", 1100, True, "lower", 1150, True),
    ("1100多条", 1100, True, "lower", 1000, False),
    ("1100多条", 1100, True, "lower", 1250, False),
    ("约300条", 300, True, None, 310, True),
    ("300条", 300, False, None, 301, False),
])
def test_approximate_values(raw, value, approx, bound, table_value, ok):
    n = narr("proactive.total", value, raw, approx=approx, bound=bound)
    assert values_agree(n, table("proactive.total", table_value), 0.05, MR.taxonomy) is ok


def test_money_compared_in_yuan():
    t = table("fees.amount", 7832, unit="万元")
    n = narr("fees.amount", 78320000, "7832万元", unit="yuan")
    facts, warns = merge([t], [n], MR)
    assert facts[1].agreement == "agree" and not warns


@pytest.mark.parametrize("x, place", [(1100, 100), (81000, 1000), (7, 1), (8.5, 1), (0, 1)])
def test_last_place(x, place):
    assert last_place(x) == place


@pytest.mark.parametrize("unit, value, base", [
    ("万元", 7832, (78320000, "money")), ("元", 5, (5, "money")), ("yuan", 5, (5, "money")),
    ("%", 91.96, (91.96, "%")), ("pp", 1.5, (1.5, "pp")), ("件", 14, (14, "count")),
    ("户次", 3, (3, "count")), (None, 3, (3, "count")), ("万元", None, (None, "money")),
])
def test_base_value_units_from_the_taxonomy(unit, value, base):
    from inference.merge import base_value

    f = Fact(key="k", metric="m", value=value, unit=unit, origin="table")
    assert base_value(f, MR.taxonomy) == base


def _page_001(narrative_count: str):
    """page-001 (gold-v1): its narrative says 共收到8份政府信息公开申请 and its 2021 table
    says 本年新收 总计 8. The conflict case changes the narrative figure only."""
    import json
    from pathlib import Path

    from inference.pipeline import Pipeline

    gold = Path(__file__).resolve().parent.parent / "annotations/data/gold-v1/spans.jsonl"
    text = next(json.loads(x)["text"] for x in gold.read_text(encoding="utf-8").splitlines()
                if json.loads(x)["doc_id"] == "page-001")
    assert "共收到8份政府信息公开申请" in text
    text = text.replace("共收到8份政府信息公开申请", f"共收到{narrative_count}政府信息公开申请")
    doc = Pipeline(tagger=None).run_text(text, source="page-001")
    narr = [f for f in doc.facts if f.origin == "narrative" and f.key == "requests.new"]
    table = [f for f in doc.facts if f.origin == "table" and f.key == "requests.new" and f.applicant == "total"]
    return doc, narr, table


@pytest.mark.parametrize("written, state", [("8份", "agree"), ("9份", "conflict")])
def test_narrative_and_table_agreement_on_a_real_report(written, state):
    doc, narr, table = _page_001(written)
    assert [f.agreement for f in narr] == [state] and table[0].agreement == state
    conflicts = [w for w in doc.warnings if w.code == "fact_conflict"]
    assert bool(conflicts) == (state == "conflict")
