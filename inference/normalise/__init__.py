"""Stage normalise: narrative facts from the linked value spans, merged with table facts.

For every COUNT, PERCENT and MONEY span of ``doc.entities``: the number, unit and
approximation (``numbers``), the scope and period from the sentence before it (``context``),
the METRIC it measures (``doc.relations``) and that metric's taxonomy key (``taxonomy``), the
"其中" parent (``inference.link.breakdowns``). Each becomes ``Fact(origin="narrative")`` with
the value span as evidence and the METRIC span as metric evidence. Then
``inference.merge.merge`` puts them together with the table facts and marks agreements and
conflicts. Rules as data: ``configs/normalise.yaml``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ..config import load_config
from ..data import Document, Evidence, Fact, Span
from ..link import breakdowns
from .context import period_of, scope_of
from .numbers import Quantity, parse_value
from .taxonomy import key_of, units_of_keys

VALUE_LABELS = ("COUNT", "PERCENT", "MONEY")

__all__ = ["normalise", "narrative_facts", "parse_value", "Quantity", "scope_of", "period_of", "key_of"]


def _evidence(span: Span, source: str) -> Evidence:
    return Evidence(kind="span", text=span.text, start=span.start, end=span.end, source=source)


def narrative_facts(doc: Document) -> list[Fact]:
    """One fact per value span of ``doc.entities`` (values without a METRIC are kept with
    ``metric=""`` unless ``facts.keep_unlinked`` is false)."""
    keep_unlinked = load_config("normalise").get("facts", {}).get("keep_unlinked", True)
    by_id = {s.id: s for s in doc.entities if s.id}
    target = {r.from_id: by_id.get(r.to_id) for r in doc.relations}
    values = [s for s in doc.entities if s.label in VALUE_LABELS]
    qty = {s.id: parse_value(s.text) for s in values}
    parents = breakdowns(doc.text, values, lambda s: qty[s.id].unit)
    key_units = units_of_keys()
    facts: dict[Optional[str], Fact] = {}
    out: list[Fact] = []
    for s in sorted(values, key=lambda x: x.start):
        metric = target.get(s.id)
        if metric is None and not keep_unlinked:
            continue
        q = qty[s.id]
        key = key_of(metric.text) if metric is not None else None
        if key and (q.unit == "%") != (key_units.get(key) == "%"):
            key = None  # a share (占15.55%) of a counted metric is not that metric
        parent = facts.get(parents.get(s.id))
        fact = Fact(
            key=key, metric=metric.text if metric is not None else "", value=q.value,
            unit=q.unit, raw=s.text, approx=q.approx, bound=q.bound,
            period=period_of(doc.text, s.start), scope=scope_of(doc.text, s.start),
            origin="narrative", evidence=_evidence(s, doc.source),
            metric_evidence=_evidence(metric, doc.source) if metric is not None else None,
            parent=(parent.key or parent.metric or parent.raw) if parent is not None else None,
        )
        facts[s.id] = fact
        out.append(fact)
    return out


def normalise(doc: Document) -> Document:
    """``doc.facts``: table facts and narrative facts merged (agree/conflict marked), with a
    warning for every conflict."""
    from ..merge import merge

    facts, warnings = merge([f for f in doc.facts if f.origin != "narrative"], narrative_facts(doc))
    return replace(doc, facts=facts, warnings=list(doc.warnings) + warnings)
