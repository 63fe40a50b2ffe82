"""Frames of extraction records (inference.report_frames) and their plots."""
from __future__ import annotations

import json

import matplotlib
import pytest

from inference import report_frames as rf
from inference import report_plots as rp
from inference.output import error_record
from inference.rules import default_rules

matplotlib.use("Agg")


def fact(key, value, origin="table", period="annual", scope=None, applicant=None,
         agreement=None, text=None):
    return {"key": key, "metric": key or "", "value": value, "unit": "件", "raw": str(value),
            "approx": False, "bound": None, "period": period, "scope": scope,
            "applicant": applicant, "origin": origin, "table": None, "template": None,
            "evidence": {"kind": "span", "text": text or str(value), "start": 0, "end": 1},
            "metric_evidence": None, "parent": None, "agreement": agreement}


def rec(source, facts=(), checks=(), year=2021, body="海沧区人民政府办公室", warnings=()):
    return {"schema_version": "1.0", "source": source, "sha256": "0" * 64, "format": "txt",
            "metadata": {"year": year, "body": body, "format": "2021"},
            "tables": [], "facts": list(facts), "checks": list(checks),
            "warnings": list(warnings), "error": None}


RECORDS = [
    rec("in/a.txt", [
        fact("requests.new", 10, applicant="natural_person"),
        fact("requests.new", 12, applicant="total"),
        fact("requests.new", 12, origin="narrative", scope="全区", agreement="agree"),
        fact("requests.outcome.disclosed", 5, applicant="total"),
        fact("requests.outcome.withheld.state_secret", 1, applicant="total"),
        fact("requests.outcome.withheld.third_party", 2, applicant="total"),
        fact("proactive.total", 100, origin="narrative", scope="乡镇"),
        fact("proactive.total", 300, origin="narrative", scope="全区", agreement="conflict"),
        fact("proactive.total", 290, agreement="conflict"),
    ], checks=[{"name": "balance", "ok": False, "expected": 12.0, "actual": 11.0,
                "detail": "12 != 11", "table": "table-1"},
               {"name": "sum", "ok": True, "expected": 3.0, "actual": 3.0, "detail": "",
                "table": "table-1"}],
        warnings=[{"code": "rules_only", "message": "no model", "start": None, "end": None}]),
    rec("in/arch.zip!x/b.txt", [fact("proactive.total", 50, origin="narrative")], year=2018,
        body="漳州市人民政府办公室"),
    rec("in/c.txt", [], year=None, body=None),
    error_record("in/bad.pdf", None, "in/bad.pdf: not a readable PDF", "load"),
]


@pytest.mark.parametrize("body,level", [
    ("漳州市人民政府办公室", "city"),
    ("台儿庄区人民政府办公室", "county"),
    ("北京市朝阳区市场监督管理局", "county"),
    ("广东省教育厅", "province"),
    ("内蒙古自治区人民政府", "province"),
    ("某某县某某镇人民政府", "township"),
    ("某市城乡建设局", "city"),
    ("某某社区居委会", "unknown"),
    ("办公厅", "unknown"),
    (None, "unknown"),
])
def test_body_level(body, level):
    assert rf.body_level(body, default_rules().levels) == level


def test_reports_frame_counts_and_errors():
    df = rf.reports_frame(RECORDS)
    assert list(df["report"]) == ["a", "b", "c", "bad"]
    a = df.iloc[0]
    assert (a["facts"], a["table_facts"], a["checks"], a["checks_failed"], a["conflicts"],
            a["warnings"], a["level"]) == (9, 6, 2, 1, 2, 1, "county")
    assert df.iloc[3]["error"] == "load: in/bad.pdf: not a readable PDF"
    assert df["year"].isna().tolist() == [False, False, True, True]


def test_requests_frame_prefers_table_totals_and_sums_details():
    req = rf.requests_frame(rf.facts_frame(RECORDS))
    assert req["source"].tolist() == ["in/a.txt"]
    row = req.iloc[0]
    assert (row["received"], row["disclosed"], row["withheld"]) == (12.0, 5.0, 3.0)


def test_proactive_headline_and_year_level():
    facts = rf.facts_frame(RECORDS)
    pro = rf.proactive_frame(facts).set_index("report")
    assert pro.loc["a", "proactive_total"] == 290.0 and pro.loc["a", "origin"] == "table"
    assert pro.loc["b", "proactive_total"] == 50.0  # no scope: the whole body
    by = rf.proactive_by_year_level(facts)
    assert by.to_dict("records") == [
        {"year": 2018, "level": "city", "proactive_total": 50.0, "reports": 1},
        {"year": 2021, "level": "county", "proactive_total": 290.0, "reports": 1}]


def test_checks_conflicts_warnings():
    checks = rf.checks_frame(RECORDS)
    failing = rf.failing_checks(checks)
    assert failing["name"].tolist() == ["balance"] and failing["difference"].tolist() == [-1.0]
    conf = rf.conflicts_frame(rf.facts_frame(RECORDS))
    assert conf[["origin", "value"]].values.tolist() == [["narrative", 300.0], ["table", 290.0]]
    assert rf.warnings_frame(RECORDS)["code"].tolist() == ["rules_only"]


def test_empty_records_give_empty_frames_and_plots():
    facts = rf.facts_frame([])
    reports = rf.reports_frame([])
    for df in (facts, reports, rf.requests_frame(facts), rf.proactive_by_year_level(facts),
               rf.checks_frame([]), rf.conflicts_frame(facts), rf.warnings_frame([])):
        assert df.empty
    ax = rp.plot_requests(rf.requests_frame(facts))
    assert "no request figures" in ax.texts[0].get_text()
    assert rp.plot_conflicts(reports).texts[0].get_text() == "no narrative/table conflicts"


def test_plots_draw_bars():
    facts = rf.facts_frame(RECORDS)
    assert len(rp.plot_requests(rf.requests_frame(facts)).patches) == 2  # disclosed, withheld
    assert len(rp.plot_proactive(rf.proactive_by_year_level(facts)).patches) == 4
    assert len(rp.plot_checks(rf.reports_frame(RECORDS)).patches) == 2


def test_load_records_and_sample_paths(tmp_path, samples_dir):
    p = tmp_path / "r.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS),
                 encoding="utf-8")
    assert rf.load_records(p) == RECORDS
    with pytest.raises(FileNotFoundError):
        rf.load_records(tmp_path / "missing.jsonl")
    assert [x.name for x in rf.sample_paths()] == sorted(x.name for x in samples_dir.glob("*.txt"))


def test_extract_records_rules_only(tmp_path):
    f = tmp_path / "r.txt"
    f.write_text("一、总体情况\n2021年，全区主动公开政府信息120条。\n", encoding="utf-8")
    recs = rf.extract_records([f, tmp_path / "missing.txt"], rules_only=True)
    assert recs[0]["error"] is None and any(x["value"] == 120 for x in recs[0]["facts"])
    assert recs[1]["error"]["kind"] == "load"
