"""Traditional -> simplified for matching (inference/script.py): labels, tables and metric
phrases in traditional script map like simplified ones; offsets stay those of the text."""
import json
from pathlib import Path

import pytest

from inference.pipeline import Pipeline
from inference.script import aligned, to_simplified
from inference.rules import default_rules
from inference.tables.values import norm_label

GOLD = Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v1" / "spans.jsonl"


def _gold_text(doc_id: str) -> str:
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["doc_id"] == doc_id:
            return d["text"]
    raise KeyError(doc_id)


@pytest.mark.parametrize("written, simplified", [
    ("一、本年新收政府信息公開申請數量", "本年新收政府信息公开申请数量"),
    ("二、上年結轉政府信息公開申請數量", "上年结转政府信息公开申请数量"),
    ("行政規范性文件", "行政规范性文件"),   # mixed script, as in the 2021 table
    ("現行有效件數", "现行有效件数"),
])
def test_labels_compare_in_simplified_script(written, simplified):
    assert norm_label(written, default_rules().cells) == simplified


def test_to_simplified_keeps_length_and_simplified_text():
    t = "我辦2010年度未發生針對本部門有關政府信息公開事務的行政複議案件"  # page-053
    assert len(to_simplified(t)) == len(t)
    assert to_simplified("主动公开政府信息") == "主动公开政府信息"


def _table_facts(text: str):
    doc = Pipeline(tagger=None).run_text(text, source="t")
    return doc, sorted((f.key, f.value, f.applicant) for f in doc.facts if f.origin == "table" and f.key)


def test_a_traditional_script_table_gives_the_same_keyed_facts():
    # page-079's 2021 tables as published, and the same text in traditional script
    text = _gold_text("page-079")
    import opencc

    trad = opencc.OpenCC("s2t").convert(text)
    assert "公開申請數量" in trad and len(trad) == len(text)
    _, simple_facts = _table_facts(text)
    doc, trad_facts = _table_facts(trad)
    assert simple_facts and trad_facts == simple_facts
    assert ("requests.new", 66.0, "total") in trad_facts
    assert ("normative_docs.issued", 5.0, None) in trad_facts
    for f in doc.facts:
        e = f.evidence
        if e is not None and e.start is not None:
            assert trad[e.start:e.end] == e.text


@pytest.mark.parametrize("text, cached, expected", [
    ("總計公開署令", False, "总计公开署令"),  # traditional: converted, offsets hold
    ("總計公開署令", True, "总计公开署令"),   # the same through the cache
    ("按期办结", True, "按期办结"),           # simplified already
    ("ISO 9001", False, "ISO 9001"),
])
def test_aligned_keeps_every_offset(text, cached, expected):
    out = aligned(text, cached)
    assert out == expected and len(out) == len(text)
