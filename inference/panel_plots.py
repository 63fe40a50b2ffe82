"""matplotlib plots of the panel (``inference/panel.py``) and its cross-year checks, for
notebook 03. Each function draws on a new (or given) Axes and returns it; an empty frame
gives an Axes that says so. Labels are ASCII (levels, keys, division codes)."""
from __future__ import annotations

from typing import Any, Optional

from .report_plots import _axes, _empty


def plot_coverage(cov, ax: Optional[Any] = None):
    """Stacked bars: issuers in the panel per year, by level."""
    ax = _axes(ax)
    title = "Panel coverage: issuers per year and level"
    if cov.empty:
        return _empty(ax, title, "no report joined (no issuer, year or keyed facts)")
    cov.plot(kind="bar", stacked=True, ax=ax)
    ax.set_title(title)
    ax.set_ylabel("issuers")
    ax.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def plot_series(series, issuer: Optional[str], ax: Optional[Any] = None):
    """One issuer's figures over the years (one line per key)."""
    ax = _axes(ax)
    title = f"Series of issuer {issuer}"
    if series is None or series.empty:
        return _empty(ax, title, "no figures for this issuer")
    series.plot(ax=ax, marker="o")
    ax.set_title(title)
    ax.set_xlabel("year")
    ax.legend(fontsize="small", bbox_to_anchor=(1.01, 1), loc="upper left")
    return ax


def plot_check_failures(checks, ax: Optional[Any] = None):
    """Cross-year checks per kind: passed and failed (jumps count as flagged)."""
    ax = _axes(ax)
    title = "Cross-year checks"
    if checks.empty:
        return _empty(ax, title, "no two consecutive years of one issuer to compare")
    counts = checks.groupby(["check", "ok"]).size().unstack(fill_value=0)
    counts = counts.rename(columns={True: "holds", False: "fails"})
    counts.plot(kind="bar", stacked=True, ax=ax)
    ax.set_title(title)
    ax.set_ylabel("checks")
    return ax
