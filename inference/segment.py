"""Stage segment: the heading hierarchy as a section tree, and blocks (heading,
narrative, table, chrome) with offsets into the original text."""
from __future__ import annotations

from .data import Document


def segment(doc: Document) -> Document:
    return doc
