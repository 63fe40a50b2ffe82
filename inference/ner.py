"""Stage ner: entity spans in narrative blocks, from the model and from patterns.

Where it looks
    Running text: the blocks of the kinds in ``read_blocks`` of patterns.yaml (``narrative``
    and ``heading``: report titles carry ORG and DATE, as in the gold standard and in
    training, which leaves out only table and chrome blocks); a document without blocks (not
    segmented) is read whole, minus its page chrome (``doc.chrome``). Tables are read by the
    table parser, not here.

Patterns (``configs/patterns.yaml``, compiled by ``inference/patterns.py``)
    Regexes for COUNT, PERCENT, MONEY, DATE, DOCNO and DOC with unit lists, written as data.
    Each rule may veto a match by the text just before it (``not_before``: ordinals 第二期,
    digits of a longer number), just after it (``not_after``: 亿元以上 thresholds, 6个月,
    12345热线 has no unit and never matches) or inside it (``not_inner``: 《衡水日报》 is an
    ORG). Phone numbers, postcodes and section numbers carry no unit, so no value rule
    matches them. ``weak`` rules (Chinese-numeral counts such as 两场, bare 万 amounts) are
    low-precision: they only stand where the model agrees, so never in rules-only mode.

Combination policy (deterministic)
    0. The model reads the text without its pinyin glosses and its spans take in the glosses
       they meet (``inference/glosses.py``: 吐魯番地區公安局 → 吐魯番地區(qū)公安局); its ORG
       spans get their boundaries from place names and the grammar of ORG names, read on the
       text without glosses (``inference/org_bounds.py``, the ``org`` section of
       patterns.yaml): 周至 + 县人民政府办公室 → 周至县人民政府办公室, 办公室联 → 办公室, 县委县政府
       → 县委 + 县政府; bare words (办公室, 党委) and spans that end on no name's last
       character (商务) drop.
    1. Rule spans among themselves: ``priority`` order of patterns.yaml (DOC > DOCNO > DATE >
       PERCENT > MONEY > COUNT), then the longer, then the earlier; overlapping losers drop.
    2. Weak rule spans need a model span of the same label overlapping them (rules only:
       they drop).
    3. Rules own the boundaries of their labels: a model span of a rule label (COUNT,
       PERCENT, MONEY, DATE, DOCNO, DOC) that overlaps any rule span is dropped (the rule
       span stands); a model span that overlaps no rule span is kept (what patterns miss,
       e.g. a bare count 市本级1658) only if its label is in ``model_fill`` (the shipped
       config fills none: on the dev split the model's extra values were false positives).
    4. The model owns METRIC and ORG: such a span that overlaps rule spans is cut to its
       longest part outside them (主动公开政府信息30659 → 主动公开政府信息) and trimmed; an
       empty remainder drops. Rules-only METRIC phrases (taxonomy synonyms, rates before a
       percentage) are used only without a model, and only in sentences holding a value;
       with ``metrics.model_needs_value`` the model's METRIC spans also need one. Model
       spans shorter than ``model_min_chars`` of their label drop.
    5. The standard's METRIC rules (``inference/metric_rules.py``, its docstring lists them):
       no verb before a value whose noun follows (受理36件政府信息公开申请 → 政府信息公开申请),
       no share's denominator (占信息总量的1.7%), no adverb, timeliness word or channel at
       the start and no verb at the end (总计公开署令 → 公开署令, 网上公开信息 → 公开信息,
       點擊量超過 → 點擊量), a list taken in whole (``inference/metric_lists.py``: …、疫情信息、
       重点领域等信息 → 公开政府文件、…、重点领域等信息).
    6. Every span is trimmed of whitespace and stray punctuation at both ends (a leading 《
       and a trailing 》 or % stay), and spans are returned sorted by start.
    Rule spans have ``source="rule"`` and score 1.0; model spans keep ``source="model"``
    and their mean tag probability.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from typing import TYPE_CHECKING, Optional, Sequence

from . import deadline, metric_rules, org_bounds
from . import glosses as glosses_mod
from .data import Block, Document, Span
from .ner_model import Tagger, model_spans_many
from .patterns import Patterns, Rule, expand  # noqa: F401  (expand re-exported)
from .windows import merge_regions, trim as _trim_punct

if TYPE_CHECKING:
    from .rules import Rules


def patterns() -> Patterns:
    """The patterns of the rules in use (``default_rules().patterns``)."""
    from .rules import default_rules

    return default_rules().patterns

Region = tuple[int, int]


def trim_span(text: str, start: int, end: int, chars: frozenset = frozenset()) -> Region:
    """``start:end`` without whitespace or punctuation at either end (label rule)."""
    while True:
        s, e = _trim_punct(text, start, end)
        while s < e and text[s] in chars:
            s += 1
        while e > s and text[e - 1] in chars:
            e -= 1
        if (s, e) == (start, end):
            return s, e
        start, end = s, e


def _rule_matches(text: str, region: Region, pats: Patterns, rules: Sequence[Rule]
                  ) -> list[tuple[Span, Rule]]:
    """Matches of ``rules`` inside ``region``."""
    rs, re_ = region
    out: list[tuple[Span, Rule]] = []
    ctx = pats.context
    for rule in rules:
        deadline.check("ner (patterns)")
        for m in rule.regex.finditer(text, rs, re_):
            s, e = m.span(rule.group)
            if e <= s:
                continue
            if rule.not_before and rule.not_before.search(text[max(rs, s - ctx):s]):
                continue
            if rule.not_after and rule.not_after.match(text[e:min(re_, e + ctx)]):
                continue
            if rule.not_inner and rule.not_inner.search(text[s:e]):
                continue
            if rule.left_trim:
                lt = rule.left_trim.match(text[s:e])
                if lt:
                    s += lt.end()
            s, e = trim_span(text, s, e, pats.trim_chars)
            if e > s:
                out.append((Span(s, e, text[s:e], rule.label, 1.0, "rule"), rule))
    return out


class _Taken:
    """Characters of a text already covered by chosen spans: the overlap test of the
    greedy choices in O(span length) instead of against every span chosen before."""

    def __init__(self, n: int) -> None:
        self.marks = bytearray(n)

    def free(self, s: Span) -> bool:
        return self.marks.find(1, s.start, s.end) < 0

    def take(self, s: Span) -> None:
        self.marks[s.start:s.end] = b"\x01" * (s.end - s.start)


def _resolve(cands: list[tuple[Span, Rule]], prio: dict[str, int]) -> list[tuple[Span, Rule]]:
    """Greedy non-overlapping choice: priority, then longer, then earlier."""
    order = sorted(cands, key=lambda c: (prio.get(c[0].label, len(prio)), c[1].weak,
                                         -(c[0].end - c[0].start), c[0].start))
    taken = _Taken(max((c[0].end for c in cands), default=0))
    kept: list[tuple[Span, Rule]] = []
    for c in order:
        if taken.free(c[0]):
            taken.take(c[0])
            kept.append(c)
    return kept


def _overlapping(sorted_spans: list[Span], ends: list[int], m: Span) -> list[Span]:
    """The spans of ``sorted_spans`` (disjoint, by start; ``ends`` their ends) that overlap
    ``m``."""
    out = []
    for i in range(bisect_right(ends, m.start), len(sorted_spans)):
        if sorted_spans[i].start >= m.end:
            break
        out.append(sorted_spans[i])
    return out


def rule_spans(text: str, regions: Optional[Sequence[Region]] = None,
               pats: Optional[Patterns] = None) -> list[tuple[Span, Rule]]:
    """(span, rule) for every pattern match inside ``regions``, and of the header rules
    outside them (the 来源 and date lines), overlaps resolved (weak and rules-only matches
    included: ``combine`` decides on them)."""
    pats = pats or patterns()
    regs = _regions(text, regions)
    body = [r for r in pats.rules if not r.header]
    header = [r for r in pats.rules if r.header]
    cands = [c for r in regs for c in _rule_matches(text, r, pats, body)]
    cands += [c for r in _gaps(regs, len(text)) for c in _rule_matches(text, r, pats, header)]
    return sorted(_resolve(cands, pats.priority), key=lambda c: c[0].start)


def _gaps(regions: Sequence[Region], n: int) -> list[Region]:
    """The parts of a text of ``n`` characters outside the ``regions`` (sorted by start; they
    may overlap)."""
    out, pos = [], 0
    for s, e in regions:
        if s > pos:
            out.append((pos, s))
        pos = max(pos, e)
    return out + ([(pos, n)] if pos < n else [])


def _cut_outside(text: str, span: Span, blockers: list[Span], chars: frozenset) -> Optional[Span]:
    """The longest part of ``span`` outside all ``blockers``, trimmed; None if nothing."""
    free = [(span.start, span.end)]
    for b in blockers:
        nxt = []
        for s, e in free:
            if b.end <= s or b.start >= e:
                nxt.append((s, e))
                continue
            if b.start > s:
                nxt.append((s, b.start))
            if b.end < e:
                nxt.append((b.end, e))
        free = nxt
    best: Optional[Region] = None
    for s, e in free:
        s, e = trim_span(text, s, e, chars)
        if e > s and (best is None or e - s > best[1] - best[0]):
            best = (s, e)
    if best is None:
        return None
    return replace(span, start=best[0], end=best[1], text=text[best[0]:best[1]])


def combine(text: str, model: Optional[list[Span]], rules: list[tuple[Span, Rule]],
            pats: Optional[Patterns] = None, glosses: Sequence[Region] = ()) -> list[Span]:
    """Model spans and rule spans into one flat list (the policy of the module docstring).
    ``model=None`` means no model ran (rules only); ``glosses``: the pinyin glosses of
    ``text`` (``inference.noise``), which model spans take in (``inference.glosses``)."""
    pats = pats or patterns()
    if model is None:
        spans = sorted((s for s, r in rules if not r.weak), key=lambda s: s.start)
        return metric_rules.with_values(text, spans, pats)
    model = glosses_mod.in_view(text, glosses_mod.join(text, model, glosses), glosses,
                                lambda t, spans: org_bounds.adjust(t, spans, pats.org))
    by_label: dict[str, _Taken] = {}  # model spans of each label, for weak rules
    for m in model:
        by_label.setdefault(m.label, _Taken(len(text))).take(m)
    kept_rules = sorted((s for s, r in rules if not r.rules_only and (
        not r.weak or (s.label in by_label and not by_label[s.label].free(s)))),
        key=lambda x: x.start)
    rule_ends = [r.end for r in kept_rules]
    out = list(kept_rules)
    taken = _Taken(len(text))
    for r in kept_rules:
        taken.take(r)
    min_chars = dict(pats.model_min_chars)
    gloss_at_end = {e: s for s, e in glosses}
    for i, m in enumerate(sorted(model, key=lambda x: (x.start, x.end))):
        if i % 256 == 0:
            deadline.check("ner")
        s, e = trim_span(text, m.start, m.end, pats.trim_chars)
        if gloss_at_end.get(m.end, m.end) < e:  # a gloss's closing bracket is not punctuation
            e = m.end
        if e - s < max(1, min_chars.get(m.label, 1)):
            continue
        m = replace(m, start=s, end=e, text=text[s:e], source=m.source or "model")
        hits = _overlapping(kept_rules, rule_ends, m)
        if (not hits and pats.model_fill is not None and m.label not in pats.model_labels
                and m.label not in pats.model_fill):
            continue
        if hits:
            if m.label not in pats.model_labels:
                continue
            m = _cut_outside(text, m, hits, pats.trim_chars)
            if m is None:
                continue
        if not taken.free(m):
            continue
        taken.take(m)
        out.append(m)
    return metric_rules.correct(text, out, pats)


def _regions(text: str, regions: Optional[Sequence[Region]]) -> list[Region]:
    """Sorted, non-overlapping regions (offsets made ints); the whole text when None."""
    return merge_regions(None if regions is None else [(int(s), int(e)) for s, e in regions], text)


def predict_spans(text: str, tagger: Optional[Tagger],
                  regions: Optional[list[tuple[int, int]]] = None,
                  pats: Optional[Patterns] = None,
                  glosses: Optional[Sequence[Region]] = None) -> list[Span]:
    """Entities of ``text`` inside ``regions`` (default: all of it), from the model (when
    given) combined with the patterns of ``configs/patterns.yaml``. Offsets into ``text``.
    ``glosses`` (default: those the noise rules in use find in ``text``): see ``combine``."""
    regs = _regions(text, regions)
    if glosses is None:
        glosses = glosses_mod.pinyin_glosses(text)
    model = (model_spans_many([text], tagger, [regs], glosses=[glosses])[0]
             if tagger is not None and regs else None)
    if tagger is not None and model is None:
        model = []
    pats = pats or patterns()
    return combine(text, model, rule_spans(text, regs, pats), pats, glosses)


def model_blocks(doc: Document, pats: Optional[Patterns] = None) -> list[Block]:
    """The blocks of ``doc`` that the model and the patterns read (``read_blocks`` of
    patterns.yaml: narrative and heading), in text order."""
    kinds = (pats or patterns()).read_blocks
    return sorted((b for b in doc.blocks if b.kind in kinds), key=lambda b: b.start)


def model_regions(doc: Document, pats: Optional[Patterns] = None) -> list[Region]:
    """What the NER model reads, the one definition for serving, training, evaluation and
    annotation tasks: the ``model_blocks`` merged into regions; without blocks (a document
    not segmented), the whole text minus its chrome."""
    if doc.blocks:
        return _without(_regions(doc.text, [(b.start, b.end) for b in model_blocks(doc, pats)]), doc.noise)
    return _without(_regions(doc.text, _gaps(sorted(doc.chrome), len(doc.text))), doc.noise)


def _without(regions: list[Region], cut: Sequence[tuple]) -> list[Region]:
    """``regions`` minus the noise ranges (inference/noise.py: sorted, not overlapping)
    that fall inside them; each region looks only at the ranges that reach into it."""
    ranges = sorted(cut)
    starts, ends = [x[0] for x in ranges], [x[1] for x in ranges]
    out: list[Region] = []
    for s, e in regions:
        for a, b, *_ in ranges[bisect_right(ends, s):bisect_left(starts, e)]:
            if a > s:
                out.append((s, a))
            s = max(s, b)
        if s < e:
            out.append((s, e))
    return out


def with_ids(spans: list[Span], prefix: str = "T") -> list[Span]:
    return [replace(s, id=f"{prefix}{i + 1}") for i, s in enumerate(spans)]


def tag(doc: Document, tagger: Optional[Tagger], rules: Optional[Rules] = None) -> Document:
    """``doc.entities``: model + pattern spans on the narrative text, ids ``T1``, ``T2``...
    (patterns of ``rules``, default: ``default_rules()``)."""
    return tag_many([doc], tagger, rules)[0]


def tag_many(docs: Sequence[Document], tagger: Optional[Tagger],
             rules: Optional[Rules] = None) -> list[Document]:
    """``tag`` for several documents with one model call (windows batched across them)."""
    pats = rules.patterns if rules is not None else patterns()
    regs = [model_regions(d, pats) for d in docs]
    model: list[Optional[list[Span]]] = [None] * len(docs)
    if tagger is not None:
        idx = [i for i, r in enumerate(regs) if r]
        preds = model_spans_many([docs[i].text for i in idx], tagger, [regs[i] for i in idx],
                                 rules.labels if rules is not None else None,
                                 [glosses_mod.of_noise(docs[i].noise) for i in idx])
        model = [[] for _ in docs]
        for i, p in zip(idx, preds):
            model[i] = p
    version = getattr(tagger, "model_version", None) if tagger else None
    out = []
    for d, r, m in zip(docs, regs, model):
        spans = combine(d.text, m, rule_spans(d.text, r, pats), pats, glosses_mod.of_noise(d.noise))
        out.append(replace(d, entities=with_ids(spans), model=version))
    return out
