"""The embedded default model on real report text it never saw (tests/data/unseen/: not in
any annotation set, not among the reports reserved for evaluation). Kept apart from the
tests on the seed reports, which the model was trained on (tests/test_pipeline.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from inference.api import Extractor
from inference.output import validate_record

UNSEEN = Path(__file__).resolve().parent / "data" / "unseen"


@pytest.fixture(scope="module")
def extractor():
    ex = Extractor.load()
    assert ex.tagger is not None  # the default model, not rules only
    return ex


@pytest.fixture(scope="module")
def results(extractor):
    return {p.stem: extractor.extract(p.read_text(encoding="utf-8")) for p in sorted(UNSEEN.glob("*.txt"))}


@pytest.mark.parametrize("doc,label,text", [
    ("zhanjiang-dfz-2023", "ORG", "湛江市人民政府地方志办公室"),  # the issuer named in the first sentence
    ("changchun-js-2023", "METRIC", "受理政府信息公开申请"),
    ("changchun-js-2023", "METRIC", "处理群众留言"),
])
def test_the_model_finds_entities_in_text_it_never_saw(results, doc, label, text):
    found = {(s.label, s.text) for s in results[doc].entities if s.source == "model"}
    assert (label, text) in found


@pytest.mark.parametrize("doc,metric,value,unit", [
    ("zhanjiang-dfz-2023", None, 44.0, "篇"),
    ("changchun-js-2023", "政务类信息", 34.0, "条"),
    ("changchun-js-2023", "概况类信息", 150.0, "条"),
    ("changchun-js-2023", "受理政府信息公开申请", 2.0, "件"),
    ("changchun-js-2023", "处理群众留言", 92.0, "条"),
])
def test_narrative_figures_of_unseen_reports(results, doc, metric, value, unit):
    facts = [f for f in results[doc].facts if f.value == value and f.unit == unit]
    assert facts and (metric is None or any(f.metric == metric for f in facts))
    for f in facts:
        assert f.evidence.text == results[doc].text[f.evidence.start:f.evidence.end]


def test_requests_received_is_keyed(results):
    (f,) = [f for f in results["changchun-js-2023"].facts if f.metric == "受理政府信息公开申请"]
    assert (f.key, f.value) == ("requests.new", 2.0)


def test_records_of_unseen_reports_validate(results):
    for name, r in results.items():
        validate_record(r.to_dict(), r.text)
        assert r.metadata.year == 2023
