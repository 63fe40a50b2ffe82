"""The evidence view: one report's record, with the report's text, as one self-contained
HTML page (``govie view``, and ``GET /`` of ``govie serve``).

    html = render(record, text)   # text: the document text the record's offsets point into
    html = render(record, text, rules=rules)   # the loaded rules (default: default_rules())

The page shows the text with every entity highlighted by label and each fact's value and
metric linked to the fact (hover: a summary; click or Enter: key, normalised value, unit,
scope, period, score and evidence in the inspector), page chrome greyed, the parsed tables
as tables in their place with each cell linked to its facts and failed 勾稽 checks marked
on the cells they added up, a sortable facts panel (table/narrative conflicts first), the
checks, and a chart of the requests table (inline SVG).

Pure: a record dict (``inference.output.record``) and a str in, a str out. No network: the
styles and the script are inline. Everything taken from the record or the text is escaped
(Jinja2 autoescape; the facts' JSON through ``tojson``). ``text`` may be None (the source
is gone): the page then shows tables, facts and checks without the text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from .view_chart import fmt_number, requests_chart  # noqa: F401  (re-exported)

from .rules import Rules, or_default


@dataclass(frozen=True)
class Mark:
    """A stretch of text to wrap: page chrome, a heading, an entity, or a fact's evidence
    span that no entity covers. Outer ranks nest around inner ones."""

    start: int
    end: int
    kind: str  # "chrome", "heading", "entity", "fact"
    attrs: dict = field(default_factory=dict, compare=False)

    @property
    def rank(self) -> int:
        return {"chrome": 0, "heading": 0, "entity": 1, "fact": 2}[self.kind]


# ---- small formatting helpers -----------------------------------------------------------

def _where(ev: Optional[dict]) -> str:
    """Where a piece of evidence is: text offsets, table cell, PDF page and box."""
    if not ev:
        return "—"
    parts = []
    if ev.get("table") is not None and ev.get("row") is not None:
        parts.append(f"{ev['table']} · row {ev['row']}, col {ev.get('col')}")
    if ev.get("start") is not None:
        parts.append(f"text {ev['start']}–{ev['end']}")
    if ev.get("page") is not None:
        parts.append(f"page {ev['page']}")
    if ev.get("bbox"):
        parts.append("box (" + ", ".join(f"{v:.1f}" for v in ev["bbox"]) + ")")
    return " · ".join(parts) or "—"


# ---- facts ------------------------------------------------------------------------------

def _span_key(ev: Optional[dict]) -> Optional[tuple[int, int]]:
    if ev and ev.get("start") is not None and ev.get("end") is not None and ev.get("row") is None:
        return ev["start"], ev["end"]
    return None


def _cell_key(ev: Optional[dict]) -> Optional[tuple[str, int, int]]:
    if ev and ev.get("table") is not None and ev.get("row") is not None:
        return ev["table"], ev["row"], ev.get("col")
    return None


def fact_infos(record: dict) -> list[dict]:
    """One dict per fact of the record (id ``f<i>``, in record order), the fields the page
    shows: key, metric, normalised value, unit, scope, period, score, where …"""
    scores = {(e["start"], e["end"]): e.get("score") for e in record.get("entities") or []}
    out = []
    for i, f in enumerate(record.get("facts") or []):
        ev, mev = f.get("evidence"), f.get("metric_evidence")
        score = scores.get(_span_key(ev)) if _span_key(ev) else None
        marker = {"lower": "≥", "upper": "≤"}.get(f.get("bound") or "", "≈" if f.get("approx") else "")
        out.append({
            "id": f"f{i}", "key": f.get("key") or "", "metric": f.get("metric") or "",
            "value": f.get("value"), "value_text": marker + fmt_number(f.get("value")),
            "raw": f.get("raw") or "", "unit": f.get("unit") or "", "scope": f.get("scope") or "",
            "period": f.get("period") or "", "applicant": f.get("applicant") or "",
            "origin": f.get("origin") or "", "agreement": f.get("agreement") or "",
            "parent": f.get("parent") or "", "template": f.get("template") or "",
            "score": "—" if score is None else f"{score:.3f}",
            "where": _where(ev), "metric_where": _where(mev),
        })
    return out


def _summary(info: dict) -> str:
    """The one-line hover text of a fact."""
    bits = [f"{info['key'] or '(no key)'} = {info['value_text']} {info['unit']}".strip()]
    bits += [x for x in (info["scope"], info["period"], info["applicant"]) if x]
    bits.append(f"score {info['score']}")
    return " · ".join(bits)


def _links(record: dict) -> tuple[dict, dict]:
    """fact ids by text span (start, end) and by table cell (table, row, col), for the
    evidence of the value and of the metric."""
    spans: dict[tuple, list[str]] = {}
    cells: dict[tuple, list[str]] = {}
    for i, f in enumerate(record.get("facts") or []):
        for ev in (f.get("evidence"), f.get("metric_evidence")):
            for key, index in ((_cell_key(ev), cells), (_span_key(ev), spans)):
                if key is not None and f"f{i}" not in index.setdefault(key, []):
                    index[key].append(f"f{i}")
    return spans, cells


def facts_panel(infos: list[dict]) -> list[dict]:
    """The facts in panel order: table/narrative conflicts first, then record order."""
    return sorted(infos, key=lambda x: x["agreement"] != "conflict")


# ---- checks -----------------------------------------------------------------------------

def check_infos(record: dict) -> list[dict]:
    """The checks (id ``c<i>``), failed first."""
    out = []
    for i, c in enumerate(record.get("checks") or []):
        out.append({"id": f"c{i}", "name": c.get("name", ""), "ok": bool(c.get("ok")),
                    "expected": fmt_number(c.get("expected")), "actual": fmt_number(c.get("actual")),
                    "detail": c.get("detail") or "", "table": c.get("table"),
                    "cells": [tuple(x) for x in c.get("cells") or []]})
    return sorted(out, key=lambda c: c["ok"])


# ---- the text ---------------------------------------------------------------------------

def text_marks(record: dict, text: str, spans: dict, infos: list[dict]) -> tuple[list[Mark], int]:
    """Every mark of the text, and how many entities did not match the text (a record
    read with the wrong text)."""
    by_id = {x["id"]: x for x in infos}
    marks: list[Mark] = []
    bad = 0
    for s, e in record.get("chrome") or []:
        marks.append(Mark(s, e, "chrome"))
    for b in record.get("blocks") or []:
        if b.get("kind") == "heading":
            marks.append(Mark(b["start"], b["end"], "heading"))
    covered = set()
    for ent in record.get("entities") or []:
        s, e = ent["start"], ent["end"]
        if not (0 <= s < e <= len(text)) or text[s:e] != ent.get("text"):
            bad += 1
            continue
        ids = spans.get((s, e), [])
        covered.add((s, e))
        score = ent.get("score")
        title = "\n".join([f"{ent['label']} · score " + (f"{score:.3f}" if score is not None else "—")]
                          + [_summary(by_id[i]) for i in ids])
        marks.append(Mark(s, e, "entity", {"label": ent["label"], "facts": " ".join(ids),
                                           "title": title, "score": score,
                                           "entity": ent.get("id") or ""}))
    for (s, e), ids in spans.items():
        if (s, e) not in covered and 0 <= s < e <= len(text):
            marks.append(Mark(s, e, "fact", {"facts": " ".join(ids),
                                             "title": "\n".join(_summary(by_id[i]) for i in ids)}))
    return marks, bad


def nest(text: str, marks: list[Mark], a: int, b: int) -> tuple[list[dict], int]:
    """The nodes of ``text[a:b]``: plain text ``{"t": "text", "s": ...}`` and marks
    ``{"t": kind, "start", "end", "children", ...attrs}`` nested by containment. Chrome
    and headings are clipped to ``[a, b)``; a mark that crosses another one is dropped
    (counted)."""
    root: dict = {"children": []}
    stack: list[tuple[dict, int]] = [(root, b)]
    pos, dropped = a, 0

    def emit(upto: int) -> None:
        nonlocal pos
        if upto > pos:
            stack[-1][0]["children"].append({"t": "text", "s": text[pos:upto]})
            pos = upto

    inside = []
    for m in marks:
        s, e = (max(m.start, a), min(m.end, b)) if m.rank == 0 else (m.start, m.end)
        if s < e and a <= s and e <= b:
            inside.append((s, e, m))
        elif m.rank > 0 and m.start < b and m.end > a:
            dropped += 1
    for s, e, m in sorted(inside, key=lambda x: (x[0], -x[1], x[2].rank)):
        while len(stack) > 1 and s >= stack[-1][1]:
            emit(stack[-1][1])
            stack.pop()
        if e > stack[-1][1]:
            dropped += 1
            continue
        emit(s)
        node = {"t": m.kind, "start": s, "end": e, "children": [], **m.attrs}
        stack[-1][0]["children"].append(node)
        stack.append((node, e))
    while len(stack) > 1:
        emit(stack[-1][1])
        stack.pop()
    emit(b)
    return root["children"], dropped


# ---- tables -----------------------------------------------------------------------------

def table_view(table: dict, cell_facts: dict, infos: dict, failed: dict,
               text: Optional[str]) -> dict:
    """A table as rows of cells (gaps filled, merged cells once), each cell with its fact
    ids, the failed checks that added it up, and PDF page and box."""
    cells = table.get("cells") or []
    anchors = {(c["row"], c["col"]): c for c in cells}
    covered = {(r, k) for c in cells
               for r in range(c["row"], c["row"] + c.get("rowspan", 1))
               for k in range(c["col"], c["col"] + c.get("colspan", 1))} - set(anchors)
    n_rows = max((c["row"] + c.get("rowspan", 1) for c in cells), default=0)
    n_cols = max((c["col"] + c.get("colspan", 1) for c in cells), default=0)
    rows = []
    for r in range(n_rows):
        row = []
        for k in range(n_cols):
            if (r, k) in covered:
                continue
            c = anchors.get((r, k), {"row": r, "col": k, "text": ""})
            ids = cell_facts.get((table["id"], r, k), [])
            checks = failed.get((table["id"], r, k), [])
            title = [_summary(infos[i]) for i in ids]
            title += [f"✗ {ck['name']}: expected {ck['expected']}, actual {ck['actual']}" for ck in checks]
            if c.get("page") is not None:
                title.append(_where({"page": c.get("page"), "bbox": c.get("bbox")}))
            row.append({"row": r, "col": k, "text": c.get("text", ""), "start": c.get("start"),
                        "end": c.get("end"), "rowspan": c.get("rowspan", 1),
                        "colspan": c.get("colspan", 1), "facts": " ".join(ids),
                        "checks": [ck["id"] for ck in checks], "title": "\n".join(title)})
        rows.append(row)
    raw = text[table["start"]:table["end"]] if text is not None else None
    return {"id": table["id"], "origin": table.get("origin"), "template": table.get("template"),
            "caption": table.get("caption"), "rows": rows, "raw": raw,
            "start": table["start"], "end": table["end"]}


def _failed_cells(checks: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for ck in checks:
        if not ck["ok"]:
            for r, k in ck["cells"]:
                out.setdefault((ck["table"], r, k), []).append(ck)
    return out


def pieces(record: dict, text: str, marks: list[Mark], tables: dict[str, dict]
           ) -> tuple[list[dict], list[dict], int]:
    """The page body in text order: text pieces (nested nodes) and tables in their place;
    tables that overlap an earlier one come after the text. Also the count of dropped
    marks."""
    out, rest, pos, dropped = [], [], 0, 0
    for t in sorted(record.get("tables") or [], key=lambda t: t["start"]):
        if t["start"] < pos or t["end"] > len(text):
            rest.append(tables[t["id"]])
            continue
        nodes, d = nest(text, marks, pos, t["start"])
        out += [{"t": "text", "nodes": nodes}, {"t": "table", "table": tables[t["id"]]}]
        pos, dropped = t["end"], dropped + d
    nodes, d = nest(text, marks, pos, len(text))
    out.append({"t": "text", "nodes": nodes})
    return out, rest, dropped + d


@lru_cache(maxsize=1)
def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("inference", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = fmt_number
    return env


@lru_cache(maxsize=4)
def _asset(name: str):
    """An inline asset (CSS, JS) as markup: our own files, never record data."""
    from markupsafe import Markup

    env = _env()
    return Markup(env.loader.get_source(env, name)[0])


def context(record: dict, text: Optional[str], rules: Rules) -> dict[str, Any]:
    """Everything the page template shows, computed from the record and the text."""
    styles = rules.view.labels
    infos = fact_infos(record)
    by_id = {x["id"]: x for x in infos}
    spans, cell_facts = _links(record)
    checks = check_infos(record)
    failed = _failed_cells(checks)
    tables = {t["id"]: table_view(t, cell_facts, by_id, failed, text)
              for t in record.get("tables") or []}
    body, rest, dropped, bad = [], list(tables.values()), 0, 0
    if text is not None:
        marks, bad = text_marks(record, text, spans, infos)
        body, rest, dropped = pieces(record, text, marks, tables)
    entities = record.get("entities") or []
    counts = {s["name"]: sum(e["label"] == s["name"] for e in entities) for s in styles}
    return {
        "rec": record, "meta": record.get("metadata") or {}, "has_text": text is not None,
        "body": body, "other_tables": rest, "facts": facts_panel(infos), "fact_data": infos,
        "checks": checks, "failed": [c for c in checks if not c["ok"]],
        "unmarked": [c for c in checks if not c["ok"] and not c["cells"]],
        "conflicts": sum(x["agreement"] == "conflict" for x in infos),
        "warnings": record.get("warnings") or [], "labels": styles, "counts": counts,
        "chart": requests_chart(record, rules), "mismatched": bad, "dropped": dropped,
        "css": _asset("view.css"), "js": _asset("view.js"),
    }


def render(record: dict, text: Optional[str] = None, *, back: Optional[str] = None,
           rules: Optional[Rules] = None) -> str:
    """The HTML page of one report record. ``back``: a link shown at the top (the service
    page's upload form); ``rules``: the loaded rules (default ``default_rules()``)."""
    if record.get("error"):
        raise ValueError(f"{record.get('source')}: an error record has no view "
                         f"({record['error'].get('message')})")
    return _env().get_template("view.html.j2").render(**context(record, text, or_default(rules)),
                                                         back=back)


def render_form(*, error: Optional[str] = None, max_mb: float = 20.0) -> str:
    """The service's upload page (``GET /``): upload a report or paste its text."""
    return _env().get_template("form.html.j2").render(error=error, max_mb=max_mb,
                                                      css=_asset("view.css"))


def render_index(entries: list[dict]) -> str:
    """The index of a folder of views: ``entries`` of ``{"href", "source", "title",
    "facts", "failed", "error"}``."""
    return _env().get_template("index.html.j2").render(entries=entries, css=_asset("view.css"))
