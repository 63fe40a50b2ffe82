"""annotations.push without a server: the tasks of a correction round (push --from-set) and
how a pulled correction names what it replaces (the server round trip is in
tests/test_annotations_server.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from annotations.cli import read_doc_ids
from annotations.convert import convert_export
from annotations.pull import corrected
from annotations.push import gold_prediction, set_tasks
from annotations.sets import load_set

DATA = Path(__file__).resolve().parent.parent / "annotations" / "data"


@pytest.mark.parametrize("set_name, doc_id", [
    ("gold-v1", "page-006"),        # a whole report
    ("gold-v2-a", "v2a-016@127"),   # a section task: report id and offset kept
    ("gold-v2-k", "v2k-007@207"),   # traditional script with pinyin glosses
])
def test_a_gold_document_comes_back_unchanged_when_nobody_corrects_it(set_name, doc_id):
    doc = next(d for d in load_set(DATA / set_name) if d.doc_id == doc_id)
    (data,) = set_tasks([doc], set_name)
    assert data["corrects"] == set_name and data["text"] == doc.text
    pred = gold_prediction(doc, set_name)
    assert pred["model_version"] == f"gold:{set_name}"
    task = {"id": 7, "data": data,
            "annotations": [{"id": 70, "result": pred["result"], "completed_by": 1}]}
    (back,) = convert_export([task]).docs
    assert back.doc_id == doc.doc_id and back.text == doc.text
    assert [(s.start, s.end, s.label) for s in back.spans] == [(s.start, s.end, s.label) for s in doc.spans]
    assert {(r.from_id, r.to_id) for r in back.relations} == {(r.from_id, r.to_id) for r in doc.relations}
    assert {k: back.meta.get(k) for k in ("report_id", "offset")} == \
        {k: doc.meta.get(k) for k in ("report_id", "offset")}
    assert corrected([task], {back.doc_id}) == {set_name: [doc.doc_id]}
    assert corrected([task], set()) == {}  # not annotated: nothing corrected


@pytest.mark.parametrize("lines, set_name, want", [
    (["page-006", "", "# a comment", "seed-002", "page-006"], "gold-v1", ["page-006", "seed-002"]),
    (['{"doc_id": "v2a-016@127", "set": "gold-v2-a", "point": 2}',
      '{"doc_id": "page-006", "set": "gold-v1"}', '{"doc_id": "v2a-005@113"}'],
     "gold-v2-a", ["v2a-016@127", "v2a-005@113"]),
])
def test_document_ids_from_a_list_or_a_contradictions_file(tmp_path, lines, set_name, want):
    f = tmp_path / "ids"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_doc_ids(str(f), set_name) == want


@pytest.mark.parametrize("lines, message", [
    (['{"doc_id": "page-006", "set": "gold-v1"}'], "no document ids of gold-v2-a"),
    (['{"set": "gold-v2-a"}'], ":1: no doc_id"),
    (["{not json"], ":1: not JSON"),
])
def test_a_bad_ids_file_is_refused_with_its_line(tmp_path, lines, message):
    f = tmp_path / "ids"
    f.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_doc_ids(str(f), "gold-v2-a")
