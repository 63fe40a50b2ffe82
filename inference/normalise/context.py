"""Scope (全市, 市本级, 县(市、区) …) and period (annual / cumulative) of a value, read from
the sentence before it with the word lists of configs/normalise.yaml: the nearest word
before the value wins; longer words are matched first (全年累计 is annual, 累计 cumulative).
The compiled lists are ``Rules.context`` (``build_context``)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..link import sentence_bounds
from ..script import convert

if TYPE_CHECKING:
    from ..link import Linking


def _alternation(words) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


@dataclass(frozen=True, eq=False)
class ContextRules:
    """Scope, period, channel and change words of configs/normalise.yaml, compiled, with the
    sentence rules of configs/linking.yaml they are read within."""

    linking: Linking
    scope_re: re.Pattern
    scopes: dict  # word -> canonical scope
    period_re: re.Pattern
    periods: dict  # word -> "annual" / "cumulative"
    after_year_words: frozenset  # a bare 累计 after a year ...
    after_year_re: Optional[re.Pattern]  # ... sums up that year
    channels: dict  # key -> (alternation, word -> channel key)
    change_re: re.Pattern
    change_window: int


def build_context(cfg: dict, linking: Linking) -> ContextRules:
    """The compiled context rules of a parsed configs/normalise.yaml."""
    scopes = {str(k): str(v) for k, v in cfg["scope"].items()}
    periods = {w: "cumulative" for w in cfg["period"]["cumulative"]}
    periods.update({w: "annual" for w in cfg["period"]["annual"]})
    after_year = cfg.get("annual_after_year") or {}
    channels = {str(k): (_alternation(v), {str(w): str(t) for w, t in v.items()})
                for k, v in (cfg.get("channels") or {}).items()}
    change = list(cfg.get("change_words") or ["同比"]) + list(cfg.get("plan_words") or [])
    return ContextRules(
        linking, _alternation(scopes), scopes, _alternation(periods), periods,
        frozenset(after_year.get("words", [])),
        re.compile(after_year["year"]) if after_year else None,
        channels, _alternation(change),
        int(cfg.get("change_window", 6)))


def _last(rx: re.Pattern, text: str, start: int, end: int) -> Optional[str]:
    hit = None
    for m in rx.finditer(text, start, end):
        hit = m.group(0)
    return hit


def scope_of(text: str, start: int, ctx: ContextRules) -> Optional[str]:
    """The canonical scope named nearest before ``start`` in its clause, or None. A scope
    word after 我/本 names the reporting body itself (我街道, 本乡): None, the whole body."""
    c0 = clause_start(text, start, ctx)
    rx, table = ctx.scope_re, ctx.scopes
    hit = None
    for m in rx.finditer(text, c0, start):
        hit = m
    if hit is None or (hit.start() > 0 and text[hit.start() - 1] in _SELF):
        return None
    return table[hit.group(0)]


_SELF = "我本"


def period_of(text: str, start: int, ctx: ContextRules) -> str:
    """"cumulative" when the nearest period word before ``start`` in its sentence says so
    (历年累计, 累计, 截至目前), else "annual"; a bare 累计 after a year (2023年…累计发布90条)
    sums up that year: annual."""
    s0, _ = sentence_bounds(text, start, ctx.linking)
    rx, table = ctx.period_re, ctx.periods
    hit = None
    for m in rx.finditer(text, s0, start):
        hit = m
    if hit is None:
        return "annual"
    if hit.group(0) in ctx.after_year_words and ctx.after_year_re.search(text[s0:hit.start()]):
        return "annual"
    return table[hit.group(0)]


_CLAUSE = re.compile(r"[，,；;。！？!?\n：:]")


def clause_start(text: str, pos: int, ctx: ContextRules) -> int:
    """Start of the clause holding ``pos`` (after the last ，；。： before it)."""
    s0, _ = sentence_bounds(text, pos, ctx.linking)
    last = s0
    for m in _CLAUSE.finditer(text, s0, pos):
        last = m.end()
    return last


def channel_key(text: str, key: str, metric_start: int, value_start: int, ctx: ContextRules) -> str:
    """The channel key when a channel word of ``key`` stands in the clause before the value
    (通过政府网站主动公开信息773条 -> proactive.website), else ``key``."""
    table = ctx.channels.get(key)
    if table is None:
        return key
    rx, words = table
    c0 = clause_start(text, min(metric_start, value_start), ctx)
    hit = _last(rx, convert(text[c0:value_start]), 0, value_start - c0)
    return words[hit] if hit else key


def change_before(text: str, value_start: int, ctx: ContextRules,
                  metric_end: Optional[int] = None) -> bool:
    """True when the value is not a count of the year: a change (同比增长12%, 较上年增加5件)
    or a plan (计划举行25场): a change or plan word between its metric and it, or within the
    change window before it in its clause."""
    rx, window = ctx.change_re, ctx.change_window
    c0 = clause_start(text, value_start, ctx)
    lo = max(c0, value_start - window)
    if metric_end is not None and c0 <= metric_end <= value_start:
        lo = min(lo, metric_end)
    return rx.search(text, lo, value_start) is not None
