"""pandas frames of extraction records, for analysts (``notebooks/01_explore_reports``).

Records are the JSON records of ``govie extract`` / ``Report.to_dict()`` (schema:
``configs/schema/report.schema.json``). Every function here takes records or frames and
returns a new frame; nothing touches files except :func:`load_records` and
:func:`extract_records` (which runs the extractor). Missing keys give empty frames or NaN,
never errors: real collections have reports without tables, years or bodies. The rules
they read (levels of bodies, whole-body scopes) come from ``rules`` (a loaded
``inference.rules.Rules``; default ``default_rules()``).

    records = extract_records(sample_paths())          # or load_records("out/records.jsonl")
    reports = reports_frame(records)                   # one row per report
    facts = facts_frame(records)                       # one row per figure (+ year, body, level)
    requests_frame(facts), proactive_frame(facts), checks_frame(records), conflicts_frame(facts)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

from .config import ROOT
from .frame_rules import Levels
from .load import FORMATS

from .rules import Rules, or_default

Records = Sequence[dict[str, Any]]

REPORT_COLUMNS = ["source", "report", "title", "body", "level", "year", "format",
                  "input_format", "facts", "table_facts", "narrative_facts", "tables",
                  "checks", "checks_failed", "conflicts", "warnings", "error"]
CHECK_COLUMNS = ["source", "report", "year", "body", "name", "ok", "expected", "actual",
                 "difference", "detail", "table"]
WARNING_COLUMNS = ["source", "report", "code", "message", "start", "end"]
CONFLICT_COLUMNS = ["source", "report", "key", "metric", "period", "scope", "applicant",
                    "origin", "value", "unit", "raw", "evidence_text", "evidence_start",
                    "evidence_table"]


# ---- inputs -----------------------------------------------------------------------------

def sample_paths(folder: Union[str, Path, None] = None) -> list[Path]:
    """The bundled sample reports (``samples/reports``), files of known formats only."""
    d = Path(folder) if folder is not None else ROOT / "samples" / "reports"
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix.lower() in FORMATS)


def load_records(path: Union[str, Path]) -> list[dict[str, Any]]:
    """The records of a JSON Lines output of ``govie extract``."""
    from .output import read_jsonl

    if not Path(path).is_file():
        raise FileNotFoundError(f"no records file at {path}")
    return list(read_jsonl(path))


def extract_records(paths: Iterable[Union[str, Path]], model: Union[str, Path, None] = None,
                    rules_only: bool = False, batch_size: int = 4) -> list[dict[str, Any]]:
    """Run the extractor (the embedded default model unless ``model`` or ``rules_only``) on
    ``paths`` and return their records, in order; unreadable inputs give error records."""
    from .api import Extractor

    ex = Extractor.load(model, rules_only=rules_only)
    return [r.to_dict() for r in ex.extract_many([Path(p) for p in paths],
                                                 batch_size=batch_size)]


# ---- levels of issuing bodies -----------------------------------------------------------

def body_level(body: Optional[str], levels: Levels) -> str:
    """province / city / county / township / unknown, from the last administrative unit
    named in ``body`` (rules ``levels``: ``Rules.levels``, configs/levels.yaml)."""
    if not body or not isinstance(body, str):
        return "unknown"
    last = None
    for m in levels.unit_re.finditer(body):
        last = m
    return levels.unit_level[last.lastgroup] if last is not None else "unknown"


def level_order(rules: Optional[Rules] = None) -> list[str]:
    return list(or_default(rules).levels.order)


# ---- per report -------------------------------------------------------------------------

def report_name(source: str) -> str:
    """A short label for plots: the file stem (of the archive member for archives)."""
    return Path(str(source).split("!")[-1]).stem or str(source)


def _meta(rec: dict[str, Any]) -> dict[str, Any]:
    return rec.get("metadata") or {}


def reports_frame(records: Records, rules: Optional[Rules] = None):
    """One row per record: metadata, counts of facts/checks/conflicts/warnings, error."""
    import pandas as pd

    levels = or_default(rules).levels
    rows = []
    for rec in records:
        m, facts = _meta(rec), rec.get("facts") or []
        checks = rec.get("checks") or []
        err = rec.get("error")
        rows.append({
            "source": rec.get("source"), "report": report_name(rec.get("source", "")),
            "title": m.get("title"), "body": m.get("body"), "level": body_level(m.get("body"), levels),
            "year": m.get("year"), "format": m.get("format"), "input_format": rec.get("format"),
            "facts": len(facts),
            "table_facts": sum(f.get("origin") == "table" for f in facts),
            "narrative_facts": sum(f.get("origin") == "narrative" for f in facts),
            "tables": len(rec.get("tables") or []),
            "checks": len(checks), "checks_failed": sum(not c.get("ok") for c in checks),
            "conflicts": sum(f.get("agreement") == "conflict" for f in facts),
            "warnings": len(rec.get("warnings") or []),
            "error": f"{err['kind']}: {err['message']}" if err else None,
        })
    df = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df


def _report_info(records: Records, rules: Optional[Rules]):
    return reports_frame(records, rules)[["source", "report", "year", "body", "level", "format"]]


def facts_frame(records: Records, rules: Optional[Rules] = None):
    """The flat facts of ``inference.output.facts_frame`` plus the report's ``report``,
    ``year``, ``body``, ``level`` and ``format`` (the report format: 2008/2019/2021)."""
    from .output import facts_frame as flat

    return flat(records).drop(columns=["year"]).merge(_report_info(records, rules), on="source",
                                                          how="left")


def checks_frame(records: Records):
    """One row per arithmetic check (勾稽关系) with ``difference`` = actual - expected."""
    import pandas as pd

    rows = []
    for rec in records:
        m = _meta(rec)
        for c in rec.get("checks") or []:
            exp, act = c.get("expected"), c.get("actual")
            rows.append({"source": rec.get("source"), "report": report_name(rec.get("source", "")),
                         "year": m.get("year"), "body": m.get("body"), "name": c.get("name"),
                         "ok": bool(c.get("ok")), "expected": exp, "actual": act,
                         "difference": (act - exp) if exp is not None and act is not None else None,
                         "detail": c.get("detail"), "table": c.get("table")})
    df = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    for col in ("expected", "actual", "difference"):
        df[col] = df[col].astype("float64")
    return df


def failing_checks(checks):
    """The checks that failed (a frame of :func:`checks_frame`)."""
    return checks[~checks["ok"].astype(bool)].reset_index(drop=True)


def warnings_frame(records: Records):
    import pandas as pd

    rows = [{"source": rec.get("source"), "report": report_name(rec.get("source", "")),
             **{k: w.get(k) for k in ("code", "message", "start", "end")}}
            for rec in records for w in rec.get("warnings") or []]
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)


def conflicts_frame(facts):
    """Facts where table and narrative disagree (``agreement == "conflict"``), table and
    narrative side by side in consecutive rows, with their evidence."""
    df = facts[facts["agreement"] == "conflict"]
    return df.sort_values(["source", "key", "origin"], kind="stable")[CONFLICT_COLUMNS] \
        .reset_index(drop=True)


# ---- headline figures -------------------------------------------------------------------

def headline(facts, key: str, rules: Optional[Rules] = None):
    """One figure of ``key`` per report: the annual value for the report's whole body —
    a table fact first (the applicant total column where there is one), else a narrative
    fact whose scope is the whole body (全市, 全区 …; ``configs/normalise.yaml``
    ``whole_scopes``), else one with no scope. Reports without such a figure have no row."""
    import pandas as pd

    whole = or_default(rules).merge.whole_scopes
    df = facts[(facts["key"] == key) & (facts["period"] == "annual")].copy()
    df = df[df["applicant"].isna() | (df["applicant"] == "total")]
    df = df[df["scope"].isna() | df["scope"].isin(whole) | (df["origin"] == "table")]
    df = df[df["value"].notna()]
    if df.empty:
        return pd.DataFrame(columns=["source", "value", "origin", "raw"])
    df["_rank"] = (df["origin"] != "table") * 2 + df["scope"].isna()
    df = df.sort_values(["source", "_rank"], kind="stable").drop_duplicates("source")
    return df[["source", "value", "origin", "raw"]].reset_index(drop=True)


def outcome_groups(facts) -> list[str]:
    """The outcome groups under ``requests.outcome`` in ``facts`` (disclosed, partial,
    withheld …), in the order first seen."""
    keys = facts["key"].dropna()
    keys = keys[keys.str.startswith("requests.outcome.")]
    return list(dict.fromkeys(k.split(".")[2] for k in keys))


def headline_or_details(facts, key: str, rules: Optional[Rules] = None):
    """Per source, the headline figure of ``key``, or (where it has none) the sum of the
    headline figures of its detail keys (``key.*``: the 2021 不予公开 reasons ...)."""
    import pandas as pd

    rules = or_default(rules)
    own = headline(facts, key, rules)[["source", "value"]].set_index("source")["value"]
    subs = [k for k in facts["key"].dropna().unique() if k.startswith(key + ".")]
    parts = [headline(facts, k, rules)[["source", "value"]] for k in subs]
    summed = (pd.concat(parts).groupby("source", as_index=False)["value"].sum()
              if parts else pd.DataFrame(columns=["source", "value"]))
    return own.combine_first(summed.set_index("source")["value"]) if len(summed) else own


def requests_frame(facts, rules: Optional[Rules] = None):
    """Per report: requests received (``requests.new``) and the outcome groups
    (``requests.outcome.<group>``; a group without its own figure is the sum of its
    details, e.g. the 2021 不予公开 reasons). Reports with no request figure are left out."""
    rules = or_default(rules)
    info = facts[["source", "report", "year", "level"]].drop_duplicates("source")
    out = info.merge(headline(facts, "requests.new", rules)[["source", "value"]]
                     .rename(columns={"value": "received"}), on="source", how="left")
    for group in outcome_groups(facts):
        col = headline_or_details(facts, f"requests.outcome.{group}", rules)
        out = out.merge(col.rename(group).reset_index(), on="source", how="left")
    groups = [c for c in out.columns if c not in ("source", "report", "year", "level")]
    out[groups] = out[groups].astype("float64")
    out = out[out[groups].notna().any(axis=1)] if groups else out.iloc[0:0]
    return out.reset_index(drop=True)


def proactive_frame(facts, rules: Optional[Rules] = None):
    """Per report: the proactive disclosure total (``proactive.total``, headline figure)
    with year, body and level."""
    info = facts[["source", "report", "year", "body", "level"]].drop_duplicates("source")
    return info.merge(headline(facts, "proactive.total", rules), on="source", how="inner") \
        .rename(columns={"value": "proactive_total"}).reset_index(drop=True)


def proactive_by_year_level(facts, rules: Optional[Rules] = None):
    """Sum of proactive disclosure totals and number of reports per year and level."""
    df = proactive_frame(facts, rules)
    df = df[df["year"].notna()]
    return (df.groupby(["year", "level"], as_index=False)
              .agg(proactive_total=("proactive_total", "sum"), reports=("source", "count")))
