"""Zeros and absences stated in words: 未收到政府信息公开申请, 没有发生…行政复议、行政诉讼的情况,
未收取任何费用, 无上年结转….

Rules as data (configs/zeros.yaml): a negation word, not a hedge (未全部办结, 未能按时 are no
zeros), opens a scope that runs to the next clause punctuation (、 does not end it); every
metric mention in that scope gives one fact of value 0 for its key, with the statement
(negation to the end of the mention) as evidence and ``zero=True``. Matching runs on the
simplified-script form of the text; OpenCC t2s maps characters one to one here, and a
statement whose converted length differs from the original is skipped, so evidence offsets
always index the original text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..data import Evidence, Fact
from ..script import convert

if TYPE_CHECKING:
    from ..tables.taxonomy import Taxonomy


@dataclass(frozen=True)
class ZeroRules:
    """The compiled rules of configs/zeros.yaml (``build_zeros``)."""

    negation: re.Pattern
    hedges: tuple[str, ...]
    scope_end: re.Pattern
    max_scope: int
    mentions: tuple[tuple[str, re.Pattern], ...]


def build_zeros(cfg: dict, tax: Taxonomy) -> ZeroRules:
    """The compiled zero rules of a parsed configs/zeros.yaml; every mention's key must be a
    taxonomy key."""
    negs = sorted(cfg["negations"], key=len, reverse=True)
    unknown = sorted({m["key"] for m in cfg["mentions"]} - set(tax.entries))
    if unknown:
        raise ValueError(f"mentions name keys the taxonomy does not have: {', '.join(unknown)}")
    return ZeroRules(re.compile("|".join(re.escape(n) for n in negs)),
                  tuple(sorted(cfg.get("hedges", []), key=len, reverse=True)),
                  re.compile(cfg["scope_end"]), int(cfg.get("max_scope", 60)),
                  tuple((m["key"], re.compile(m["pattern"])) for m in cfg["mentions"]))


@dataclass(frozen=True)
class ZeroStatement:
    key: str
    start: int  # the negation
    end: int  # end of the mention
    mention: tuple[int, int]


def find_zeros(text: str, r: ZeroRules, start: int = 0, end: Optional[int] = None) -> list[ZeroStatement]:
    """Zero statements in ``text[start:end]``, one per (negation, key) (rules ``r``:
    ``Rules.zeros``)."""
    end = len(text) if end is None else end
    simple = convert(text[start:end])
    if len(simple) != end - start:
        return []
    out: list[ZeroStatement] = []
    pos = 0
    while True:
        m = r.negation.search(simple, pos)
        if m is None:
            break
        pos = m.end()
        if any(simple.startswith(h, m.start()) for h in r.hedges):
            continue
        stop = r.scope_end.search(simple, m.end())
        s_end = min(stop.start() if stop else len(simple), m.end() + r.max_scope)
        scope = simple[m.end():s_end]
        seen: set[str] = set()
        for key, rx in r.mentions:
            hit = rx.search(scope)
            if hit is None or key in seen:
                continue
            seen.add(key)
            a, b = m.end() + hit.start(), m.end() + hit.end()
            out.append(ZeroStatement(key, start + m.start(), start + b, (start + a, start + b)))
    return out


def zero_facts(text: str, source: str, regions: list[tuple[int, int]], r: ZeroRules,
               tax: Taxonomy) -> list[Fact]:
    """Facts of value 0 for the zero statements in ``regions`` of ``text`` (narrative
    blocks), their units from taxonomy ``tax``."""
    out: list[Fact] = []
    for s0, s1 in regions:
        for z in find_zeros(text, r, s0, s1):
            entry = tax.entries.get(z.key)
            a, b = z.mention
            out.append(Fact(
                key=z.key, metric=text[a:b], value=0.0, unit=entry.unit if entry else None,
                raw=text[z.start:z.end], origin="narrative", key_score=1.0, zero=True,
                evidence=Evidence(kind="span", text=text[z.start:z.end], start=z.start, end=z.end,
                                  source=source),
                metric_evidence=Evidence(kind="span", text=text[a:b], start=a, end=b, source=source)))
    return out
