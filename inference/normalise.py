"""Stage normalise: numbers, units, approximations, scope, period and taxonomy keys of
narrative facts; merge with table facts."""
from __future__ import annotations

from .data import Document


def normalise(doc: Document) -> Document:
    return doc
