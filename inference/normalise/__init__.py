"""Stage normalise: narrative facts from the linked value spans, merged with table facts.

For every COUNT, PERCENT and MONEY span of ``doc.entities``: the number, unit and
approximation (``numbers``), the scope and period from the sentence before it (``context``),
the METRIC it measures (``doc.relations``) and that metric's taxonomy key with a
``key_score`` (``keymap``: synonyms, then the learned mapper), the "其中" parent
(``inference.link.breakdowns``). The key then follows what is counted: the unit (新闻发布会
25人次 are attendances, ``by_unit`` in the taxonomy), the channel named in the clause
(通过政府网站主动公开… is proactive.website, not the total; ``channels``), and a change
(同比增长12%, 较上年增加5件) gets no key (``change_words``). Each becomes
``Fact(origin="narrative")`` with the value span as evidence and the METRIC span as metric
evidence. Zeros stated in words (``zeros``) are added as facts of value 0. Then
``inference.merge.merge`` puts them together with the table facts and marks agreements and
conflicts. Rules as data: ``configs/normalise.yaml``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

from ..config import load_config
from ..data import Document, Evidence, Fact, Span
from ..link import breakdowns
from ..link import rules as link_rules
from ..rules import default_rules
from .context import change_before, channel_key, period_of, scope_of
from .keymap import map_metric
from .numbers import Quantity, parse_value
from .taxonomy import key_of
from .zeros import zero_facts

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
    tax = default_rules().taxonomy
    breakdown_cfg = load_config("normalise").get("breakdown_keys") or {}
    breakdown_keys = {str(k): str(v) for k, v in (breakdown_cfg.get("keys") or {}).items()}
    facts: dict[Optional[str], Fact] = {}
    out: list[Fact] = []
    for s in sorted(values, key=lambda x: x.start):
        metric = target.get(s.id)
        if metric is None and not keep_unlinked:
            continue
        q = qty[s.id]
        key, score = _key(doc.text, s, metric, q, tax)
        if key and metric is not None and not _measures(doc.text, s, metric, values):
            key, score = None, None
        parent = facts.get(parents.get(s.id))
        if key is None and parent is not None and parent.key in breakdown_keys and \
                tax.key_for_unit(breakdown_keys[parent.key], q.unit) and not change_before(doc.text, s.start):
            key, score = breakdown_keys[parent.key], float(breakdown_cfg.get("score", 0.9))
        fact = Fact(
            key=key, metric=metric.text if metric is not None else "", value=q.value,
            unit=q.unit, raw=s.text, approx=q.approx, bound=q.bound,
            period=period_of(doc.text, s.start), scope=scope_of(doc.text, s.start),
            origin="narrative", evidence=_evidence(s, doc.source),
            metric_evidence=_evidence(metric, doc.source) if metric is not None else None,
            parent=(parent.key or parent.metric or parent.raw) if parent is not None else None,
            key_score=score,
        )
        facts[s.id] = fact
        out.append(fact)
    regions = [(b.start, b.end) for b in doc.blocks if b.kind == "narrative"] or [(0, len(doc.text))]
    return out + zero_facts(doc.text, doc.source, regions)


def _measures(text: str, value: Span, metric: Span, values: list[Span]) -> bool:
    """False when another value stands between the metric and this value and the words
    between the two values are not a share or scope breakdown (``inherit`` gaps of
    configs/linking.yaml): 已办理并答复531条,待答复2条 — 2条 does not measure 办理并答复."""
    if metric.end > value.start:
        return True
    between = [v for v in values if metric.end <= v.start and v.end <= value.start]
    if not between:
        return True
    gap = text[between[-1].end:value.start]
    return any(value.label in labs and rx.match(gap) for labs, rx in link_rules()["inherit_re"])


def _key(text: str, value: Span, metric: Optional[Span], q: Quantity, tax) -> tuple[Optional[str], Optional[float]]:
    """(key, key_score) of a value: the metric's key, redirected by unit and channel; none
    for a change (同比增长) or a unit of another kind (a share 占15% of a counted metric)."""
    if metric is None:
        return None, None
    choice = map_metric(metric.text)
    if choice.key is None or change_before(text, value.start, metric.end if metric.end <= value.start else None):
        return None, None
    key = tax.key_for_unit(choice.key, q.unit)
    if key is None:
        return None, None
    key = channel_key(text, key, min(metric.start, value.start), value.start)
    return key, choice.score


def normalise(doc: Document) -> Document:
    """``doc.facts``: table facts and narrative facts merged (agree/conflict marked), with a
    warning for every conflict."""
    from ..merge import merge

    facts, warnings = merge([f for f in doc.facts if f.origin != "narrative"], narrative_facts(doc))
    return replace(doc, facts=facts, warnings=list(doc.warnings) + warnings)
