"""annotations.convert: Label Studio export ⇄ AnnotatedText spans ⇄ BIO."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from annotations.convert import (char_bio, convert_export, docs_to_tasks, spans_from_bio,
                                 token_bio)
from annotations.files import convert_file
from annotations.sets import load_set
from annotations.validate import ValidationError

GOLD = Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v1"
TEXT = "全市共主动公开政府信息30659条，全文电子化率100%。"


def reg(rid, start, end, label, text=None):
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": TEXT[start:end] if text is None else text,
                      "labels": [label]}}


def rel(f, t, label="measures", direction="right"):
    return {"from_id": f, "to_id": t, "type": "relation", "direction": direction, "labels": [label]}


def task(result, tid=1, **ann):
    a = {"id": 10 + tid, "result": result, "was_cancelled": False, "ground_truth": False,
         "created_at": "2026-01-01T00:00:00Z", **ann}
    return {"id": tid, "data": {"text": TEXT, "doc_id": f"doc{tid}"}, "annotations": [a]}


GOOD = [reg("m", 3, 11, "METRIC"), reg("c", 11, 17, "COUNT"), reg("q", 24, 28, "PERCENT"),
        reg("r", 18, 24, "METRIC"), rel("c", "m"), rel("q", "r")]


@pytest.fixture(scope="module")
def gold_conversion():
    return convert_export(json.loads((GOLD / "govie-gold-v1.json").read_text(encoding="utf-8")))


def test_gold_v1_converts_with_zero_errors(gold_conversion):
    conv = gold_conversion
    assert conv.issues == []
    assert len(conv.docs) == 105
    assert sum(len(d.spans) for d in conv.docs) == 3434
    assert sum(len(d.relations) for d in conv.docs) == 924
    labels = Counter(s.label for d in conv.docs for s in d.spans)
    assert labels == Counter(METRIC=865, COUNT=857, ORG=583, DATE=575, DOC=414, PERCENT=72, DOCNO=67, MONEY=1)
    for d in conv.docs:
        assert all(d.text[s.start:s.end] == s.text for s in d.spans)
        ids = {s.id for s in d.spans}
        assert all(r.from_id in ids and r.to_id in ids for r in d.relations)


def test_gold_v1_set_file_is_the_converter_output(gold_conversion):
    assert [(d.doc_id, d.spans, d.relations) for d in load_set(GOLD)] == \
        [(d.doc_id, d.spans, d.relations) for d in gold_conversion.docs]


def test_clean_task_gives_spans_and_relations():
    conv = convert_export([task(GOOD)])
    (doc,) = conv.docs
    assert conv.errors == [] and doc.doc_id == "doc1"
    assert [(s.text, s.label) for s in doc.spans] == [("主动公开政府信息", "METRIC"), ("30659条", "COUNT"),
                                                       ("全文电子化率", "METRIC"), ("100%", "PERCENT")]
    assert [(r.from_id, r.to_id, r.label) for r in doc.relations] == [("c", "m", "measures"), ("q", "r", "measures")]
    assert doc.meta["ls_task_id"] == 1 and doc.meta["ls_annotation_id"] == 11


def test_shifted_offsets_are_repaired_and_reported():
    conv = convert_export([task([reg("c", 12, 18, "COUNT", text="30659条")])])
    assert conv.errors == []
    (s,) = conv.docs[0].spans
    assert (s.start, s.end, s.text) == (11, 17, "30659条")
    assert conv.counts["repaired"] == 1 and "moved 12..18 -> 11..17" in conv.issues[0].message


@pytest.mark.parametrize("result,code,needles", [
    ([reg("c", 11, 17, "COUNT", text="8647条")], "offsets", ["task 1", "region c", "'8647条'"]),
    ([reg("x", 11, 17, "AMOUNT")], "unknown-label", ["'AMOUNT'", "region x", "configs/labels.yaml"]),
    ([reg("a", 3, 11, "METRIC"), reg("b", 9, 13, "COUNT", text=TEXT[9:13])], "overlap",
     ["region b", "regions a", "and b"]),
    ([dict(reg("a", 3, 11, "METRIC"), value={**reg("a", 3, 11, "METRIC")["value"], "labels": ["METRIC", "ORG"]})],
     "labels", ["2 labels"]),
    ([reg("c", 11, 17, "COUNT"), reg("m", 3, 11, "METRIC"), rel("c", "m", label="about")],
     "unknown-relation", ["'about'"]),
])
def test_errors_name_task_and_region_and_leave_task_out(result, code, needles):
    conv = convert_export([task(result), task(GOOD, tid=2)])
    errs = conv.errors
    assert [e.code for e in errs] == [code]
    text = str(errs[0])
    assert all(n in text for n in needles), text
    assert [d.doc_id for d in conv.docs] == ["doc2"]


def test_relations_left_direction_and_dropped_ends():
    result = [reg("m", 3, 11, "METRIC"), reg("c", 11, 17, "COUNT"), rel("m", "c", direction="left"),
              rel("c", "ghost")]
    conv = convert_export([task(result)])
    (doc,) = conv.docs
    assert [(r.from_id, r.to_id) for r in doc.relations] == [("c", "m")]
    assert conv.counts["relations_dropped"] == 1
    assert any(i.code == "relation-dropped" and "c->ghost" in str(i) for i in conv.issues)


def test_reversed_relation_is_turned_round():
    conv = convert_export([task([reg("m", 3, 11, "METRIC"), reg("c", 11, 17, "COUNT"), rel("m", "c")])])
    assert [(r.from_id, r.to_id) for r in conv.docs[0].relations] == [("c", "m")]
    assert any(i.level == "repaired" and i.code == "relation-direction" for i in conv.issues)


def _multi(*anns):
    return {"id": 5, "data": {"text": TEXT, "doc_id": "multi"}, "annotations": list(anns)}


def _ann(aid, result, updated, gt=False, cancelled=False):
    return {"id": aid, "result": result, "ground_truth": gt, "was_cancelled": cancelled,
            "updated_at": updated, "completed_by": aid}


A = [reg("m", 3, 11, "METRIC"), reg("c", 11, 17, "COUNT"), rel("c", "m")]
B = [reg("m", 5, 11, "METRIC"), reg("c", 11, 17, "COUNT"), rel("c", "m")]
C = [reg("m", 3, 11, "METRIC"), reg("c", 11, 17, "COUNT")]


@pytest.mark.parametrize("anns,policy,want", [
    ([_ann(1, A, "2026-01-01"), _ann(2, B, "2026-01-02")], "ground_truth", 2),           # most recent
    ([_ann(1, A, "2026-01-01", gt=True), _ann(2, B, "2026-01-02")], "ground_truth", 1),  # ground truth
    ([_ann(1, A, "2026-01-01"), _ann(2, B, "2026-01-03", cancelled=True)], "ground_truth", 1),  # cancelled
])
def test_policy_picks_one_annotation(anns, policy, want):
    (doc,) = convert_export([_multi(*anns)], policy=policy).docs
    assert doc.meta["ls_annotation_id"] == want


def test_majority_keeps_what_most_annotators_hold():
    (doc,) = convert_export([_multi(_ann(1, A, "1"), _ann(2, B, "2"), _ann(3, C, "3"))], policy="majority").docs
    assert [(s.start, s.end, s.label) for s in doc.spans] == [(3, 11, "METRIC"), (11, 17, "COUNT")]
    assert [(r.from_id, r.to_id) for r in doc.relations] == []  # only A holds c -> m(3..11)
    (doc2,) = convert_export([_multi(_ann(1, A, "1"), _ann(3, A, "3"), _ann(2, B, "2"))], policy="majority").docs
    assert len(doc2.relations) == 1


def test_all_cancelled_task_is_left_out():
    conv = convert_export([_multi(_ann(1, A, "1", cancelled=True))])
    assert conv.docs == [] and conv.counts["cancelled"] == 1 and conv.counts["unannotated"] == 1


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        convert_export([], policy="union")


def test_spans_to_label_studio_and_back_round_trip(gold_conversion):
    docs = gold_conversion.docs[:20]
    back = convert_export([{**t, "id": i} for i, t in enumerate(docs_to_tasks(docs))])
    assert back.errors == []
    assert [(d.doc_id, d.text, d.spans, d.relations) for d in back.docs] == \
        [(d.doc_id, d.text, d.spans, d.relations) for d in docs]


def test_char_bio_round_trip(gold_conversion):
    for d in gold_conversion.docs[:30]:
        tags = char_bio(d)
        assert len(tags) == len(d.text)
        again = spans_from_bio(d.text, tags)
        assert [(s.start, s.end, s.label, s.text) for s in again] == [(s.start, s.end, s.label, s.text) for s in d.spans]


def test_bio_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="tags for"):
        spans_from_bio("abc", ["O"])


def test_token_bio_through_inference_windows(gold_conversion):
    from transformers import AutoTokenizer

    from tests.conftest import TOKENIZER_DIR

    tok = AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
    doc = gold_conversion.docs[0]
    enc, tags = token_bio(doc, tok, max_length=128, stride=16)
    assert len(tags) == len(enc.offsets) and len(enc.windows) > 1
    begins = [enc.offsets[i][0] for i, t in enumerate(tags) if t.startswith("B-")]
    assert begins == [s.start for s in doc.spans]  # a char tokenizer: one B- per span, at its start


def test_convert_file_refuses_broken_export_and_writes_bio(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([task([reg("x", 11, 17, "AMOUNT")])]), encoding="utf-8")
    with pytest.raises(ValidationError, match="'AMOUNT'"):
        convert_file(bad, "spans", tmp_path / "out.jsonl")
    good = tmp_path / "good.json"
    good.write_text(json.dumps([task(GOOD)]), encoding="utf-8")
    out = convert_file(good, "bio", tmp_path / "bio.jsonl")
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["tags"][11:17] == ["B-COUNT"] + ["I-COUNT"] * 5 and len(row["tags"]) == len(TEXT)
