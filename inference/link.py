"""Stage link: attach each COUNT, PERCENT and MONEY span to its METRIC.

Relations go from the value to the METRIC it measures (label ``measures``), always inside
one sentence. The rules are data (``configs/linking.yaml``, compiled by ``build_linking`` into
``Rules.linking``) and tried in order: ``inherit``
(占15.55% and 市本级94次 take the METRIC of the value before them), ``left`` (METRIC immediately before
its value), ``right`` (a quantifier before its noun: 召开2场…现场会), then the fallbacks.

``breakdowns(doc)`` finds the "其中" breakdowns: value id -> id of the parent value, which
the normalise stage turns into ``Fact.parent``.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import replace
from functools import lru_cache

from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .data import Document, Relation, Span

if TYPE_CHECKING:
    from .rules import Rules

Linking = Mapping[str, Any]
"""The compiled rules of configs/linking.yaml (``build_linking``): the file's keys plus
``sentence_end_re``, ``clause_punct_re``, ``inherit_re``, ``right_value_re``, ``breakdown_re``."""


def build_linking(raw: dict) -> Linking:
    """The compiled, read-only linking rules of a parsed configs/linking.yaml (a missing key
    or a pattern that does not compile raises here, at load)."""
    cfg = dict(raw)
    for key in ("sentence_end", "clause_punct"):
        cfg[key + "_re"] = re.compile(cfg[key])
    cfg["inherit_re"] = tuple((frozenset(r["labels"]), re.compile(r["gap"]))
                              for r in cfg.get("inherit", []))
    cfg["right_value_re"] = re.compile(cfg["right"].get("value_ends", ".$"))
    cfg["breakdown_re"] = re.compile(cfg["breakdown"]["marker"])
    for key in ("value_labels", "metric_label"):
        if key not in cfg:
            raise KeyError(key)
    for part, key in (("left", "max_gap"), ("right", "max_gap"), ("breakdown", "max_back")):
        if not isinstance(cfg[part][key], int):
            raise TypeError(f"{part}.{key} must be an integer")
    return MappingProxyType(cfg)


def sentence_bounds(text: str, pos: int, cfg: Linking) -> tuple[int, int]:
    """Start and end of the sentence holding character ``pos`` (``sentence_end`` is one
    character). The sentence ends of a text are found once and bisected: scanning
    character by character made a long text without sentence ends quadratic (issue 19)."""
    ends = _sentence_ends(text, cfg["sentence_end_re"])
    i = bisect_left(ends, pos)
    s, e = (ends[i - 1] + 1 if i else 0), (ends[i] if i < len(ends) else len(text))
    cap = cfg.get("max_sentence_chars")  # a "sentence" of a text without its punctuation
    return (max(s, pos - cap), min(e, pos + cap)) if cap else (s, e)


@lru_cache(maxsize=2)  # the text being processed (and one more thread's)
def _sentence_ends(text: str, end_re: re.Pattern) -> list[int]:
    return [m.start() for m in end_re.finditer(text)]


def _sentences(text: str, spans: list[Span], cfg: dict) -> list[list[Span]]:
    """Spans grouped by sentence, in text order."""
    ends = [e + 1 for e in _sentence_ends(text, cfg["sentence_end_re"])]  # one-character ends
    groups: dict[int, list[Span]] = {}
    for s in sorted(spans, key=lambda x: x.start):
        groups.setdefault(bisect_right(ends, s.start), []).append(s)
    return [groups[k] for k in sorted(groups)]


def _pick(value: Span, sent: list[Span], text: str, cfg: dict,
          linked: dict[str, str], carried: set[str], i: int) -> Optional[str]:
    """The metric of ``value``, the ``i``-th span of its sentence ``sent``."""
    vl, ml = set(cfg["value_labels"]), cfg["metric_label"]
    before, after = sent[:i], sent[i + 1:]
    punct = cfg["clause_punct_re"]
    # inherit: 占X% and scope breakdowns take the metric of the previous value
    if before and before[-1].label in vl and before[-1].id in linked:
        gap = text[before[-1].end:value.start]
        if any(value.label in labs and rx.match(gap) for labs, rx in cfg["inherit_re"]):
            return linked[before[-1].id]
    left = right = None
    # left: nearest metric before, no value between, short gap without clause punctuation
    for s in reversed(before):
        if s.label in vl:
            break
        if s.label == ml:
            gap = text[s.end:value.start]
            if len(gap) <= cfg["left"]["max_gap"] and not punct.search(gap):
                left = (s.id, len(gap))
            break
    # right: quantifier before its noun
    if cfg["right_value_re"].search(value.text):
        for s in after:
            if s.label in vl:
                break
            if s.label == ml:
                gap = text[value.end:s.start]
                if len(gap) <= cfg["right"]["max_gap"] and not punct.search(gap):
                    right = (s.id, len(gap))
                break
    if left and right and cfg["right"].get("prefer_adjacent") and right[1] == 0 < left[1]:
        return right[0]
    if left or right:
        return (left or right)[0]
    if cfg.get("fallback_left"):
        for s in reversed(before):
            if s.label == ml and s.id not in carried:
                return s.id
    if cfg.get("fallback_right"):
        for s in after:
            if s.label == ml and s.id not in carried:
                return s.id
    return None


def find_relations(text: str, spans: list[Span], cfg: Linking) -> list[Relation]:
    """value -> metric relations among ``spans`` (which need ids) of ``text``."""
    vl = set(cfg["value_labels"])
    linked: dict[str, str] = {}
    for sent in _sentences(text, [s for s in spans if s.id], cfg):
        carried: set[str] = set()
        for i, v in enumerate(sent):
            if v.label not in vl:
                continue
            m = _pick(v, sent, text, cfg, linked, carried, i)
            if m is not None:
                linked[v.id] = m
                carried.add(m)
    return [Relation(v, m, cfg.get("relation", "measures")) for v, m in linked.items()]


def breakdowns(text: str, spans: list[Span], unit_of, cfg: Linking) -> dict[str, str]:
    """"其中" breakdowns: value id -> id of its parent value. A value after 其中 (in its
    sentence, or its sentence starting with it) takes the nearest earlier value before
    that 其中 with the same unit (``unit_of(span)``), within ``max_back`` characters."""
    vl = set(cfg["breakdown"].get("labels", cfg["value_labels"]))
    values = sorted((s for s in spans if s.label in vl and s.id), key=lambda s: s.start)
    out: dict[str, str] = {}
    for k, v in enumerate(values):
        s0, _ = sentence_bounds(text, v.start, cfg)
        marks = list(cfg["breakdown_re"].finditer(text, s0, v.start))
        if not marks:
            continue
        mpos = marks[-1].start()
        for p in (values[j] for j in range(k - 1, -1, -1)):
            if p.end > mpos:
                continue
            if mpos - p.end > cfg["breakdown"]["max_back"]:
                break
            if unit_of(p) == unit_of(v) and p.id not in out:
                out[v.id] = p.id
                break
    return out


def link(doc: Document, rules: Rules) -> Document:
    """``doc.relations``: value → metric relations among ``doc.entities`` (``rules.linking``)."""
    return replace(doc, relations=find_relations(doc.text, doc.entities, rules.linking))
