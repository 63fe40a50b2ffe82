"""Write the analyst notebooks (nbformat v4, no outputs). Run once after editing:

    .venv/bin/python notebooks/make_notebooks.py

The notebooks only call package functions (``inference.report_frames``,
``inference.report_plots``, ``training.error_analysis``) and plot; they are kept in git
without outputs (``tests/test_notebooks.py`` checks, and executes them).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
META = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}


def md(text: str):
    return new_markdown_cell(text.strip())


def code(text: str, tag: str = ""):
    cell = new_code_cell(text.strip())
    if tag:
        cell.metadata["tags"] = [tag]
    return cell


EXPLORE = [
    md("""
# Explore extracted reports

Facts, arithmetic checks and narrative/table conflicts of a batch of reports, as pandas
frames and plots.

By default this runs the extractor (the embedded model, or rules only when there is none)
on the bundled sample reports in `samples/reports/`. To explore your own batch, run
`govie extract REPORTS -o out/records.jsonl` and start Jupyter with
`GOVIE_RECORDS=out/records.jsonl`. Frames: `inference.report_frames`; plots:
`inference.report_plots`; record schema: `configs/schema/report.schema.json`.
"""),
    code("""
%matplotlib inline
import os

import pandas as pd

from inference import report_frames as rf
from inference import report_plots as rp

pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 160)
"""),
    md("## Records: one per report"),
    code("""
RECORDS = os.environ.get("GOVIE_RECORDS")  # JSON Lines of `govie extract`; unset: the samples
records = rf.load_records(RECORDS) if RECORDS else rf.extract_records(rf.sample_paths())
reports = rf.reports_frame(records)
print(f"{len(reports)} reports, {reports['error'].notna().sum()} with errors")
reports
""", "reports"),
    md("""
## Facts: one row per figure

`origin` says where a figure was found (an official table or the narrative); `key` is the
metric taxonomy key (`configs/taxonomy.yaml`; empty when the metric is not mapped);
`evidence_*` point back into the report text.
"""),
    code("""
facts = rf.facts_frame(records)
print(f"{len(facts)} facts, {facts['key'].notna().sum()} mapped to a taxonomy key")
facts.head(10)
""", "facts"),
    code("""
facts.groupby(["report", "origin"]).size().unstack(fill_value=0)
"""),
    md("""
## Information requests and their outcomes

Per report: requests received (`requests.new`) and the outcome groups
(`requests.outcome.*`), annual figures for the whole body: table figures first (the total
applicant column), else narrative ones. 2008–2018 reports often state only some of them.
"""),
    code("""
requests = rf.requests_frame(facts)
requests
""", "requests"),
    code("""
rp.plot_requests(requests);
""", "plot"),
    md("""
## Proactive disclosure by year and level

`proactive.total` per report, summed by report year and the administrative level of the
issuing body (`configs/levels.yaml`: province, city, county, township, unknown).
"""),
    code("""
proactive = rf.proactive_frame(facts)
by_year_level = rf.proactive_by_year_level(facts)
proactive
"""),
    code("""
rp.plot_proactive(by_year_level, levels=rf.level_order());
by_year_level
""", "plot"),
    md("""
## Arithmetic checks (勾稽关系)

Every official table is checked (rows and columns that must add up); a failed check means
the report, or its parsing, is inconsistent: read its `detail`.
"""),
    code("""
checks = rf.checks_frame(records)
failing = rf.failing_checks(checks)
print(f"{len(checks)} checks, {len(failing)} failed, in "
      f"{failing['source'].nunique()} of {len(reports)} reports")
rp.plot_checks(reports);
failing
""", "plot"),
    md("""
## Narrative/table conflicts

Where the narrative states a figure the table also holds, the two are compared:
`agreement` is `agree` or `conflict`. Conflicts are listed with both sides' evidence.
"""),
    code("""
conflicts = rf.conflicts_frame(facts)
print(f"{len(conflicts)} conflicting facts; {(facts['agreement'] == 'agree').sum()} facts agree")
rp.plot_conflicts(reports);
conflicts
""", "plot"),
    md("## Warnings and errors"),
    code("""
warnings_ = rf.warnings_frame(records)
warnings_.groupby("code").size() if len(warnings_) else "no warnings"
"""),
    code("""
reports[reports["error"].notna()][["source", "error"]]
"""),
]

ERRORS = [
    md("""
# Error analysis of the NER stage

Predictions of the NER stage as served (model + patterns; patterns alone when there is no
model) against gold on the dev split: the `dev_ids.json` saved with the model by
`govie train`, or, without it, the split of the recipe (`configs/train.yaml`:
`dev_fraction`, `seed`). Functions: `training.error_analysis` (scores from
`training.evaluate`). Set `GOVIE_MODEL` to analyse another model folder.
"""),
    code("""
%matplotlib inline
import os

import pandas as pd

from inference import report_plots as rp
from training import error_analysis as ea

pd.set_option("display.max_colwidth", 80)
pd.set_option("display.width", 160)
"""),
    code("""
analysis = ea.analyse(os.environ.get("GOVIE_MODEL"))
print(f"system: {analysis.system}; model: {analysis.model}")
print(f"dev split: {analysis.split}")
print(f"{len(analysis.docs)} dev documents, {sum(map(len, analysis.gold))} gold spans, "
      f"{sum(map(len, analysis.pred))} predicted")
""", "analysis"),
    md("## Scores per label (exact spans)"),
    code("""
scores = ea.per_label_frame(analysis.report)
rp.plot_label_scores(scores.drop(index=["micro", "macro"]));
scores.round(3)
""", "plot"),
    md("""
## Errors by kind

`missed` (no prediction overlaps the gold span), `wrong_label` (the overlapping prediction
has another label), `boundary` (same label, other ends), `spurious` (a prediction overlapping
no gold span).
"""),
    code("""
errors = ea.errors_frame(analysis)
counts = ea.error_counts(errors)
print(f"{len(errors)} errors")
rp.plot_error_kinds(counts);
counts
""", "plot"),
    md("## The errors with their text (the span in [brackets] in its context)"),
    code("""
errors[errors["kind"] == "missed"].head(25)
"""),
    code("""
errors[errors["kind"] == "boundary"].head(25)
"""),
    code("""
errors[errors["kind"] == "wrong_label"].head(25)
"""),
    code("""
errors[errors["kind"] == "spurious"].head(25)
"""),
    md("## Worst documents"),
    code("""
pd.DataFrame(analysis.report["worst_documents"])
"""),
]


PANEL = [
    md("""
# The panel: one body across years

`govie panel` joins the records of many reports into one table: one row per
(issuer, year, key, scope, period), one value chosen (a template table over the narrative;
agreement over conflict), the other values kept with their sources, and the same report seen
twice (a repost, a mirror, a PDF and its web page) counted once. The cross-year checks
compare each issuer's consecutive years (上年结转 = last year's 结转下年; 现行有效 stock;
cumulative figures; jumps of more than ten times).

By default this extracts the bundled sample reports (rules only): five bodies, one year
each, so the series have one point and no cross-year pair exists. To see an archive, run
`govie extract ARCHIVE -o out/records.jsonl` and start Jupyter with
`GOVIE_RECORDS=out/records.jsonl`. Functions: `inference.panel`, `inference.panel_checks`,
`inference.panel_plots`; columns and checks: `docs/guide.md`.
"""),
    code("""
%matplotlib inline
import os

import pandas as pd

from inference import panel, panel_checks, panel_plots
from inference import report_frames as rf

pd.set_option("display.max_colwidth", 60)
pd.set_option("display.width", 160)
"""),
    code("""
RECORDS = os.environ.get("GOVIE_RECORDS")  # JSON Lines of `govie extract`; unset: the samples
records = rf.load_records(RECORDS) if RECORDS else rf.extract_records(rf.sample_paths(),
                                                                      rules_only=True)
df, summary = panel.build_panel(records)
print(f"{summary.records} records, {summary.joined} reports joined, {summary.duplicates} "
      f"duplicates, {summary.without_issuer} without issuer, {summary.rows} panel rows")
df.head(10)
""", "panel"),
    md("## Issuers of the records"),
    code("""
panel.issuers_frame(records)
"""),
    md("## Coverage by year and level"),
    code("""
cov = panel.coverage(df)
panel_plots.plot_coverage(cov);
cov
""", "plot"),
    md("## One issuer's series (the issuer with the most years)"),
    code("""
who = panel.most_followed(df)
series = panel.series(df, who) if who else None
print(f"issuer {who}")
panel_plots.plot_series(series, who);
series
""", "plot"),
    md("## Cross-year checks: failures first, each with the evidence of both years"),
    code("""
checks = panel_checks.cross_year_checks(df)
print(f"{len(checks)} cross-year checks, {int((~checks['ok']).sum()) if len(checks) else 0} failed")
panel_plots.plot_check_failures(checks);
checks.sort_values("ok").head(20)
""", "plot"),
]


def write(name: str, cells: list) -> Path:
    nb = new_notebook(cells=cells, metadata=META)
    nbformat.validate(nb)
    path = HERE / name
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    import sys

    todo = (("01_explore_reports.ipynb", EXPLORE), ("02_error_analysis.ipynb", ERRORS),
            ("03_panel.ipynb", PANEL))
    for name, cells in todo:  # python make_notebooks.py [NAME...]: only those
        if len(sys.argv) < 2 or name in sys.argv[1:]:
            print(write(name, cells))
