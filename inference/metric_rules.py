"""The standard's METRIC rules on the merged spans of the ner stage (``ner.combine``, step 5
of its docstring), each a rule of docs/LABELS.md with its words as data in the ``metrics``
section of configs/patterns.yaml:

- a METRIC needs a value in its sentence (``model_needs_value``);
- a verb before a value whose noun follows it is no METRIC (``verb_before_value``:
  受理36件政府信息公开申请 gives 政府信息公开申请);
- the denominator of a share is no METRIC (``not_after``: 占信息总量的1.7%);
- adverbs, timeliness words and a channel stay out at its start (``lead_out``,
  ``channel_out``: 总计公开署令 → 公开署令, 网上公开信息 → 公开信息), a verb at its end
  (``trail_out``: 點擊量超過 → 點擊量); a channel before a measure of its visits stays in
  (``channel_in``: 访问量 after 网站 → 网站访问量);
- kinds sharing one value form one METRIC (``lists``, ``inference/metric_lists.py``).

All but the first act on the model's spans only (``source == "model"``).
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from typing import Optional

from . import metric_lists
from .data import Span
from .patterns import Patterns
from .script import aligned
from .words import last_word, only_tagged


def correct(text: str, spans: list[Span], pats: Patterns) -> list[Span]:
    """The standard's METRIC rules on the merged spans (step 5 of the module docstring): a
    model METRIC needs a value, no verb before a value, no share's denominator, no adverb,
    channel or verb at its edges, a list taken in whole."""
    out = spans
    if pats.model_metric_needs_value:
        out = with_values(text, out, pats, sources=("model",))
    out = _without_shares(text, _without_verbs(sorted(out, key=lambda x: (x.start, x.end)), pats),
                          pats)
    out = [_edges(text, s, pats) if s.label == "METRIC" and s.source == "model" else s
           for s in out]
    return metric_lists.join_lists(text, out, pats.metric_lists, pats.value_labels)


def _without_shares(text: str, spans: list[Span], pats: Patterns) -> list[Span]:
    """LABELS.md, shares: the denominator of a share is no METRIC (占信息总量的1.7%). A model
    METRIC right after ``metrics.not_after`` drops."""
    rx = pats.metric_not_after
    if rx is None:
        return spans
    return [s for s in spans if not (s.label == "METRIC" and s.source == "model"
                                     and rx.search(text, max(0, s.start - 8), s.start))]


def _edges(text: str, s: Span, pats: Patterns) -> Span:
    """A model METRIC without the words the standard leaves out at its start and its end."""
    s = _lead_out(text, s, pats.metric_lead_out, pats.metric_channel_out)
    return _channel_in(text, _trail_out(text, s, pats.metric_trail_out), pats.metric_channel_in)


def _channel_in(text: str, s: Span, rule: Optional[tuple[re.Pattern, re.Pattern]]) -> Span:
    """LABELS.md, fourth round: visits, clicks and reads of a channel keep it (网站总访问量,
    门户网站月均点击量). A model METRIC matching the rule's measure, right after a match of its
    channel (``metrics.channel_in``), starts at the channel."""
    if rule is None or not rule[0].search(aligned(s.text, cached=True)):
        return s
    before = text[max(0, s.start - 8):s.start]
    m = rule[1].search(aligned(before, cached=True))
    if not m:
        return s
    start = s.start - (len(before) - m.start())
    return replace(s, start=start, text=text[start:s.end])


def _lead_out(text: str, s: Span, words: tuple[str, ...],
              channel: Optional[re.Pattern] = None) -> Span:
    """LABELS.md: adverbs and timeliness words stay out of a METRIC for a count (总计公开署令
    2条 gives 公开署令; 按期办结36件 gives 办结; 发生行政复议 gives 行政复议), in a rate they
    stay in (按期办结率); so does a channel before the verb (网上公开信息 gives 公开信息;
    decisions 1 and 5). A model METRIC that starts with one of ``words`` (``metrics.lead_out``)
    or with a match of ``channel`` (``metrics.channel_out``) starts after it."""
    if not words and channel is None:
        return s
    simple = aligned(s.text, cached=True)
    if simple.endswith("率"):
        return s
    m = channel.match(simple) if channel is not None else None
    cut = m.end() if m else 0
    w = next((w for w in words if simple.startswith(w, cut)), "")
    cut += len(w)
    if not cut or len(simple) - cut < 2:
        return s
    return replace(s, start=s.start + cut, text=text[s.start + cut:s.end])


def _trail_out(text: str, s: Span, words: frozenset) -> Span:
    """LABELS.md: verbs before a value stay out (达, 达到 …). A model METRIC whose last word
    (rjieba, simplified script) is one of ``words`` (``metrics.trail_out``: 举报数为 → 举报数,
    點擊量超過 → 點擊量) ends before it; 行为 is one word and stays."""
    last = last_word(s.text) if words else ""
    n = len(last) if last in words else 0
    if not n or len(s.text) - n < 2:
        return s
    return replace(s, end=s.end - n, text=text[s.start:s.end - n])


def _without_verbs(spans: list[Span], pats: Patterns) -> list[Span]:
    """LABELS.md, a value before its noun: 受理36件政府信息公开申请 gives METRIC 政府信息公开申请,
    the verb before the value stays out. A model METRIC of ``verb_tags`` words that a value
    follows right after, itself followed right after by a METRIC, drops."""
    if not pats.verb_tags:
        return spans
    at = {s.start: s for s in spans}
    out = []
    for s in spans:
        value = at.get(s.end) if s.label == "METRIC" and s.source == "model" else None
        noun = at.get(value.end) if value is not None and value.label in pats.value_labels else None
        if noun is not None and noun.label == "METRIC" and only_tagged(s.text, pats.verb_tags):
            continue
        out.append(s)
    return out


def with_values(text: str, spans: list[Span], pats: Patterns,
               sources: tuple[str, ...] = ("rule",)) -> list[Span]:
    """METRIC spans of ``sources`` only in sentences that hold a value span (LABELS.md)."""
    if pats.sentence_end is None:
        return spans
    ends = [m.end() for m in pats.sentence_end.finditer(text)]
    has_value = {bisect_right(ends, s.start) for s in spans if s.label in pats.value_labels}
    return [s for s in spans if s.label != "METRIC" or s.source not in sources
            or bisect_right(ends, s.start) in has_value]
