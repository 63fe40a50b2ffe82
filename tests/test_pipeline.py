"""The whole pipeline on the seed reports (samples/reports/), rules only and with a model.

Three taggers: none (rules only); a stand-in that returns the gold spans of the seed as if a
model had predicted them (the model path, deterministically); and the embedded default
model (models/default). The seeds are in the annotation set gold-v1, so the default model
was TRAINED on them: these tests check the pipeline's wiring and rules, not the model's
quality. The model on documents it never saw: ``tests/test_unseen_reports.py``; its
accuracy: ``govie evaluate --dev-only`` and benchmarks/eval_model.py."""
from __future__ import annotations

import re

from dataclasses import replace

import pytest

from annotations.sets import load_set
from inference.pipeline import Pipeline

from .conftest import ROOT


class GoldTagger:
    """Returns the gold spans of a seed as if a model had predicted them."""

    model_version, labels = "gold", ("METRIC", "COUNT", "PERCENT", "MONEY", "ORG", "DOC", "DOCNO", "DATE")

    def __init__(self):
        self.by_text = {d.text: d.spans for d in load_set(ROOT / "annotations/data/gold-v1")}

    def predict_entities(self, texts, regions=None):
        out = []
        for i, t in enumerate(texts):
            regs = regions[i] if regions is not None and regions[i] is not None else [(0, len(t))]
            out.append([replace(s, id=None, source="model", score=0.99)
                        for s in self.by_text.get(t, [])
                        if any(a <= s.start and s.end <= b for a, b in regs)])
        return out


@pytest.fixture(scope="module", params=["rules", "gold-as-model", "default-model"],
                ids=["rules", "gold-as-model", "default-model-trained-on-seeds"])
def docs(request):
    if request.param == "default-model":  # the embedded model (models/default), loaded once
        from inference.tagger import load_tagger

        tagger = load_tagger()
    else:
        tagger = None if request.param == "rules" else GoldTagger()
    pipe = Pipeline(tagger=tagger)
    return {sid: pipe.run_path(ROOT / "samples/reports" / f"{sid}.txt")
            for sid in ("seed-000", "seed-001", "seed-002", "seed-003", "seed-004")}


def narrative(doc, **want):
    return [f for f in doc.facts if f.origin == "narrative"
            and all(getattr(f, k) == v for k, v in want.items())]


def test_zhangzhou_proactive_disclosure(docs):
    d = docs["seed-000"]
    (annual,) = narrative(d, value=30659, period="annual")
    assert (annual.key, annual.unit) == ("proactive.total", "条")
    (cum,) = narrative(d, value=336207)
    assert (cum.key, cum.unit, cum.period) == ("proactive.total", "条", "cumulative")
    # the 附表 says the same: both sides agree, no conflict
    assert annual.agreement == "agree" and cum.agreement == "agree"
    assert not [w for w in d.warnings if w.code == "fact_conflict"]


def test_zhangzhou_press_conferences_and_online_rate(docs):
    d = docs["seed-000"]
    (pc,) = narrative(d, value=44, unit="场")
    assert pc.key == "press_conferences.total" and "新闻发布会" in pc.metric
    (rate,) = narrative(d, value=91.96)
    assert (rate.unit, rate.metric) == ("%", "网上可办率")


def test_huangshi_total_and_city_level(docs):
    d = docs["seed-003"]
    (total,) = narrative(d, value=106144)
    assert (total.key, total.unit, total.scope, total.period) == ("proactive.total", "条", "全市", "annual")
    (city,) = narrative(d, value=76308)
    assert (city.key, city.scope, city.parent) == ("proactive.total", "市本级", "proactive.total")


def test_hengshui_approximate_count(docs):
    d = docs["seed-004"]
    (f,) = narrative(d, value=81000)
    assert (f.approx, f.bound, f.unit, f.raw) == (True, "upper", "条", "近8.1万条")


def test_every_evidence_matches_the_source(docs):
    for d in docs.values():
        assert d.facts and d.entities
        for s in d.entities:
            assert d.text[s.start:s.end] == s.text
        ids = {s.id for s in d.entities}
        assert all(r.from_id in ids and r.to_id in ids for r in d.relations)
        for f in d.facts:
            for e in (f.evidence, f.metric_evidence):
                if e is not None and e.start is not None:
                    assert d.text[e.start:e.end] == e.text
            if f.origin == "narrative":
                assert f.evidence.source == d.source and f.evidence.kind == "span"


def test_entities_stay_out_of_tables_and_chrome(docs):
    """Entities lie in the narrative and headings, except the ORG and DATE of a page's source
    and date lines (header rules of configs/patterns.yaml); none in a table."""
    label_words = re.compile("来源|來源|发布|發布|发文|成文|更新|时间|時間|日期|机构|投稿")
    for d in docs.values():
        if not d.blocks:
            continue
        text_blocks = [(b.start, b.end) for b in d.blocks if b.kind in ("narrative", "heading")]
        outside = [s for s in d.entities if not any(a <= s.start and s.end <= b for a, b in text_blocks)]
        for s in outside:
            line = d.text[d.text.rfind("\n", 0, s.start) + 1:s.start]
            assert s.label in ("ORG", "DATE") and s.source == "rule" and label_words.search(line), s
        tables = [(b.start, b.end) for b in d.blocks if b.kind == "table"]
        off = tables + [(b.start, b.end) for b in d.blocks if b.kind == "chrome"] + d.chrome
        assert not any(a < s.end and s.start < b for s in d.entities for a, b in tables)
        assert not any(a < s.end and s.start < b for s in d.entities if s not in outside for a, b in off)


def test_sources_of_spans(docs):
    d = docs["seed-000"]
    sources = {s.source for s in d.entities}
    assert "rule" in sources
    assert sources <= {"rule", "model"}


def test_records_name_the_model_that_tagged_them(docs, request):
    import json

    from inference.output import record, validate_record

    kind = request.node.callspec.params["docs"]
    want = {"rules": None, "gold-as-model": "gold"}.get(kind) if kind != "default-model" else \
        json.loads((ROOT / "models/default/govie_model.json").read_text())["model_version"]
    for name, d in docs.items():  # every offset of every record holds in its text
        validate_record(record(d), d.text)
    d = docs["seed-000"]
    rec = record(d)
    assert d.model == rec["model"] == want
