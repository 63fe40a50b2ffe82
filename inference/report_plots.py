"""matplotlib plots of the frames of ``inference.report_frames`` (analyst notebooks).

Each function draws on a new (or given) Axes and returns it; an empty frame gives an
Axes that says so instead of an error. Labels are ASCII (report file stems, metric keys,
levels), so no CJK font is needed. matplotlib is imported lazily (extra ``notebooks``).
"""
from __future__ import annotations

from typing import Any, Optional


def _axes(ax: Optional[Any], figsize=(8, 3.5)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _empty(ax, title: str, message: str):
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return ax


def plot_requests(requests, ax=None):
    """Stacked bars of request outcomes per report, with the requests received marked."""
    ax = _axes(ax)
    title = "Information requests: outcomes per report (annual)"
    groups = [c for c in requests.columns if c not in ("source", "report", "year", "level",
                                                       "received")]
    if requests.empty:
        return _empty(ax, title, "no request figures in these reports")
    labels = [f"{r} ({y})" if y == y and y is not None else str(r)
              for r, y in zip(requests["report"], requests["year"])]
    bottom = [0.0] * len(requests)
    for g in groups:
        vals = requests[g].fillna(0).tolist()
        ax.bar(labels, vals, bottom=bottom, label=g)
        bottom = [b + v for b, v in zip(bottom, vals)]
    if "received" in requests:
        ax.scatter(labels, requests["received"], color="black", marker="_", s=400, zorder=3,
                   label="received (requests.new)")
    ax.set_title(title)
    ax.set_ylabel("requests")
    ax.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    ax.tick_params(axis="x", labelrotation=30)
    return ax


def plot_proactive(by_year_level, ax=None, levels=None):
    """Grouped bars: proactive disclosure totals per year, one bar per body level."""
    ax = _axes(ax)
    title = "Proactive disclosure totals (proactive.total) by year and level"
    if by_year_level.empty:
        return _empty(ax, title, "no proactive disclosure totals with a year")
    table = by_year_level.pivot_table(index="year", columns="level", values="proactive_total",
                                      aggfunc="sum")
    if levels:
        table = table[[lv for lv in levels if lv in table.columns]]
    table.index = table.index.astype(str)
    table.plot.bar(ax=ax, rot=0)
    ax.set_title(title)
    ax.set_ylabel("items disclosed")
    return ax


def plot_checks(reports, ax=None):
    """Arithmetic checks per report: passed and failed."""
    ax = _axes(ax)
    title = "Arithmetic checks per report"
    df = reports[reports["checks"] > 0] if not reports.empty else reports
    if df.empty:
        return _empty(ax, title, "no arithmetic checks (no official tables parsed)")
    passed = (df["checks"] - df["checks_failed"]).tolist()
    ax.bar(df["report"], passed, label="passed", color="tab:green")
    ax.bar(df["report"], df["checks_failed"], bottom=passed, label="failed", color="tab:red")
    ax.set_title(title)
    ax.set_ylabel("checks")
    ax.legend(fontsize="small")
    return ax


def plot_conflicts(reports, ax=None):
    """Facts where table and narrative disagree, per report."""
    ax = _axes(ax)
    title = "Narrative/table conflicts per report"
    if reports.empty or not (reports["conflicts"] > 0).any():
        return _empty(ax, title, "no narrative/table conflicts")
    df = reports[reports["conflicts"] > 0]
    ax.bar(df["report"], df["conflicts"], color="tab:orange")
    ax.set_title(title)
    ax.set_ylabel("conflicting facts")
    return ax


def plot_label_scores(per_label, ax=None):
    """Grouped bars of precision / recall / F1 per label (a frame indexed by label)."""
    ax = _axes(ax)
    title = "Entity scores per label (exact spans)"
    if per_label.empty:
        return _empty(ax, title, "no labels scored")
    per_label[["precision", "recall", "f1"]].plot.bar(ax=ax, rot=0)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    return ax


def plot_error_kinds(counts, ax=None):
    """Stacked bars of error kinds (missed, spurious, wrong_label, boundary) per label
    (a frame indexed by label, one column per kind)."""
    ax = _axes(ax)
    title = "Errors per label and kind"
    if counts.empty:
        return _empty(ax, title, "no errors")
    counts.plot.bar(ax=ax, stacked=True, rot=0)
    ax.set_title(title)
    ax.set_ylabel("errors")
    return ax
