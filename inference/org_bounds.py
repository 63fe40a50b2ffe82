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


def compile_org(cfg: Optional[dict]) -> OrgGrammar:
    """The compiled ``org`` section (an empty or missing one: no correction)."""
    cfg = cfg or {}
    words = sorted({str(w) for w in cfg.get("suffixes", []) or [] if len(str(w)) > 1},
                   key=len, reverse=True)
    gb = cfg.get("generic_before")
    return OrgGrammar(tuple(words), re.compile(gb) if gb else None,
                      frozenset(str(cfg.get("levels", ""))),
                      int(cfg.get("place_min_chars", 2)),
                      frozenset(str(cfg.get("place_not_first", ""))), int(cfg.get("context", 8)))


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
    out: dict[int, Span] = {}
    for i, m in enumerate(spans):
        if m.label != "ORG" or i in gone:
            continue
        if _generic(text, m, gr):
            gone.add(i)
            continue
        start = place_start(text, m.start, g, gr.place_min_chars, gr.place_not_first)
        start = m.start if start is None else start
        end = suffix_end(text, m.start, m.end, gr.suffixes)
        if (start, end) == (m.start, m.end):
            continue
        current = {j: out.get(j, t) for j, t in enumerate(spans) if j not in gone}
        absorbed = _free(list(current.values()), start, end, m)
        if absorbed is None:
            continue
        gone |= {j for j, t in current.items() if any(t is a for a in absorbed)}
        out[i] = replace(m, start=start, end=end, text=text[start:end])
    return [out.get(i, m) for i, m in enumerate(spans) if i not in gone]
