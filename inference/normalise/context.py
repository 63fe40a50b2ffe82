"""Scope (全市, 市本级, 县(市、区) …) and period (annual / cumulative) of a value, read from
the sentence before it with the word lists of configs/normalise.yaml: the nearest word
before the value wins; longer words are matched first (全年累计 is annual, 累计 cumulative)."""
from __future__ import annotations

import re
from typing import Optional

from ..config import load_config, rules_cache
from ..link import sentence_bounds
from ..script import convert


def _alternation(words) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


@rules_cache
def _scope() -> tuple[re.Pattern, dict]:
    table = {str(k): str(v) for k, v in load_config("normalise")["scope"].items()}
    return _alternation(table), table


@rules_cache
def _period() -> tuple[re.Pattern, dict]:
    cfg = load_config("normalise")["period"]
    table = {w: "cumulative" for w in cfg["cumulative"]}
    table.update({w: "annual" for w in cfg["annual"]})
    return _alternation(table), table


def _last(rx: re.Pattern, text: str, start: int, end: int) -> Optional[str]:
    hit = None
    for m in rx.finditer(text, start, end):
        hit = m.group(0)
    return hit


@rules_cache
def whole_scopes() -> frozenset:
    """The scopes that mean the whole reporting body (全市, 全区 …: ``whole_scopes`` of
    configs/normalise.yaml), as merge and the report frames read them."""
    return frozenset(load_config("normalise").get("whole_scopes", []))


def scope_of(text: str, start: int) -> Optional[str]:
    """The canonical scope named nearest before ``start`` in its clause, or None. A scope
    word after 我/本 names the reporting body itself (我街道, 本乡): None, the whole body."""
    c0 = clause_start(text, start)
    rx, table = _scope()
    hit = None
    for m in rx.finditer(text, c0, start):
        hit = m
    if hit is None or (hit.start() > 0 and text[hit.start() - 1] in _SELF):
        return None
    return table[hit.group(0)]


_SELF = "我本"


def period_of(text: str, start: int) -> str:
    """"cumulative" when the nearest period word before ``start`` in its sentence says so
    (历年累计, 累计, 截至目前), else "annual"; a bare 累计 after a year (2023年…累计发布90条)
    sums up that year: annual."""
    s0, _ = sentence_bounds(text, start)
    rx, table = _period()
    hit = None
    for m in rx.finditer(text, s0, start):
        hit = m
    if hit is None:
        return "annual"
    after_year = load_config("normalise").get("annual_after_year") or {}
    if hit.group(0) in after_year.get("words", []) and re.search(after_year["year"], text[s0:hit.start()]):
        return "annual"
    return table[hit.group(0)]


_CLAUSE = re.compile(r"[，,；;。！？!?\n：:]")


def clause_start(text: str, pos: int) -> int:
    """Start of the clause holding ``pos`` (after the last ，；。： before it)."""
    s0, _ = sentence_bounds(text, pos)
    last = s0
    for m in _CLAUSE.finditer(text, s0, pos):
        last = m.end()
    return last


@rules_cache
def _channels() -> dict[str, tuple[re.Pattern, dict]]:
    cfg = load_config("normalise").get("channels") or {}
    return {str(k): (_alternation(v), {str(w): str(t) for w, t in v.items()}) for k, v in cfg.items()}


def channel_key(text: str, key: str, metric_start: int, value_start: int) -> str:
    """The channel key when a channel word of ``key`` stands in the clause before the value
    (通过政府网站主动公开信息773条 -> proactive.website), else ``key``."""
    table = _channels().get(key)
    if table is None:
        return key
    rx, words = table
    c0 = clause_start(text, min(metric_start, value_start))
    hit = _last(rx, convert(text[c0:value_start]), 0, value_start - c0)
    return words[hit] if hit else key


@rules_cache
def _change() -> tuple[re.Pattern, int]:
    cfg = load_config("normalise")
    words = list(cfg.get("change_words") or ["同比"]) + list(cfg.get("plan_words") or [])
    return _alternation(words), int(cfg.get("change_window", 6))


def change_before(text: str, value_start: int, metric_end: Optional[int] = None) -> bool:
    """True when the value is not a count of the year: a change (同比增长12%, 较上年增加5件)
    or a plan (计划举行25场): a change or plan word between its metric and it, or within the
    change window before it in its clause."""
    rx, window = _change()
    c0 = clause_start(text, value_start)
    lo = max(c0, value_start - window)
    if metric_end is not None and c0 <= metric_end <= value_start:
        lo = min(lo, metric_end)
    return rx.search(text, lo, value_start) is not None
