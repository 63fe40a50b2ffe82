"""The panel over an archive: three years of one body, duplicates counted once, the value
chosen by the rule, the cross-year checks with both evidences, the CLI."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from inference.cli import main
from inference.data import Document, Evidence, Fact, Issuer, IssuerRegion, Metadata
from inference.output import JsonlWriter, record, validate_record
from inference.panel import build_panel, choose, report_of
from inference.panel_checks import cross_year_checks
from inference.rules import default_rules

PANEL = default_rules().panel
CARRY = PANEL.carry_over[0]  # {this_year: 上年结转, last_year: 结转下年}
STOCK = PANEL.stock[0]  # 现行有效 / 制发 / 废止 of 规章
HUANGSHI = Issuer(name="湖北省黄石市人民政府", region=IssuerRegion("420200", "湖北省", "黄石市"),
                  level="city", organ="人民政府", confidence=0.95)


def fact(key, value, text, origin="table", source="r.txt"):
    return Fact(key=key, metric=text, value=float(value), unit="件", raw=str(value),
                origin=origin, evidence=Evidence(kind="cell" if origin == "table" else "span",
                                                 text=str(value), start=0, end=len(str(value)),
                                                 source=source))


def rec(source, year, facts, sha=None, issuer=HUANGSHI):
    text = f"{year}年黄石市政府信息公开工作年度报告"
    doc = Document(source=source, text=text, sha256=sha or (f"{year:064d}"[-64:]),
                   format="txt", metadata=Metadata(title=text, year=year, issuer=issuer),
                   facts=[fact(k, v, f"{k}", o, source) for k, v, o in facts])
    r = record(doc)
    validate_record(r)
    return r


@pytest.fixture()
def three_years():
    y2019 = rec("hs-2019.html", 2019, [(CARRY["last_year"], 5, "table"),
                                       (STOCK["in_force"], 100, "table"),
                                       ("proactive.total", 120, "table"),
                                       ("proactive.total", 100, "narrative")])
    y2020 = [(CARRY["this_year"], 5, "table"), (CARRY["last_year"], 3, "table"),
             (STOCK["in_force"], 110, "table"), (STOCK["issued"], 12, "table"),
             (STOCK["repealed"], 2, "table"), ("proactive.total", 130, "table")]
    y2021 = rec("hs-2021.html", 2021, [(CARRY["this_year"], 4, "table"),
                                       ("proactive.total", 2600, "table")])
    return [y2019,
            rec("hs-2020.html", 2020, y2020, sha="a" * 64),
            rec("mirror/hs-2020.html", 2020, y2020, sha="a" * 64),  # a repost: same bytes
            rec("hs-2020.pdf", 2020, y2020, sha="b" * 64),  # the PDF of the web page
            y2021,
            rec("other.txt", 2020, [("proactive.total", 1, "table")], issuer=None)]


def test_panel_joins_years_and_counts_duplicates_once(three_years):
    df, summary = build_panel(three_years)
    assert summary.records == 6 and summary.joined == 3 and summary.duplicates == 2
    assert summary.without_issuer == 1
    assert set(df["issuer"]) == {"420200::人民政府"}
    assert sorted(df["year"].unique()) == [2019, 2020, 2021]
    cell = df[(df["year"] == 2020) & (df["key"] == "proactive.total")].iloc[0]
    assert cell["n_reports"] == 1 and cell["status"] == "single"
    assert json.loads(cell["duplicates"]) == ["hs-2020.pdf", "mirror/hs-2020.html"]


def test_table_over_narrative_with_the_other_value_kept(three_years):
    df, _ = build_panel(three_years)
    cell = df[(df["year"] == 2019) & (df["key"] == "proactive.total")].iloc[0]
    assert (cell["value"], cell["origin"], cell["status"]) == (120.0, "table", "conflict")
    others = json.loads(cell["others"])
    assert [(o["value"], o["origin"], o["source"]) for o in others] == [
        (100.0, "narrative", "hs-2019.html")]


@pytest.mark.parametrize("cands,value,status", [
    ([{"value": 3.0, "origin": "narrative"}], 3.0, "single"),
    ([{"value": 3.0, "origin": "table"}, {"value": 3.0, "origin": "narrative"}], 3.0, "agree"),
    # agreement over conflict: two reports say 7, one says 8
    ([{"value": 8.0, "origin": "table"}, {"value": 7.0, "origin": "table"},
      {"value": 7.0, "origin": "table"}], 7.0, "conflict"),
    # a narrative majority does not beat the table
    ([{"value": 9.0, "origin": "narrative"}, {"value": 9.0, "origin": "narrative"},
      {"value": 5.0, "origin": "table"}], 5.0, "conflict"),
])
def test_choice_rule(cands, value, status):
    best, got = choose(cands)
    assert (best["value"], got) == (value, status)


def test_cross_year_checks_one_fails_one_holds(three_years):
    df, _ = build_panel(three_years)
    res = cross_year_checks(df)
    carry = res[res["check"] == "carry_over"].set_index("year")
    assert bool(carry.loc[2020, "ok"]) is True  # 5 carried over = 5 carried forward
    assert bool(carry.loc[2021, "ok"]) is False  # 4 carried over, but 3 carried forward
    assert (carry.loc[2021, "expected"], carry.loc[2021, "actual"]) == (3.0, 4.0)
    assert (carry.loc[2021, "evidence_source"], carry.loc[2021, "previous_source"]) == (
        "hs-2021.html", "hs-2020.html")
    stock = res[res["check"] == "stock"].iloc[0]
    assert (stock["year"], bool(stock["ok"]), stock["expected"]) == (2020, True, 110.0)
    jump = res[res["check"] == "jump"]
    assert list(zip(jump["year"], jump["key"])) == [(2021, "proactive.total")]  # 130 -> 2600


def test_cumulative_figures_do_not_fall():
    key = next(k for k in sorted(PANEL.cumulative_keys) if k not in PANEL.cumulative_exclude)
    df, _ = build_panel([rec("a.html", 2020, [(key, 50, "table")]),
                         rec("b.html", 2021, [(key, 40, "table")])])
    res = cross_year_checks(df)
    row = res[res["check"] == "cumulative"].iloc[0]
    assert (bool(row["ok"]), row["expected"], row["actual"]) == (False, 50.0, 40.0)


def test_error_records_and_old_records_give_no_rows():
    old = rec("x.html", 2019, [("proactive.total", 1, "table")])
    old["metadata"].pop("issuer")
    old["schema_version"] = "1.1"
    err = {"schema_version": "1.2", "source": "bad.pdf", "sha256": None,
           "error": {"kind": "load", "message": "broken"}}
    assert report_of(old).issuer is None and report_of(err).values == []
    df, summary = build_panel([old, err])
    assert df.empty and summary.without_issuer == 2


def test_cli_writes_panel_and_checks(tmp_path, three_years):
    src = tmp_path / "records.jsonl"
    with JsonlWriter(src) as w:
        for r in three_years:
            w.write(r)
    out = tmp_path / "panel.parquet"
    assert main(["panel", str(src), "-o", str(out), "-q"]) == 0
    df = pd.read_parquet(out)
    checks = pd.read_parquet(tmp_path / "panel.checks.parquet")
    assert len(df) == 11 and (~checks["ok"]).sum() == 2
    assert main(["panel", str(src), "-o", str(tmp_path / "p.csv"), "--csv", "-q"]) == 0
    assert len(pd.read_csv(tmp_path / "p.csv")) == 11
    assert (tmp_path / "p.checks.csv").is_file()
