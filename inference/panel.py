"""The panel over an archive: one row per (issuer, year, key, scope, period) across all the
records of ``govie extract``, so one body can be followed over the years.

Steps (pure functions; only :func:`write_panel` touches files):

1. :func:`report_of` — a record to a :class:`Report`: its canonical issuer
   (``metadata.issuer``, schema 1.2), year, sha256 and keyed facts as candidate values. A
   record without an issuer, a year or keyed facts gives no rows (counted in the summary).
2. :func:`dedupe` — the same report seen twice counts once: the same sha256, or, for one
   issuer and year, keyed facts that overlap at least ``duplicate_overlap``
   (``configs/panel.yaml``, ``Rules.panel``) — a repost, a mirror, a PDF and its web page. The report kept
   is the one with the most table facts (then the first source); the others are listed in
   ``duplicates``.
3. :func:`panel_rows` — per (issuer, year, key, scope, period) one value chosen by the rule:
   **a template table over the narrative; then agreement over conflict** (the value most
   reports give; a tie goes to the first source in sorted order). ``status`` says
   ``single`` (one value seen), ``agree`` (all values equal) or ``conflict``; ``others``
   lists every other value seen, each with its source and evidence.

The cross-year checks on the panel are in :mod:`inference.panel_checks`.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from .frame_rules import PanelRules, build_panel_rules  # noqa: F401  (re-exported)

from .rules import Rules, or_default

COLUMNS = [
    "issuer", "issuer_name", "region_code", "level", "department", "year", "key", "scope",
    "period", "value", "unit", "origin", "status", "n_reports", "evidence_source",
    "evidence_text", "evidence_start", "evidence_end", "evidence_table", "evidence_row",
    "evidence_col", "evidence_page", "others", "duplicates",
]


@dataclass
class Report:
    """One extracted report as the panel sees it."""

    source: str
    sha256: Optional[str]
    issuer: Optional[str]  # join key: region code, township, organ or department
    issuer_name: Optional[str]
    region_code: Optional[str]
    level: Optional[str]
    department: Optional[str]
    year: Optional[int]
    values: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def joinable(self) -> bool:
        return bool(self.issuer and self.year and self.values)

    @cached_property
    def fingerprint(self) -> frozenset:
        """What the report states (built once: every report of its group is compared to it)."""
        return frozenset((v["key"], v["scope"], v["period"], v["value"]) for v in self.values)

    def n_table(self) -> int:
        return sum(v["origin"] == "table" for v in self.values)


def issuer_key(issuer: Optional[dict[str, Any]]) -> Optional[str]:
    """The join key of one body across years: division code, township and organ."""
    if not issuer or not issuer.get("region"):
        return None
    r = issuer["region"]
    return f"{r['code']}:{r.get('township') or ''}:{issuer.get('department') or issuer.get('organ') or ''}"


def _value(fact: dict[str, Any], source: str) -> dict[str, Any]:
    ev = fact.get("evidence") or {}
    return {"key": fact["key"], "scope": fact.get("scope") or "", "period": fact.get("period")
            or "annual", "value": fact["value"], "unit": fact.get("unit"),
            "origin": fact.get("origin") or "table", "source": ev.get("source") or source,
            "text": ev.get("text"), "start": ev.get("start"), "end": ev.get("end"),
            "table": ev.get("table"), "row": ev.get("row"), "col": ev.get("col"),
            "page": ev.get("page")}


def report_of(rec: dict[str, Any]) -> Report:
    """The panel's view of one record (error records give a report with no values)."""
    md = rec.get("metadata") or {}
    iss = md.get("issuer") or {}
    source = rec.get("source") or ""
    values = [_value(f, source) for f in rec.get("facts") or []
              if f.get("key") and f.get("value") is not None]
    return Report(source=source, sha256=rec.get("sha256"), issuer=issuer_key(iss),
                  issuer_name=iss.get("name"), region_code=(iss.get("region") or {}).get("code"),
                  level=iss.get("level"), department=iss.get("department"),
                  year=md.get("year"), values=values if not rec.get("error") else [])


def _overlap(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def dedupe(reports: Iterable[Report], overlap: float) -> list[Report]:
    """The joinable reports with duplicates folded into the one kept (see the module);
    ``overlap``: ``PanelRules.duplicate_overlap``."""
    by_sha: dict[str, Report] = {}
    groups: dict[tuple, list[Report]] = defaultdict(list)
    ordered = sorted((r for r in reports if r.joinable), key=lambda r: (-r.n_table(), r.source))
    for r in ordered:
        if r.sha256 and r.sha256 in by_sha:
            by_sha[r.sha256].duplicates.append(r.source)
            continue
        group = groups[(r.issuer, r.year)]
        twin = next((k for k in group if _overlap(k.fingerprint, r.fingerprint) >= overlap), None)
        if twin is not None:
            twin.duplicates.append(r.source)
            continue
        group.append(r)
        if r.sha256:
            by_sha[r.sha256] = r
    return sorted((r for g in groups.values() for r in g), key=lambda r: r.source)


def choose(cands: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """The value chosen among the candidates of one cell, and its status."""
    pool = [c for c in cands if c["origin"] == "table"] or cands
    counts = Counter(c["value"] for c in pool)
    top = max(counts.values())
    best = next(c for c in pool if counts[c["value"]] == top)  # cands come in source order
    distinct = {c["value"] for c in cands}
    status = "single" if len(cands) == 1 else ("agree" if len(distinct) == 1 else "conflict")
    return best, status


def _other(c: dict[str, Any]) -> dict[str, Any]:
    return {k: c[k] for k in ("value", "unit", "origin", "source", "text", "start", "end",
                              "table", "row", "col", "page")}


def _json(items: list) -> str:
    return json.dumps(items, ensure_ascii=False) if items else "[]"


def panel_rows(reports: Iterable[Report]) -> Iterator[dict[str, Any]]:
    """The rows of the panel of deduplicated ``reports`` (ordered by issuer, year, key)."""
    cells: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    meta: dict[tuple, Report] = {}
    for r in sorted(reports, key=lambda r: r.source):
        for v in r.values:
            k = (r.issuer, r.year, v["key"], v["scope"], v["period"])
            cells[k].append(dict(v, report=r.source, dups=r.duplicates))
            meta.setdefault(k, r)
    for k in sorted(cells, key=lambda k: (k[0], k[1], k[2], k[3], k[4])):
        cands = cells[k]
        best, status = choose(cands)
        r = meta[k]
        yield {
            "issuer": k[0], "issuer_name": r.issuer_name, "region_code": r.region_code,
            "level": r.level, "department": r.department, "year": k[1], "key": k[2],
            "scope": k[3] or None, "period": k[4], "value": best["value"], "unit": best["unit"],
            "origin": best["origin"], "status": status,
            "n_reports": len({c["report"] for c in cands}),
            "evidence_source": best["source"], "evidence_text": best["text"],
            "evidence_start": best["start"], "evidence_end": best["end"],
            "evidence_table": best["table"], "evidence_row": best["row"],
            "evidence_col": best["col"], "evidence_page": best["page"],
            "others": _json([_other(c) for c in cands if c is not best]),
            "duplicates": _json(sorted({d for c in cands for d in c["dups"]})),
        }


@dataclass
class PanelSummary:
    records: int = 0
    joined: int = 0  # reports in the panel after deduplication
    duplicates: int = 0
    without_issuer: int = 0
    without_year: int = 0
    without_facts: int = 0
    rows: int = 0
    checks: int = 0
    checks_failed: int = 0


def summarise(reports: list[Report], kept: list[Report], rows: int) -> PanelSummary:
    s = PanelSummary(records=len(reports), joined=len(kept), rows=rows)
    s.duplicates = sum(len(r.duplicates) for r in kept)
    s.without_issuer = sum(not r.issuer for r in reports)
    s.without_year = sum(bool(r.issuer) and not r.year for r in reports)
    s.without_facts = sum(bool(r.issuer and r.year) and not r.values for r in reports)
    return s


def frame(rows: Iterable[dict[str, Any]]):
    import pandas as pd

    df = pd.DataFrame(list(rows), columns=COLUMNS)
    return df.astype({"year": "Int64", "evidence_start": "Int64", "evidence_end": "Int64",
                      "evidence_row": "Int64", "evidence_col": "Int64",
                      "evidence_page": "Int64", "n_reports": "Int64", "value": "float64"})


def build_panel(records: Iterable[dict[str, Any]], rules: Optional[Rules] = None):
    """The panel frame and summary of ``records`` (dicts of the JSON Lines output);
    ``rules``: the loaded rules (default ``default_rules()``)."""
    reports = [report_of(r) for r in records]
    return build_from_reports(reports, or_default(rules).panel)


def build_from_reports(reports: list[Report], rules: PanelRules):
    kept = dedupe(reports, rules.duplicate_overlap)
    df = frame(panel_rows(kept))
    return df, summarise(reports, kept, len(df))


def iter_records(paths: Iterable[Union[str, Path]], progress: bool = False
                 ) -> Iterator[dict[str, Any]]:
    """The records of JSON Lines files, with a progress bar (counting records)."""
    import sys

    from tqdm import tqdm

    from .output import read_jsonl

    with tqdm(desc="records", unit="record", disable=not progress, file=sys.stderr) as bar:
        for p in paths:
            for rec in read_jsonl(p):
                bar.update(1)
                yield rec


def write_panel(df, path: Union[str, Path], csv: bool = False) -> None:
    """Write the panel (Parquet, or CSV when ``csv`` or the path ends in .csv)."""
    from .output import write_frame

    write_frame(df, path, csv=csv or Path(path).suffix == ".csv")


def coverage(df):
    """Issuers per year and level (for the notebook): a year × level count frame."""
    if df.empty:
        import pandas as pd

        return pd.DataFrame()
    per = df.drop_duplicates(["issuer", "year"])
    return per.pivot_table(index="year", columns="level", values="issuer", aggfunc="count",
                           fill_value=0)


def series(df, issuer: str, keys: Optional[list[str]] = None):
    """One issuer's figures over the years: a year × key frame of chosen values."""
    sub = df[df["issuer"] == issuer]
    if keys:
        sub = sub[sub["key"].isin(keys)]
    sub = sub[sub["scope"].isna()]
    return sub.pivot_table(index="year", columns="key", values="value", aggfunc="first")


def checks_path(output: Union[str, Path], csv: bool) -> Path:
    out = Path(output)
    return out.with_name(f"{out.stem}.checks{'.csv' if csv else out.suffix or '.parquet'}")


def local_reports(paths: list[str], progress: bool = True) -> list[Report]:
    """The reports of the records in ``paths``, read in this process (the Ray engine's
    counterpart is ``inference.ray_panel.ray_reports``)."""
    return [report_of(r) for r in iter_records(paths, progress)]


def run_panel(reports: list[Report], output: Union[str, Path], csv: bool = False,
              checks: Optional[str] = None, rules: Optional[Rules] = None) -> PanelSummary:
    """``govie panel``: build the panel of the reports and its checks, write both
    (``rules``: the loaded rules, default ``default_rules()``, loaded once here)."""
    from .panel_checks import cross_year_checks

    pr = or_default(rules).panel
    df, summary = build_from_reports(reports, pr)
    results = cross_year_checks(df, pr)
    summary.checks, summary.checks_failed = len(results), int((~results["ok"]).sum()) \
        if len(results) else 0
    write_panel(df, output, csv)
    write_panel(results, checks or checks_path(output, csv), csv)
    return summary


def most_followed(df) -> Optional[str]:
    """The issuer with the most years in the panel (then the most rows), for a series."""
    if df.empty:
        return None
    years = df.groupby("issuer")["year"].nunique()
    rows = df.groupby("issuer").size()
    return max(years.index, key=lambda i: (years[i], rows[i], i))


def issuers_frame(records: Iterable[dict[str, Any]]):
    """One row per record: source, year, the issuer's name, code, level and confidence, and
    the issuer warnings (for the notebook)."""
    import pandas as pd

    rows = []
    for r in records:
        md = r.get("metadata") or {}
        iss = md.get("issuer") or {}
        rows.append({"source": r.get("source"), "year": md.get("year"),
                     "issuer": iss.get("name"), "code": (iss.get("region") or {}).get("code"),
                     "level": iss.get("level"), "confidence": iss.get("confidence"),
                     "warnings": "; ".join(w["message"] for w in r.get("warnings") or []
                                           if w["code"].startswith("issuer"))})
    return pd.DataFrame(rows)
