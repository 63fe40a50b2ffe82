"""Lists in a METRIC (LABELS.md, "Lists"): kinds that share one value form one METRIC.

    通过政府网站公开政府文件、政策解读、…、重点领域等信息35579条  ->  METRIC 公开政府文件、…、重点领域等信息
    累计印制明白卡、书册、宣传扇、宣传彩页等50000份              ->  METRIC 印制明白卡、书册、宣传扇、宣传彩页
    向社会公开政务要闻、…、便民服务等政府信息                    ->  METRIC 政府信息

The tagger often starts such a METRIC at its last items (重点领域等信息). A model METRIC that
starts right after a list separator (``after``: 、 or 及), whose clause holds no value and
no other METRIC before it, takes in the items before it, back to the list's lead-in: the
last ``keep`` verb, which stays in (公开, 印制; with a ``keep_prefix`` such as 主动 before it),
or the text after the last ``stop`` word (的, 发布, 累计, 全市, …), whichever comes last.
An 等-list before a head that names the thing stays out (…、便民服务等政府信息 gives
政府信息); a head that names nothing (信息, 方面信息: ``generic_head``) keeps the list.
Respective values (分别为, 均为: ``not_before``) leave the items apart.

Rules as data: the ``lists`` part of the ``metrics`` section of configs/patterns.yaml. Words
are matched on the simplified text (``script.aligned``), so traditional-script reports
follow the same rules.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Optional, Sequence

from .data import Span
from .script import aligned


@dataclass(frozen=True)
class ListGrammar:
    """The ``metrics.lists`` section of patterns.yaml, compiled (``after`` None: inactive)."""

    after: Optional[re.Pattern] = None  # text right before a METRIC that opens a list item
    not_before: Optional[re.Pattern] = None  # text right after it that keeps items apart
    clause_break: Optional[re.Pattern] = None  # characters a list does not reach back over
    keep: tuple[str, ...] = ()  # lead-in verbs that stay in the METRIC (公开, 印制)
    keep_prefix: tuple[str, ...] = ()  # words before a keep verb that stay in too (主动)
    stop: tuple[str, ...] = ()  # lead-in words the METRIC starts after (的, 发布, 全市)
    generic_head: Optional[re.Pattern] = None  # a head after 等 that names nothing (信息)
    max_chars: int = 80  # how far back a list is looked for


def compile_lists(cfg: Optional[dict],
                  comp: Callable[[Optional[str], str], Optional[re.Pattern]]) -> ListGrammar:
    """The compiled ``metrics.lists`` section (missing or empty: the rule is off)."""
    cfg = cfg or {}

    def words(key: str) -> tuple[str, ...]:
        return tuple(str(w) for w in cfg.get(key, []) or [])

    return ListGrammar(comp(cfg.get("after"), "after"), comp(cfg.get("not_before"), "not_before"),
                       comp(cfg.get("clause_break"), "clause_break"), words("keep"),
                       words("keep_prefix"), words("stop"),
                       comp(cfg.get("generic_head"), "generic_head"),
                       int(cfg.get("max_chars", 80)))


def lead_in(segment: str, g: ListGrammar) -> int:
    """Where the METRIC starts in ``segment`` (the clause up to the list item): at the last
    keep verb (with its prefix), or after the last stop word, whichever comes last; 0 when
    the segment holds neither."""
    s = aligned(segment)
    best, at = -1, 0
    for w in g.keep:
        i = s.rfind(w)
        if i > best:
            best, at = i, i
            for p in g.keep_prefix:
                if s[:i].endswith(p):
                    at = i - len(p)
    for w in g.stop:
        i = s.rfind(w)
        if i > best:
            best, at = i, i + len(w)
    return at


def list_start(text: str, i: int, spans: Sequence[Span], g: ListGrammar,
               value_labels: frozenset) -> Optional[int]:
    """The start of the list whose item ``spans[i]`` opens, or None when there is no such
    list (a value or a METRIC in the clause before it, an empty item, nothing before it).
    ``spans``: sorted and flat, so the nearest span before the item is the one that counts."""
    sep = spans[i].start - 1
    lo = max(0, spans[i].start - g.max_chars)
    clause = lo
    if g.clause_break is not None:
        for m in g.clause_break.finditer(text, lo, sep):
            clause = m.end()
    for j in range(i - 1, -1, -1):
        o = spans[j]
        if o.end <= clause:
            break
        if o.end <= sep:
            if o.label in value_labels or o.label == "METRIC":
                return None
            clause = o.end
            break
    segment = text[clause:sep]
    if not segment or any(not item for item in segment.split("、")):
        return None
    start = clause + lead_in(segment, g)
    return start if start < sep and text[start] != "、" else None


def _opens_item(text: str, i: int, spans: Sequence[Span], g: ListGrammar,
                value_labels: frozenset) -> bool:
    """``spans[i]`` is a model METRIC right after a separator, not followed by 分别/均, nor by
    an 等 that a head (not a value) follows."""
    span = spans[i]
    if span.label != "METRIC" or span.source != "model" or g.after is None:
        return False
    if not g.after.search(text, max(0, span.start - 4), span.start):
        return False
    if g.not_before is not None and g.not_before.match(text, span.end):
        return False
    if text[span.end:span.end + 1] == "等":
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        return nxt is not None and nxt.start == span.end + 1 and nxt.label in value_labels
    return True


def _head_after_deng(span: Span, g: ListGrammar) -> Optional[Span]:
    """The head of an 等-list that names the thing (便民服务等政府信息 -> 政府信息), or None."""
    i = span.text.rfind("等")
    if i < 0:
        return None
    head = span.text[i + 1:]
    if len(head) < 2 or (g.generic_head is not None and g.generic_head.match(aligned(head, cached=True))):
        return None
    return replace(span, start=span.end - len(head), text=head)


def join_lists(text: str, spans: list[Span], g: ListGrammar,
               value_labels: frozenset) -> list[Span]:
    """``spans`` (sorted) with each model METRIC that opens a list item grown to the whole
    list, or cut to the head of its 等-list (the module docstring)."""
    if g.after is None:
        return spans
    out = list(spans)
    for i, s in enumerate(spans):
        if not _opens_item(text, i, spans, g, value_labels):
            continue
        start = list_start(text, i, spans, g, value_labels)
        if start is None:
            continue
        out[i] = _head_after_deng(s, g) or replace(s, start=start, text=text[start:s.end])
    return out  # a grown span starts after the span before it: the order holds
