"""The model's side of the ner stage: a tagger read on regions, in bounded chunks.

``model_spans_many`` gives the raw model spans of several texts at once (the tagger batches
all their windows by length); ``inference.ner.combine`` then merges them with the patterns.
A tagger is anything with ``predict_entities`` (``Tagger``): the runtimes of
``inference.runtime`` take the regions and the pipeline's label set, a simpler one is given
the region substrings.
"""
from __future__ import annotations

import inspect
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator, Optional, Protocol, Sequence

from . import deadline
from .data import Span
from .glosses import from_view, model_view

if TYPE_CHECKING:
    from .config import LabelSet

Region = tuple[int, int]


class Tagger(Protocol):
    """A loaded token classifier (torch or ONNX runtime), GLiNER-style:
    ``predict_entities(texts)`` gives, per text, spans with offsets into that text. A tagger
    whose ``predict_entities`` also takes ``regions=`` (one list of (start, end) per text,
    as ``inference.runtime.ModelTagger`` does) is given the regions to read; otherwise it is
    given the region substrings. One that takes ``labels=`` is given the pipeline's label
    set, whose span edges its decoding follows."""

    model_version: str
    labels: Sequence[str]

    def predict_entities(self, texts: list[str]) -> list[list[Span]]: ...


def _accepts(tagger: Tagger, name: str) -> bool:
    """Whether the tagger's ``predict_entities`` takes the keyword ``name``."""
    try:
        return name in inspect.signature(tagger.predict_entities).parameters
    except (TypeError, ValueError):
        return False


MODEL_CHUNK_CHARS = 100_000
"""Most region characters the model reads in one call: a longer text is read in chunks of
whole regions (a longer region is cut), one after the other, so the memory of the model's
windows and probabilities stays bounded whatever the length of the report."""


def model_spans_many(texts: Sequence[str], tagger: Tagger,
                     regions: Sequence[Sequence[Region]],
                     labels: Optional[LabelSet] = None,
                     glosses: Optional[Sequence[Sequence[Region]]] = None) -> list[list[Span]]:
    """Model spans of several texts at once (the tagger batches all their windows by
    length), each restricted to its regions; offsets into each text. A text with more than
    ``MODEL_CHUNK_CHARS`` characters of regions is read chunk by chunk. ``labels``: the
    label set whose span edges the tagger's decoding follows (default: the rules in use).
    ``glosses``: the pinyin glosses of each text, which the model reads the text without
    (``inference.glosses.model_view``); a span across one holds it."""
    if glosses is not None and any(glosses):
        views = [model_view(t, r, g) if g else (t, list(r), None)
                 for t, r, g in zip(texts, regions, glosses)]
        got = model_spans_many([v[0] for v in views], tagger, [v[1] for v in views], labels)
        return [from_view(t, spans, v[2]) if v[2] is not None else spans
                for t, spans, v in zip(texts, got, views)]
    big = {i for i, regs in enumerate(regions) if sum(e - s for s, e in regs) > MODEL_CHUNK_CHARS}
    small = [i for i in range(len(texts)) if i not in big]
    out: list[list[Span]] = [[] for _ in texts]
    if small:
        got = _model_spans([texts[i] for i in small], tagger, [regions[i] for i in small], labels)
        for i, spans in zip(small, got):
            out[i] = spans
    for i in sorted(big):
        for group in _chunks(list(regions[i]), MODEL_CHUNK_CHARS):
            deadline.check("ner (model chunks)")
            a, b = group[0][0], group[-1][1]
            (spans,) = _model_spans([texts[i][a:b]], tagger, [[(s - a, e - a) for s, e in group]],
                                    labels)
            out[i] += [replace(x, start=x.start + a, end=x.end + a) for x in spans]
    return out


def _chunks(regions: list[Region], size: int) -> Iterator[list[Region]]:
    """``regions`` (sorted, disjoint) in groups of at most ``size`` characters; a region
    longer than ``size`` is cut into pieces of ``size``."""
    group: list[Region] = []
    total = 0
    for s, e in regions:
        while e - s > size:
            if group:
                yield group
                group, total = [], 0
            yield [(s, s + size)]
            s += size
        if group and total + (e - s) > size:
            yield group
            group, total = [], 0
        group.append((s, e))
        total += e - s
    if group:
        yield group


def _model_spans(texts: Sequence[str], tagger: Tagger, regions: Sequence[Sequence[Region]],
                 labels: Optional[LabelSet] = None) -> list[list[Span]]:
    if _accepts(tagger, "regions"):
        extra = {"labels": labels} if labels is not None and _accepts(tagger, "labels") else {}
        return tagger.predict_entities(list(texts), regions=[list(r) for r in regions], **extra)
    pieces = [(i, s, t[s:e]) for i, (t, regs) in enumerate(zip(texts, regions)) for s, e in regs]
    preds = tagger.predict_entities([p[2] for p in pieces]) if pieces else []
    out: list[list[Span]] = [[] for _ in texts]
    for (i, off, _), spans in zip(pieces, preds):
        out[i] += [replace(s, start=s.start + off, end=s.end + off) for s in spans]
    return out
