"""Scope (全市, 市本级, 县(市、区) …) and period (annual / cumulative) of a value, read from
the sentence before it with the word lists of configs/normalise.yaml: the nearest word
before the value wins; longer words are matched first (全年累计 is annual, 累计 cumulative)."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from ..config import load_config
from ..link import sentence_bounds


def _alternation(words) -> re.Pattern:
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


@lru_cache(maxsize=None)
def _scope() -> tuple[re.Pattern, dict]:
    table = {str(k): str(v) for k, v in load_config("normalise")["scope"].items()}
    return _alternation(table), table


@lru_cache(maxsize=None)
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


def scope_of(text: str, start: int) -> Optional[str]:
    """The canonical scope named nearest before ``start`` in its sentence, or None."""
    s0, _ = sentence_bounds(text, start)
    rx, table = _scope()
    hit = _last(rx, text, s0, start)
    return table[hit] if hit else None


def period_of(text: str, start: int) -> str:
    """"cumulative" when the nearest period word before ``start`` in its sentence says so
    (历年累计, 累计, 截至目前), else "annual"."""
    s0, _ = sentence_bounds(text, start)
    rx, table = _period()
    hit = _last(rx, text, s0, start)
    return table[hit] if hit else "annual"
