"""ORG boundaries of the model's spans, from place names and the grammar of ORG names
(issue 15). Used by ``inference.ner.combine`` before the model spans meet the rule spans.

An ORG name of these reports is a place, then the body, then its suffix word:
周至县 + 人民政府 + 办公室. The model often cuts the place off (县人民政府办公室, 甘肃 +
省人民政府办公厅 as two spans), stops inside a word (市人 of 丽江市人民政府, 吴起县档案 of
吴起县档案馆) or runs on into the next word (办公室联系). The corrections, data in the
``org`` section of ``configs/patterns.yaml``:

1. Places. An ORG never starts inside a division name of the gazetteer
   (``inference.gazetteer``: jionlp's official list, current and former names, matched in
   Simplified script), nor inside an area word of ``zones`` (开发区, 示范区): it starts
   where the name starts (县人民政府办公室 after 周至 → 周至县人民政府办公室, 区管委会 after
   开发 → 开发区管委会); division names written right before it join it (吉林省白城市 +
   通榆县广播电视台).
2. Ends. An ORG does not end inside one of the ``suffixes`` that starts inside it (市人 →
   市人民政府), nor in one of the ``not_end`` phrases (县政府中 of 县政府中心工作 → 县政府)
   unless it ends on a whole suffix word. It ends on one of the ``end_chars`` (政府, 办公室,
   局, 委, 中心, 日报 ...): a tail of at most ``tail`` characters after the last one is cut
   (办公室联 → 办公室), or else the next character is taken when it is one (市投资促进 + 局).
3. Two names run together are cut apart after an end character, at a conjunction
   (市政府办和安康日报) or where a level character starts a new name (县委县政府).
4. No ORG (LABELS.md): a span starting at a bare level character after an enumeration of
   levels (``generic_before``: 各县、区人民政府), the owner of a website or account
   (``owner_of``: 延安市教育局”网站, 区政府门户网站), a word that is no ORG alone
   (``not_alone``: 办公室, 党委, 中央, 博物馆) and a span that ends on none of the
   ``last_chars`` of a body's name (商务, 黃陂區, 吐魯番地區 cut off before 公安局).

A model ORG that the corrected span covers (甘肃 inside 甘肃省人民政府办公厅) is absorbed;
a correction that would overlap a model span of another label, or an ORG it does not
cover, is not made. Measured with models/default, which never saw gold-v2 (int8, NER stage
as served): ORG F1 0.794 -> 0.864 on its 530 documents (gold spans inside the read
regions, as ``training.evaluate``), 0.771 -> 0.834 on its 107 dev documents (all gold
spans, as benchmarks/eval_model.py); other labels unchanged.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Optional, Sequence

from .data import Span
from .gazetteer import Gazetteer, gazetteer


@dataclass(frozen=True)
class OrgGrammar:
    """The ``org`` section of patterns.yaml, compiled."""

    suffixes: tuple[str, ...] = ()  # words an ORG does not end inside, longest first
    generic_before: Optional[re.Pattern] = None  # text before a generic level start
    levels: frozenset = frozenset()  # the level characters that start a generic group
    place_min_chars: int = 2  # shortest division name that moves a start
    place_not_first: frozenset = frozenset()  # first characters of 2-char names left out
    context: int = 8  # characters before a span that generic_before looks at
    owner_of: Optional[re.Pattern] = None  # text after an ORG that makes it a platform's owner
    end_chars: frozenset = frozenset()  # characters an ORG name ends on
    tail: int = 0  # most characters cut after the last of end_chars
    parent_min_chars: int = 3  # shortest division name written before an ORG that joins it
    split_conj: frozenset = frozenset()  # conjunctions between two ORG names (和, 与)
    not_end: tuple[str, ...] = ()  # phrases an ORG does not end in (中心工作, 政府信息)
    last_chars: frozenset = frozenset()  # an ORG ending on none of these drops (empty: none do)
    not_alone: frozenset = frozenset()  # words that are no ORG by themselves (办公室, 党委)
    zones: tuple[str, ...] = ()  # area words an ORG does not start inside (开发区, 示范区)


def compile_org(cfg: Optional[dict],
                comp: Optional[Callable[[Optional[str], str], Optional[re.Pattern]]] = None) -> OrgGrammar:
    """The compiled ``org`` section (an empty or missing one leaves only the place rules,
    which need no data beyond the gazetteer). ``comp(source, key)`` compiles its patterns
    (``patterns.compile_patterns`` passes its own: ``{defs}`` expanded, errors named)."""
    cfg = cfg or {}
    comp = comp or (lambda src, key: re.compile(src) if src else None)
    words = sorted({str(w) for w in cfg.get("suffixes", []) or [] if len(str(w)) > 1},
                   key=len, reverse=True)
    gb, ow = comp(cfg.get("generic_before"), "generic_before"), comp(cfg.get("owner_of"), "owner_of")
    return OrgGrammar(tuple(words), gb,
                      frozenset(str(cfg.get("levels", ""))),
                      int(cfg.get("place_min_chars", 2)),
                      frozenset(str(cfg.get("place_not_first", ""))), int(cfg.get("context", 8)),
                      ow, frozenset(str(cfg.get("end_chars", ""))),
                      int(cfg.get("tail", 0)), int(cfg.get("parent_min_chars", 3)),
                      frozenset(str(cfg.get("split_conj", ""))),
                      tuple(str(w) for w in cfg.get("not_end", []) or []),
                      frozenset(str(cfg.get("last_chars", ""))),
                      frozenset(str(w) for w in cfg.get("not_alone", []) or []),
                      tuple(str(w) for w in cfg.get("zones", []) or []))



def place_start(text: str, pos: int, g: Gazetteer, min_chars: int = 2,
                not_first: frozenset = frozenset()) -> Optional[int]:
    """The start of the longest division name ``text[a:b]`` with ``a < pos < b`` (the
    character at ``pos`` lies inside it, not at its start), or None. A two-character name
    whose first character is in ``not_first`` (和县 of 和县委) does not count. ``text`` is in
    Simplified script (``adjust`` converts it once)."""
    n, top = len(text), g.max_len
    best: Optional[tuple[int, int]] = None
    for a in range(max(0, pos - top + 1), pos):
        for b in range(min(n, a + top), pos, -1):
            if b - a < min_chars or (best and b - a <= best[1] - best[0]):
                break
            name = text[a:b]
            if name in g.by_name and not (len(name) == 2 and name[0] in not_first):
                best = (a, b)
                break
    return best[0] if best else None


def zone_start(text: str, pos: int, zones: Sequence[str]) -> Optional[int]:
    """The start of the longest word of ``zones`` with the character at ``pos`` inside it,
    not at its start (区管委会 inside 开发区管委会 → the start of 开发区), or None."""
    hits = [(len(w), a) for w in zones
            for a in range(max(0, pos - len(w) + 1), pos) if text.startswith(w, a)]
    return max(hits)[1] if hits else None


def straddling(text: str, start: int, end: int, words: Sequence[str]) -> Iterator[tuple[int, str]]:
    """``(a, w)`` for each word of ``words`` found at ``a``, ``start <= a < end``, running
    past ``end`` (in the order of ``words``, then of ``a``)."""
    for w in words:
        for a in range(max(start, end - len(w) + 1), end):
            if text.startswith(w, a):
                yield a, w


def suffix_end(text: str, start: int, end: int, words: Sequence[str]) -> int:
    """``end`` moved to the end of a suffix word that starts inside ``start:end`` and
    runs past ``end`` (the longest such word wins)."""
    return max((a + len(w) for a, w in straddling(text, start, end, words)), default=end)


def tail_end(text: str, start: int, end: int, end_chars: frozenset, tail: int) -> int:
    """``end`` moved back over at most ``tail`` characters to just after the last character
    of ``end_chars`` (办公室联 → 办公室, 局党委书记 → 局党委); unchanged when the span ends on
    one, or none is that near."""
    if not end_chars or text[end - 1] in end_chars:
        return end
    for e in range(end - 1, max(start, end - tail - 1), -1):
        if text[e - 1] in end_chars:
            return e
    return end


def _generic(text: str, s: Span, gr: OrgGrammar) -> bool:
    return (gr.generic_before is not None and text[s.start:s.start + 1] in gr.levels
            and gr.generic_before.search(text[max(0, s.start - gr.context):s.start]) is not None)


def _absorbed(spans: Sequence[Span], now: dict[int, tuple[int, int]], starts: list[int],
              reach: int, i: int, start: int, end: int) -> Optional[list[int]]:
    """The indices of the model ORG spans that ``start:end`` (the new extent of span ``i``)
    covers, or None when it would overlap a span of another label or an ORG only in part.
    ``now`` holds the extents of spans already corrected; ``reach`` bounds how far left of
    ``start`` a span overlapping it may start."""
    out = []
    for j in range(bisect_left(starts, start - reach), bisect_left(starts, end)):
        if j == i or j not in now:
            continue
        a, b = now[j]
        if b <= start or a >= end:
            continue
        if spans[j].label != "ORG" or a < start or b > end:
            return None
        out.append(j)
    return out


def parent_start(text: str, start: int, g: Gazetteer, min_chars: int = 3) -> int:
    """``start`` moved left over the division names written right before it (吉林省 + 白城市
    + 通榆县广播电视台), each of at least ``min_chars`` characters. ``text`` is in
    Simplified script."""
    top = g.max_len
    while True:
        for a in range(max(0, start - top), start - min_chars + 1):
            if text[a:start] in g.by_name:
                start = a
                break
        else:
            return start


def next_end(text: str, end: int, end_chars: frozenset) -> int:
    """``end`` one character further when the span does not end on one of ``end_chars``
    and the next character is one (市投资促进 + 局, 海關總 + 署)."""
    if end_chars and end < len(text) and text[end - 1] not in end_chars and text[end] in end_chars:
        return end + 1
    return end


def bounds(text: str, start: int, end: int, gr: OrgGrammar, g: Gazetteer) -> tuple[int, int]:
    """The corrected ``start:end`` of a model ORG (rules 1 and 2 of the module docstring)."""
    s = place_start(text, start, g, gr.place_min_chars, gr.place_not_first)
    if s is None:
        s = zone_start(text, start, gr.zones)
    s = parent_start(text, start if s is None else s, g, gr.parent_min_chars)
    if not any(text.startswith(w, end - len(w)) and end - len(w) >= start for w in gr.suffixes):
        end = max(cut_end(text, start, end, gr.not_end), start + 1)
    e = suffix_end(text, start, end, gr.suffixes)
    if e == end:
        e = tail_end(text, s, end, gr.end_chars, gr.tail)
    if e == end:
        e = next_end(text, end, gr.end_chars)
    return s, e


def cut_end(text: str, start: int, end: int, phrases: Sequence[str]) -> int:
    """``end`` moved back to the start of a phrase of ``phrases`` that starts inside
    ``start:end`` and runs past its end (市政府中心 + 工作 → 市政府). One that ends with the
    span is left to ``tail_end`` (南平市政府信息 → 南平市政府, not 南平市)."""
    return next((a for a, _ in straddling(text, start + 1, end, phrases)), end)


def pieces(text: str, start: int, end: int, gr: OrgGrammar,
           g: Optional[Gazetteer] = None) -> list[tuple[int, int]]:
    """``start:end`` cut where a second ORG begins (rule 3): after a character of
    ``end_chars``, at a conjunction (市政府办和安康日报) or at a level character (县委县政府)
    that is not inside a division name of ``g`` (汉台区信息中心 stays whole)."""
    out, a = [], start
    for p in range(start + 2, end - 1):
        if p < a + 2 or text[p - 1] not in gr.end_chars:
            continue
        if text[p] in gr.split_conj and end - p > 2:
            out.append((a, p))
            a = p + 1
        elif (text[p] in gr.levels and text[p + 1] not in gr.levels
              and (g is None or place_start(text, p, g, gr.place_min_chars,
                                            gr.place_not_first) is None)):
            out.append((a, p))
            a = p
    out.append((a, end))
    return out


def _at_spaces(text: str, m: Span) -> list[Span]:
    """A model ORG cut at its whitespace (a name never runs over a line nor holds a space:
    定州市人民政府 + a new line + 定州市文化廣電和旅遊局; 广州市黄埔区人民政府 广州开发区管委会;
    no gold ORG of the ten sets holds one)."""
    if m.label != "ORG" or not _SPACE.search(m.text):
        return [m]
    return [replace(m, start=m.start + a, end=m.start + b, text=text[m.start + a:m.start + b])
            for a, b in (x.span() for x in _WORD.finditer(m.text))]


_SPACE, _WORD = re.compile(r"\s"), re.compile(r"\S+")


def adjust(text: str, model: Sequence[Span], gr: OrgGrammar,
           g: Optional[Gazetteer] = None, glosses: Sequence[tuple[int, int]] = ()) -> list[Span]:
    """The model spans with ORG boundaries corrected (module docstring); other labels as
    they are. Offsets into ``text``; the grammar and the gazetteer read its Simplified
    form (樂山市人民政府辦公室 like 乐山市人民政府办公室). ``gr`` is ``Rules.patterns.org``;
    ``glosses``: the pinyin glosses of ``text`` (a name's last character is the one before
    a gloss that ends it)."""
    if not any(m.label == "ORG" for m in model):
        return list(model)
    g = g or gazetteer()
    simp = g.simplified(text)  # the grammar reads Simplified script (offsets hold)
    spans = sorted((x for m in model for x in _at_spaces(text, m)), key=lambda x: (x.start, x.end))
    starts = [m.start for m in spans]
    reach = max(m.end - m.start for m in spans) + 2 * g.max_len
    now = {i: (m.start, m.end) for i, m in enumerate(spans)}  # current extents, gone ones out
    out: dict[int, list[Span]] = {}
    for i, m in enumerate(spans):
        if m.label != "ORG" or i not in now:
            continue
        if _generic(simp, m, gr):
            del now[i]
            continue
        start, end = bounds(simp, m.start, m.end, gr, g)
        if gr.owner_of is not None and gr.owner_of.match(simp, end):
            del now[i]
            continue
        if (start, end) != (m.start, m.end):
            covered = _absorbed(spans, now, starts, reach, i, start, end)
            if covered is None:
                start, end = m.start, m.end
            else:
                for j in covered:
                    del now[j]
        cut = pieces(simp, start, end, gr, g)
        now[i] = (start, end)
        if len(cut) > 1 or (start, end) != (m.start, m.end):
            out[i] = [replace(m, start=a, end=b, text=text[a:b]) for a, b in cut]
    gloss_at = {e: s for s, e in glosses}
    return [x for i, m in enumerate(spans) if i in now for x in out.get(i, [m])
            if x.label != "ORG" or _named(simp[x.start:gloss_at.get(x.end, x.end)], gr)]


def _named(simple: str, gr: OrgGrammar) -> bool:
    """Whether an ORG's Simplified text (without a trailing gloss) can be a name: not a
    bare word of ``not_alone``, and ending on one of ``last_chars``."""
    if simple in gr.not_alone:
        return False
    return not gr.last_chars or (simple != "" and simple[-1] in gr.last_chars)
