"""The requests chart of the evidence view (received, then one bar per outcome; labels and
keys from ``configs/view.yaml``; figures as ``inference.report_frames`` reads them for the
notebooks) and the number format of the page."""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from .rules import Rules


def fmt_number(x: Optional[float]) -> str:
    if x is None:
        return "—"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.6g}"


def _figure(facts, key: str, rules: Rules) -> Optional[float]:
    """The headline figure of ``key`` in a one-report frame, or the sum of its details'."""
    from .report_frames import headline_or_details

    col = headline_or_details(facts, key, rules)
    return float(col.iloc[0]) if len(col) else None


def requests_chart(record: dict, rules: Rules, width: int = 340) -> Optional[dict]:
    """The geometry of the requests chart (``rules.view.chart``, configs/view.yaml): a
    stacked bar of the requests received, then one bar per outcome; None without request
    figures."""
    from .report_frames import facts_frame

    cfg = rules.view.chart
    facts = facts_frame([record], rules)
    received = [(x["label"], x["key"], _figure(facts, x["key"], rules)) for x in cfg["received"]]
    received = [r for r in received if r[2] is not None]
    outcomes = [(x["label"], x["key"], _figure(facts, x["key"], rules)) for x in cfg["outcomes"]]
    outcomes = [o for o in outcomes if o[2] is not None]
    if not received and not outcomes:
        return None
    total = sum(v for _, _, v in received)
    top = max([total] + [v for _, _, v in outcomes]) or 1.0
    gutter, right, row_h, bar_h = 84, 44, 24, 16
    scale = (width - gutter - right) / top
    rows, y = [], 28
    groups = ([(cfg.get("received_label", "received"), received)] if received else []) + [(o[0], [o]) for o in outcomes]
    for n, (label, parts) in enumerate(groups):
        x, segs = gutter, []
        for k, (plabel, key, v) in enumerate(parts):
            segs.append({"x": x, "w": max(v * scale, 0.0), "cls": f"seg{k}" if n == 0 and received else "out",
                         "title": f"{plabel} {fmt_number(v)} ({key})"})
            x += v * scale
        value = sum(p[2] for p in parts)
        rows.append({"label": label, "y": y, "h": bar_h, "segments": segs,
                     "value_text": fmt_number(value), "x_text": x + 6, "received": n == 0 and bool(received)})
        y += row_h
    done = sum(v for _, _, v in outcomes)
    note = (f"办理结果合计 {fmt_number(done)}，收到 {fmt_number(total)}"
            if received and outcomes and abs(done - total) > 1e-9 else "")
    desc = "；".join(f"{r['label']} {r['value_text']}" for r in rows)
    return {"title": cfg.get("title", ""), "width": width, "height": y + 8, "rows": rows,
            "legend": [p[0] for p in received], "note": note, "desc": desc, "gutter": gutter}


# ---- the page ---------------------------------------------------------------------------
