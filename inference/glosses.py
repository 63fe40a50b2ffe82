"""The text the model reads without pinyin glosses, and its spans back across them.

Some mirror sites print traditional-script reports with a pinyin reading after characters:
吐魯番地區(qū)公安局, 開平市衛(wèi)生健康局. The glosses are noise (``inference.noise``).
The model reads the text without them (``model_view``, used by ``inference.ner_model``;
training learns from the same view), so it sees 吐魯番地區公安局 whole; its spans come back
on the text across the glosses (``from_view``), and rules that read words or place names
run on the view too (``in_view``). LABELS.md keeps a gloss inside the span it follows, so
``join`` (``inference.ner.combine``) then mends what is left:

1. two model spans of one label that a gloss alone separates become one span
   (吐魯番地區(qū)公安局);
2. a span that ends where a gloss starts takes the gloss in (政策法規(guī));
3. a span that starts where a gloss ends starts where its word starts, the word read on
   the text without its glosses (``inference.words``): 衛(wèi)生健康局, 國務(wù)院辦公廳.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Optional, Sequence

import numpy as np

from .data import Span
from .noise import noise_ranges
from .windows import merge_regions
from .words import word_starts

if TYPE_CHECKING:
    from .rules import Rules

Range = tuple[int, int]


def of_noise(noise: Sequence[tuple[int, int, str]]) -> list[Range]:
    """The pinyin glosses among noise ranges (``Document.noise``: start, end, kind)."""
    return [(s, e) for s, e, kind in noise if kind == "pinyin"]


def pinyin_glosses(text: str, rules: Optional[Rules] = None) -> list[Range]:
    """The pinyin glosses of ``text`` by the noise rules of ``rules`` (default: in use)."""
    from .rules import or_default

    return of_noise(noise_ranges(text, or_default(rules).noise))


def _plain(text: str, glosses: Sequence[Range]) -> tuple[str, list[int]]:
    """``text`` without its glosses, and the original offset of each kept character."""
    keep = np.ones(len(text), dtype=bool)
    for s, e in glosses:
        keep[s:e] = False
    where = np.flatnonzero(keep)
    return "".join(text[i] for i in where), where.tolist()


def model_view(text: str, regions: Sequence[Range], glosses: Sequence[Range]
               ) -> tuple[str, list[Range], list[int]]:
    """What the model reads of a text with glosses: the text without them, ``regions`` on
    that text (two regions that a gloss alone separated become one, so the model reads
    規(guī)劃計劃 as 規劃計劃), and the original offset of each character kept."""
    plain, where = _plain(text, glosses)
    mapped = [(bisect_left(where, s), bisect_left(where, e)) for s, e in regions]
    return plain, merge_regions(mapped, plain), where


def from_view(text: str, spans: Sequence[Span], where: Sequence[int]) -> list[Span]:
    """Spans read on ``model_view``'s text, back on ``text``: a span across a gloss holds it."""
    out = []
    for x in spans:
        s, e = where[x.start], where[x.end - 1] + 1
        out.append(replace(x, start=s, end=e, text=text[s:e]))
    return out


def to_view(spans: Sequence[Span], plain: str, where: Sequence[int]) -> list[Span]:
    """Spans of the original text on ``model_view``'s text (gold for training): a span
    across a gloss becomes one without it."""
    out = []
    for x in spans:
        s, e = bisect_left(where, x.start), bisect_left(where, x.end)
        if e > s:
            out.append(replace(x, start=s, end=e, text=plain[s:e]))
    return out


def in_view(text: str, spans: Sequence[Span], glosses: Sequence[Range],
            fn: Callable[[str, list[Span]], list[Span]]) -> list[Span]:
    """``fn(text, spans)`` run on the text without its glosses (a rule that reads words
    or place names reads 漢臺區 in 漢臺區(qū)信息中心), its spans back across the glosses."""
    if not glosses:
        return fn(text, list(spans))
    plain, where = _plain(text, glosses)
    return join(text, from_view(text, fn(plain, to_view(spans, plain, where)), where), glosses)


def _word_start(text: str, pos: int, glosses: Sequence[Range], window: int = 12) -> int:
    """Where the word that holds ``text[pos]`` starts (glosses skipped), as an offset of
    ``text``; ``pos`` when it starts a word."""
    lo = max(0, pos - window)
    local = [(max(s, lo) - lo, min(e, pos + window) - lo) for s, e in glosses
             if e > lo and s < pos + window]
    plain, where = _plain(text[lo:pos + window], local)
    k = where.index(pos - lo)
    starts = word_starts(plain)
    while k > 0 and not starts[k]:
        k -= 1
    return where[k] + lo


def join(text: str, spans: Sequence[Span], glosses: Sequence[Range]) -> list[Span]:
    """``spans`` (sorted or not) with the corrections of the module docstring."""
    if not glosses or not spans:
        return list(spans)
    gl = sorted(glosses)
    by_start = {s: e for s, e in gl}
    by_end = {e: s for s, e in gl}
    out: list[Span] = []
    for m in sorted(spans, key=lambda x: (x.start, x.end)):
        prev = out[-1] if out else None
        if prev is not None and prev.label == m.label and by_start.get(prev.end) == m.start:
            out[-1] = replace(prev, end=m.end, text=text[prev.start:m.end],
                              score=min(prev.score, m.score))
            continue
        if m.start in by_end and (prev is None or prev.end <= by_end[m.start] - 1):
            s = _word_start(text, m.start, gl)
            if s < m.start and (prev is None or prev.end <= s):
                m = replace(m, start=s, text=text[s:m.end])
        out.append(m)
    return [replace(m, end=by_start[m.end], text=text[m.start:by_start[m.end]])
            if m.end in by_start else m for m in out]
