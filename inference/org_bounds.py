"""ORG boundaries of the model's spans, from place names and the grammar of ORG names
(issue 15). Used by ``inference.ner.combine`` before the model spans meet the rule spans.

An ORG name of these reports is a place, then the body, then its suffix word:
周至县 + 人民政府 + 办公室. The model often cuts the place off (县人民政府办公室, 甘肃 +
省人民政府办公厅 as two spans) or stops inside a suffix word (市人 of 丽江市人民政府,
吴起县档案 of 吴起县档案馆). Three corrections, data in the ``org`` section of
``configs/patterns.yaml``:

1. An ORG never starts inside a place name: a model ORG whose first character lies inside
   a division name of the gazetteer (``inference.gazetteer``: jionlp's official list,
   current and former names, matched in Simplified script) starts where the name starts
   (县人民政府办公室 after 周至 → 周至县人民政府办公室).
2. An ORG never ends inside one of the ``suffixes`` (人民政府, 档案馆 ...) that starts
   inside it: it ends where the word ends (市人 → 市人民政府).
3. A span that starts at a bare level character after an enumeration of levels
   (``generic_before``: 各县、区人民政府, 市、县政府) names a generic group, which is no ORG
   (LABELS.md): it drops.

A model ORG that the corrected span covers (甘肃 inside 甘肃省人民政府办公厅) is absorbed;
a correction that would overlap a model span of another label, or an ORG it does not
cover, is not made.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional, Sequence

from .config import rules_cache
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


def compile_org(cfg: Optional[dict]) -> OrgGrammar:
    """The compiled ``org`` section (an empty or missing one: no correction)."""
    cfg = cfg or {}
    words = sorted({str(w) for w in cfg.get("suffixes", []) or [] if len(str(w)) > 1},
                   key=len, reverse=True)
    gb, ow = cfg.get("generic_before"), cfg.get("owner_of")
    return OrgGrammar(tuple(words), re.compile(gb) if gb else None,
                      frozenset(str(cfg.get("levels", ""))),
                      int(cfg.get("place_min_chars", 2)),
                      frozenset(str(cfg.get("place_not_first", ""))), int(cfg.get("context", 8)),
                      re.compile(ow) if ow else None, frozenset(str(cfg.get("end_chars", ""))),
                      int(cfg.get("tail", 0)), int(cfg.get("parent_min_chars", 3)),
                      frozenset(str(cfg.get("split_conj", ""))),
                      tuple(str(w) for w in cfg.get("not_end", []) or []))


@rules_cache
def org_grammar() -> OrgGrammar:
    """The ``org`` section of ``configs/patterns.yaml`` (loaded once per configs folder)."""
    from .config import load_config

    return compile_org(load_config("patterns").get("org"))


def place_start(text: str, pos: int, g: Gazetteer, min_chars: int = 2,
                not_first: frozenset = frozenset()) -> Optional[int]:
    """The start of the longest division name ``text[a:b]`` with ``a < pos < b`` (the
    character at ``pos`` lies inside it, not at its start), or None. A two-character name
    whose first character is in ``not_first`` (和县 of 和县委) does not count."""
    n, top = len(text), g.max_len
    lo = max(0, pos - top + 1)
    window = g.simplified(text[lo:min(n, pos + top)])
    best: Optional[tuple[int, int]] = None
    for a in range(lo, pos):
        for b in range(min(n, a + top), pos, -1):
            if b - a < min_chars or (best and b - a <= best[1] - best[0]):
                break
            name = window[a - lo:b - lo]
            if name in g.by_name and not (len(name) == 2 and name[0] in not_first):
                best = (a, b)
                break
    return best[0] if best else None


def suffix_end(text: str, start: int, end: int, words: Sequence[str]) -> int:
    """``end`` moved to the end of a suffix word that starts inside ``start:end`` and
    runs past ``end`` (the longest such word wins)."""
    best = end
    for w in words:
        for a in range(max(start, end - len(w) + 1), end):
            b = a + len(w)
            if b > best and text.startswith(w, a):
                best = b
    return best


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
    return (gr.generic_before is not None and s.text[:1] in gr.levels
            and gr.generic_before.search(text[max(0, s.start - gr.context):s.start]) is not None)


def _free(taken: Sequence[Span], start: int, end: int, own: Span) -> Optional[list[Span]]:
    """The model ORG spans that ``start:end`` absorbs, or None when it would overlap a
    span of another label or an ORG only in part."""
    absorbed = []
    for t in taken:
        if t is own or t.end <= start or t.start >= end:
            continue
        if t.label != "ORG" or t.start < start or t.end > end:
            return None
        absorbed.append(t)
    return absorbed


def parent_start(text: str, start: int, g: Gazetteer, min_chars: int = 3) -> int:
    """``start`` moved left over the division names written right before it (吉林省 + 白城市
    + 通榆县广播电视台), each of at least ``min_chars`` characters."""
    top = g.max_len
    while True:
        lo = max(0, start - top)
        window = g.simplified(text[lo:start])
        for a in range(lo, start - min_chars + 1):
            if window[a - lo:] in g.by_name:
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
    """The corrected ``start:end`` of a model ORG (rules 1, 2 and 4 of the module docstring)."""
    s = place_start(text, start, g, gr.place_min_chars, gr.place_not_first)
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
    ``start:end`` and reaches its end or beyond (市政府中心 + 工作 → 市政府)."""
    for w in phrases:
        for a in range(max(start + 1, end - len(w) + 1), end):
            if text.startswith(w, a):
                return a
    return end


def pieces(text: str, start: int, end: int, gr: OrgGrammar) -> list[tuple[int, int]]:
    """``start:end`` cut where a second ORG begins (rule 5): after a character of
    ``end_chars``, at a conjunction (市政府办和安康日报) or at a level character (县委县政府)."""
    out, a = [], start
    for p in range(start + 2, end - 1):
        if p < a + 2 or text[p - 1] not in gr.end_chars:
            continue
        if text[p] in gr.split_conj and end - p > 2:
            out.append((a, p))
            a = p + 1
        elif text[p] in gr.levels and text[p + 1] not in gr.levels:
            out.append((a, p))
            a = p
    out.append((a, end))
    return out


def adjust(text: str, model: Sequence[Span], gr: Optional[OrgGrammar] = None,
           g: Optional[Gazetteer] = None) -> list[Span]:
    """The model spans with ORG boundaries corrected (module docstring); other labels as
    they are. Offsets into ``text``."""
    gr = gr or org_grammar()
    if not any(m.label == "ORG" for m in model):
        return list(model)
    g = g or gazetteer()
    spans = sorted(model, key=lambda x: (x.start, x.end))
    gone: set[int] = set()
    out: dict[int, list[Span]] = {}
    for i, m in enumerate(spans):
        if m.label != "ORG" or i in gone:
            continue
        if _generic(text, m, gr):
            gone.add(i)
            continue
        start, end = bounds(text, m.start, m.end, gr, g)
        if gr.owner_of is not None and gr.owner_of.match(g.simplified(text[end:end + 12])):
            gone.add(i)
            continue
        if (start, end) != (m.start, m.end):
            current = {j: t for j, t in enumerate(spans) if j not in gone}
            for j, ts in out.items():
                if j in current:
                    current[j] = replace(spans[j], start=ts[0].start, end=ts[-1].end)
            absorbed = _free(list(current.values()), start, end, m)
            if absorbed is None:
                start, end = m.start, m.end
            else:
                gone |= {j for j, t in current.items() if any(t is a for a in absorbed)}
        cut = pieces(text, start, end, gr)
        if len(cut) > 1 or (start, end) != (m.start, m.end):
            out[i] = [replace(m, start=a, end=b, text=text[a:b]) for a, b in cut]
    return [x for i, m in enumerate(spans) if i not in gone for x in out.get(i, [m])]
