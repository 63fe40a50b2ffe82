"""Stage ner: entity spans in narrative blocks, from the model and from patterns."""
from __future__ import annotations

from typing import Optional, Protocol, Sequence

from .data import Document, Span


class Tagger(Protocol):
    """A loaded token classifier (torch or ONNX runtime), GLiNER-style:
    ``predict_entities(texts)`` gives, per text, spans with offsets into that text."""

    model_version: str
    labels: Sequence[str]

    def predict_entities(self, texts: list[str]) -> list[list[Span]]: ...


def predict_spans(text: str, tagger: Optional[Tagger],
                  regions: Optional[list[tuple[int, int]]] = None) -> list[Span]:
    """Entities of ``text`` inside ``regions`` (default: all of it), from the model (when
    given) combined with the patterns of ``configs/patterns.yaml``. Offsets into ``text``."""
    return []


def tag(doc: Document, tagger: Optional[Tagger]) -> Document:
    return doc
