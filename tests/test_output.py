"""Output: the JSON record and its schema, JSON Lines that survive a kill, flat facts."""
from __future__ import annotations

import json

import jsonschema
import pandas as pd
import pytest

from inference.clean import clean
from inference.rules import default_rules
from inference.data import Evidence, Fact
from inference.load import from_text
from inference.output import (SCHEMA_VERSION, JsonlWriter, OffsetError, error_record, fact_rows, read_jsonl, record,
                              validate_record, write_facts_csv, write_facts_parquet)
from inference.segment import segment


def _doc(text: str, facts=()):
    doc = segment(clean(from_text(text, "r.txt"), default_rules()), default_rules())
    doc.facts = list(facts)
    return doc


TEXT = "一、总体情况\n全年主动公开10143条。\n"
FACT = Fact(key="active.total", metric="主动公开政府信息", value=10143.0, unit="条",
            raw="10143条", origin="narrative",
            evidence=Evidence(kind="span", text="10143条", start=13, end=19, source="r.txt"))


def test_record_validates_for_every_seed(seed_texts):
    for seed, text in seed_texts.items():
        rec = record(_doc(text))
        validate_record(rec)
        assert rec["schema_version"] == SCHEMA_VERSION and rec["error"] is None
        assert rec["metadata"]["year"] is not None
        json.dumps(rec, ensure_ascii=False)  # JSON-ready


def test_record_with_facts():
    rec = record(_doc(TEXT, [FACT]))
    validate_record(rec, TEXT)
    assert rec["facts"][0]["evidence"]["text"] == "10143条"
    assert TEXT[13:19] == "10143条"


@pytest.mark.parametrize("start,end,text", [
    (9, 16, "10143条"),  # the wrong place: the length differs
    (12, 18, "10143条"),  # the right length, one character off
    (13, 19, "10144条"),  # the right place, another text
    (13, 99, "10143条"),  # past the end of the text
])
def test_validation_checks_every_offset(start, end, text):
    bad = Fact(key="active.total", metric="主动公开", value=1.0,
               evidence=Evidence(kind="span", text=text, start=start, end=end))
    rec = record(_doc(TEXT, [bad]))
    with pytest.raises(OffsetError, match="facts\\[0\\].evidence"):
        validate_record(rec, TEXT)


def test_validation_without_the_text_checks_lengths_and_bounds():
    bad = Fact(key="k", metric="m", value=1.0, evidence=Evidence(kind="span", text="10143条", start=9, end=16))
    with pytest.raises(OffsetError, match="is not '10143条'"):
        validate_record(record(_doc(TEXT, [bad])))
    validate_record(record(_doc(TEXT, [FACT])))


@pytest.mark.parametrize("rec", [
    error_record("a.pdf", None, "a.pdf: encrypted PDF", "load"),
    error_record("a.txt", "0" * 64, "boom", "pipeline"),
    error_record("z.zip!b.txt", None, "worker died", "internal"),
])
def test_error_record_validates(rec):
    validate_record(rec)
    assert rec["error"]["message"] and rec["error"]["kind"] in ("load", "pipeline", "internal")


@pytest.mark.parametrize("breakage", [
    lambda r: r.update(schema_version="2.0"),
    lambda r: r.update(sha256="xyz"),
    lambda r: r.pop("metadata"),
    lambda r: r["metadata"].update(period_start="2018/1/1"),
    lambda r: r.update(format="ppt"),
    lambda r: r["sections"].append({"id": "s9"}),
])
def test_invalid_records_fail(breakage):
    rec = record(_doc("一、总体情况\n全年公开5条。\n"))
    breakage(rec)
    with pytest.raises(jsonschema.ValidationError):
        validate_record(rec)


def test_error_kind_is_checked():
    with pytest.raises(ValueError):
        error_record("a", None, "m", "oops")
    with pytest.raises(jsonschema.ValidationError):
        validate_record({"schema_version": "1.0", "source": "a", "sha256": None,
                         "error": {"kind": "load", "message": ""}})


def test_jsonl_append_and_partial_tail(tmp_path):
    out = tmp_path / "o.jsonl"
    with JsonlWriter(out) as w:
        w.write({"a": 1, "t": "中文"})
        w.write({"a": 2})
    with out.open("ab") as fh:  # a killed writer's half line
        fh.write(b'{"a": 3, "t": "trunc')
    assert [r["a"] for r in read_jsonl(out)] == [1, 2]
    with JsonlWriter(out) as w:  # resuming cuts the half line first
        w.write({"a": 4})
    raw = out.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 3
    assert [r["a"] for r in read_jsonl(out)] == [1, 2, 4]


def test_jsonl_file_of_only_a_partial_line(tmp_path):
    out = tmp_path / "o.jsonl"
    out.write_bytes(b'{"a": 1')
    assert list(read_jsonl(out)) == []
    with JsonlWriter(out) as w:
        w.write({"a": 5})
    assert out.read_bytes() == b'{"a":5}\n'
    assert list(read_jsonl(tmp_path / "none.jsonl")) == []


def test_facts_csv_and_parquet(tmp_path):
    recs = [record(_doc(TEXT, [FACT, FACT])),
            error_record("bad.txt", None, "empty", "load")]
    rows = list(fact_rows(recs))
    assert len(rows) == 2 and rows[0]["source"] == "r.txt"
    assert rows[0]["evidence_text"] == "10143条" and rows[0]["evidence_start"] == 13
    n = write_facts_csv(recs, tmp_path / "f.csv")
    df = pd.read_csv(tmp_path / "f.csv", encoding="utf-8-sig")
    assert n == 2 and list(df["value"]) == [10143.0, 10143.0] and df["unit"][0] == "条"
    assert write_facts_parquet(recs, tmp_path / "f.parquet") == 2
    pq = pd.read_parquet(tmp_path / "f.parquet")
    assert pq["metric"].tolist() == ["主动公开政府信息"] * 2
    assert pq["evidence_end"].tolist() == [19, 19]
    assert write_facts_csv([], tmp_path / "empty.csv") == 0
    assert list(pd.read_csv(tmp_path / "empty.csv").columns)[:6] == ["source", "sha256", "year", "issuer",
                                                                      "issuer_code", "key"]


def test_fact_rows_carry_the_report_year_and_canonical_issuer():
    from inference.pipeline import Pipeline

    doc = Pipeline(stages=("clean", "issuer", "segment")).run_text(
        "厦门市海沧区人民政府2023年政府信息公开工作年度报告\n" + TEXT, "r.txt")
    doc.facts = [FACT]
    (row,) = fact_rows([record(doc)])
    assert (row["year"], row["issuer"], row["issuer_code"]) == (2023, "福建省厦门市海沧区人民政府", "350205")
    assert row["zero"] is False and row["recovered"] is False and row["key_score"] is None


def test_read_jsonl_warns_about_corrupt_lines(tmp_path):
    from inference.output import read_jsonl

    p = tmp_path / "r.jsonl"
    p.write_bytes(b'{"a": 1}\n{not json\n\n{"a": 2}\n{"a": 3')  # corrupt, blank, partial tail
    with pytest.warns(UserWarning, match="1 corrupt line"):
        assert [r["a"] for r in read_jsonl(p)] == [1, 2]
