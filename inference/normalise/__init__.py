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
conflicts. Rules as data: ``configs/normalise.yaml``, compiled into ``Rules.numbers``,
``.context``, ``.keymap``, ``.zeros``, ``.facts`` and ``.merge``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Optional

from ..data import Document, Evidence, Fact, Span
from ..link import Linking, breakdowns
from .context import ContextRules, change_before, channel_key, period_of, scope_of
from .keymap import map_metric
from .numbers import Quantity, parse_value
from .taxonomy import key_of
from .zeros import zero_facts

if TYPE_CHECKING:
    from ..rules import Rules
    from ..tables.taxonomy import Taxonomy

VALUE_LABELS = ("COUNT", "PERCENT", "MONEY")

__all__ = ["normalise", "narrative_facts", "parse_value", "Quantity", "scope_of", "period_of", "key_of"]


@dataclass(frozen=True)
class FactRules:
    """``facts`` and ``breakdown_keys`` of configs/normalise.yaml (``build_facts``)."""

    keep_unlinked: bool  # values without a METRIC still become facts (metric "")
    breakdown_keys: dict  # key of a parent -> key of its unkeyed 其中 parts
    breakdown_score: float


def build_facts(cfg: dict, tax: Taxonomy) -> FactRules:
    """The fact rules of a parsed configs/normalise.yaml; breakdown keys must be taxonomy
    keys."""
    bk = cfg.get("breakdown_keys") or {}
    keys = {str(k): str(v) for k, v in (bk.get("keys") or {}).items()}
    unknown = sorted((set(keys) | set(keys.values())) - set(tax.entries))
    if unknown:
        raise ValueError(f"breakdown_keys names keys the taxonomy does not have: {', '.join(unknown)}")
    return FactRules(bool((cfg.get("facts") or {}).get("keep_unlinked", True)), keys,
                     float(bk.get("score", 0.9)))


def _evidence(span: Span, source: str) -> Evidence:
    return Evidence(kind="span", text=span.text, start=span.start, end=span.end, source=source)


def narrative_facts(doc: Document, rules: Rules) -> list[Fact]:
    """One fact per value span of ``doc.entities`` (values without a METRIC are kept with
    ``metric=""`` unless ``facts.keep_unlinked`` is false)."""
    ctx, fr, tax = rules.context, rules.facts, rules.taxonomy
    keep_unlinked, breakdown_keys = fr.keep_unlinked, fr.breakdown_keys
    by_id = {s.id: s for s in doc.entities if s.id}
    target = {r.from_id: by_id.get(r.to_id) for r in doc.relations}
    values = [s for s in doc.entities if s.label in VALUE_LABELS]
    qty = {s.id: parse_value(s.text, rules.numbers) for s in values}
    parents = breakdowns(doc.text, values, lambda s: qty[s.id].unit, rules.linking)
    facts: dict[Optional[str], Fact] = {}
    out: list[Fact] = []
    for s in sorted(values, key=lambda x: x.start):
        metric = target.get(s.id)
        if metric is None and not keep_unlinked:
            continue
        q = qty[s.id]
        key, score = _key(doc.text, s, metric, q, rules)
        if key and metric is not None and not _measures(doc.text, s, metric, values, rules.linking):
            key, score = None, None
        parent = facts.get(parents.get(s.id))
        if key is None and parent is not None and parent.key in breakdown_keys and \
                tax.key_for_unit(breakdown_keys[parent.key], q.unit) and not change_before(doc.text, s.start, ctx):
            key, score = breakdown_keys[parent.key], fr.breakdown_score
        fact = Fact(
            key=key, metric=metric.text if metric is not None else "", value=q.value,
            unit=q.unit, raw=s.text, approx=q.approx, bound=q.bound,
            period=period_of(doc.text, s.start, ctx), scope=scope_of(doc.text, s.start, ctx),
            origin="narrative", evidence=_evidence(s, doc.source),
            metric_evidence=_evidence(metric, doc.source) if metric is not None else None,
            parent=(parent.key or parent.metric or parent.raw) if parent is not None else None,
            key_score=score,
        )
        facts[s.id] = fact
        out.append(fact)
    regions = [(b.start, b.end) for b in doc.blocks if b.kind == "narrative"] or [(0, len(doc.text))]
    return out + zero_facts(doc.text, doc.source, regions, rules.zeros, tax)


def _measures(text: str, value: Span, metric: Span, values: list[Span], linking: Linking) -> bool:
    """False when another value stands between the metric and this value and the words
    between the two values are not a share or scope breakdown (``inherit`` gaps of
    configs/linking.yaml): 已办理并答复531条,待答复2条 — 2条 does not measure 办理并答复."""
    if metric.end > value.start:
        return True
    between = [v for v in values if metric.end <= v.start and v.end <= value.start]
    if not between:
        return True
    gap = text[between[-1].end:value.start]
    return any(value.label in labs and rx.match(gap) for labs, rx in linking["inherit_re"])


def _key(text: str, value: Span, metric: Optional[Span], q: Quantity, rules: Rules
         ) -> tuple[Optional[str], Optional[float]]:
    """(key, key_score) of a value: the metric's key, redirected by unit and channel; none
    for a change (同比增长) or a unit of another kind (a share 占15% of a counted metric)."""
    if metric is None:
        return None, None
    ctx: ContextRules = rules.context
    choice = map_metric(metric.text, rules.keymap)
    if choice.key is None or change_before(text, value.start, ctx,
                                           metric.end if metric.end <= value.start else None):
        return None, None
    key = rules.taxonomy.key_for_unit(choice.key, q.unit)
    if key is None:
        return None, None
    key = channel_key(text, key, min(metric.start, value.start), value.start, ctx)
    return key, choice.score


def normalise(doc: Document, rules: Rules) -> Document:
    """``doc.facts``: table facts and narrative facts merged (agree/conflict marked), with a
    warning for every conflict."""
    from ..merge import merge

    facts, warnings = merge([f for f in doc.facts if f.origin != "narrative"],
                            narrative_facts(doc, rules), rules.merge)
    return replace(doc, facts=facts, warnings=list(doc.warnings) + warnings)
