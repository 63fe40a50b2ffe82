"""annotations.sets: immutable versioned set folders, atomic writes, load_set."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from annotations import sets
from annotations.pull import build_set
from annotations.sets import SetExistsError, list_sets, load_set, set_name, slug, write_set
from annotations.validate import ValidationError
from inference.data import AnnotatedText, Relation, Span

GOLD = Path(__file__).resolve().parent.parent / "annotations" / "data" / "gold-v1"


def _docs(n=2, label="COUNT"):
    text = "受理申请12件。"
    return [AnnotatedText(f"d{i}", text, [Span(4, 7, "12件", label, id="c")], [], source="x.txt")
            for i in range(n)]


@pytest.mark.parametrize("title,want", [
    ("govie narrative 2026", "govie-narrative-2026"),
    ("  Gold / v1 ", "gold-v1"),
    ("政府信息公开 标注", "政府信息公开-标注"),
    ("!!!", "project"),
])
def test_slug(title, want):
    assert slug(title) == want


def test_set_name_format():
    assert set_name("Govie Narrative", "20261122", "abcdef0123456789") == "govie-narrative-20261122-abcdef01"


def test_write_set_is_atomic_versioned_and_never_overwrites(tmp_path):
    res = write_set(_docs(), "p-20260101-aaaa", {"project": {"id": 1}}, tmp_path, {"export.json": b"[]"})
    assert res.status == "written" and res.path == tmp_path / "p-20260101-aaaa"
    manifest = json.loads((res.path / "manifest.json").read_text(encoding="utf-8"))
    data = (res.path / "spans.jsonl").read_bytes()
    assert manifest["content_sha256"] == hashlib.sha256(data).hexdigest() == res.content_sha256
    assert manifest["docs"] == 2 and manifest["spans"] == 2 and manifest["labels"] == {"COUNT": 2}
    assert [d.spans for d in load_set(res.path)] == [d.spans for d in _docs()]
    # identical content under any name: unchanged, nothing written
    again = write_set(_docs(), "p-20260102-aaaa", {}, tmp_path)
    assert again.status == "unchanged" and again.path == res.path
    assert not (tmp_path / "p-20260102-aaaa").exists()
    # same name, different content: refused, the earlier set untouched
    with pytest.raises(SetExistsError, match="immutable"):
        write_set(_docs(3), "p-20260101-aaaa", {}, tmp_path)
    assert (res.path / "spans.jsonl").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["p-20260101-aaaa"]  # no temp folder left


def test_failed_write_leaves_no_trace(tmp_path, monkeypatch):
    write_set(_docs(), "first", {}, tmp_path)
    before = {p: p.read_bytes() for p in (tmp_path / "first").iterdir()}

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(sets.os, "rename", boom)
    with pytest.raises(OSError, match="disk full"):
        write_set(_docs(3), "second", {}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first"]
    assert {p: p.read_bytes() for p in (tmp_path / "first").iterdir()} == before


def test_build_set_refuses_broken_export_before_writing(tmp_path):
    export = [{"id": 1, "data": {"text": "受理申请12件。"}, "annotations": [{"id": 2, "result": [
        {"id": "r", "type": "labels", "value": {"start": 4, "end": 7, "text": "12件", "labels": ["AMOUNT"]}}]}]}]
    with pytest.raises(ValidationError, match="AMOUNT"):
        build_set(json.dumps(export).encode(), project_id=1, project_title="p", ls_version=None)
    conv, manifest, name = build_set(json.dumps(export).encode(), project_id=1, project_title="p",
                                     ls_version=None, strict=False)
    assert conv.docs == [] and manifest["conversion"]["errors"] == 1 and name.startswith("p-")
    with pytest.raises(ValidationError, match="not JSON"):
        build_set(b"{oops", project_id=1, project_title="p", ls_version=None)


def test_gold_v1_is_a_versioned_set():
    assert GOLD in list_sets()
    manifest = sets.load_manifest(GOLD)
    assert (manifest["docs"], manifest["spans"], manifest["relations"]) == (105, 3434, 924)
    assert manifest["content_sha256"] == hashlib.sha256((GOLD / "spans.jsonl").read_bytes()).hexdigest()
    export = GOLD / manifest["source_export"]["file"]
    assert hashlib.sha256(export.read_bytes()).hexdigest() == manifest["source_export"]["sha256"]
    assert manifest["policy"]["name"] == "ground_truth" and manifest["conversion"]["errors"] == 0
    docs = load_set(GOLD)
    assert len(docs) == 105 and all(d.text[s.start:s.end] == s.text for d in docs for s in d.spans)


def test_load_set_accepts_folder_or_file_and_names_missing(tmp_path):
    assert len(load_set(GOLD / "spans.jsonl")) == 105
    with pytest.raises(FileNotFoundError, match="no annotation set"):
        load_set(tmp_path)


def test_relations_survive_the_jsonl_round_trip(tmp_path):
    doc = AnnotatedText("d", "办结8件", [Span(0, 2, "办结", "METRIC", id="m"), Span(2, 4, "8件", "COUNT", id="c")],
                        [Relation("c", "m")], meta={"ls_task_id": 3})
    res = write_set([doc], "r", {}, tmp_path)
    assert load_set(res.path) == [doc]


def test_convert_export_file_to_a_new_set(tmp_path):
    from annotations.files import convert_file

    res = convert_file(GOLD / "govie-gold-v1.json", "set", tmp_path / "data")
    assert res.status == "written" and res.path.name.startswith("govie-gold-v1-")
    assert (res.path / "export.json").read_bytes() == (GOLD / "govie-gold-v1.json").read_bytes()
    assert res.content_sha256 == sets.load_manifest(GOLD)["content_sha256"]  # same spans as gold-v1
    again = convert_file(GOLD / "govie-gold-v1.json", "set", tmp_path / "data")
    assert again.status == "unchanged" and again.path == res.path


def test_load_set_reads_a_label_studio_export_as_the_set_holds_it():
    from_export = {d.doc_id: d for d in load_set(GOLD / "govie-gold-v1.json")}
    from_set = {d.doc_id: d for d in load_set(GOLD)}
    assert from_export.keys() == from_set.keys() and len(from_set) > 100
    for doc_id, d in from_set.items():
        e = from_export[doc_id]
        assert e.text == d.text
        assert [(s.start, s.end, s.label) for s in e.spans] == [(s.start, s.end, s.label) for s in d.spans]


@pytest.mark.parametrize("content,message", [
    ("{not json", "not a Label Studio JSON export"),
    ('{"tasks": []}', "a list of tasks"),
    ("[]", "no annotated task"),
    ('[{"id": 1, "data": {"text": "受理申请12件。"}, "annotations": [{"id": 9, "result": [{"id": "a", '
     '"from_name": "label", "to_name": "text", "type": "labels", "value": {"start": 4, "end": 7, '
     '"text": "12件", "labels": ["AMOUNT"]}}]}]}]', "error"),
])
def test_load_set_refuses_a_bad_export_with_a_message(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(sets.GoldFormatError, match=message):
        load_set(path)


def test_evaluate_command_says_what_is_wrong_with_a_gold_file(tmp_path, capsys):
    from inference.cli import main

    path = tmp_path / "export.json"
    path.write_text("{not json", encoding="utf-8")
    assert main(["evaluate", "--gold", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not a Label Studio JSON export" in err and "Traceback" not in err


def test_a_set_that_corrects_others_is_read_after_them(tmp_path, monkeypatch):
    """A correction round's set sorts after every other set whatever its name, in the order
    pulled; load_docs then holds the corrected version of each document it corrects."""
    from training import data as training_data

    text = "受理申请12件。"
    old = [AnnotatedText(f"d{i}", text, [Span(4, 7, "12件", "COUNT", id="c")], []) for i in range(3)]
    fixed = [AnnotatedText("d1", text, [Span(0, 4, "受理申请", "METRIC", id="m"),
                                        Span(4, 7, "12件", "COUNT", id="c")], [])]
    write_set(old, "gold-v2-a", {"project": {"id": 1}}, tmp_path)
    write_set(fixed[:1], "fix-1", {"corrects": {"gold-v2-a": ["d1"]},
                                   "pulled_at": "2026-12-07T09:00:00+00:00"}, tmp_path)
    write_set([AnnotatedText("d9", text, [], [])], "gold-v2-k", {"project": {"id": 2}}, tmp_path)
    assert [p.name for p in list_sets(tmp_path)] == ["gold-v2-a", "gold-v2-k", "fix-1"]
    monkeypatch.setattr(training_data, "list_sets", lambda: list_sets(tmp_path))
    docs = {d.doc_id: d for d in training_data.load_docs("all")}
    assert sorted(docs) == ["d0", "d1", "d2", "d9"]
    assert [s.label for s in docs["d1"].spans] == ["METRIC", "COUNT"]
    assert [s.label for s in docs["d0"].spans] == ["COUNT"]
